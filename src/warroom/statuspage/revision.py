"""Invalidation for the public page's caches.

Every action that changes something the public page shows calls `bump` in its own
transaction. The revision row is read by each process's cache (warroom.statuspage.cache)
to know when its copy is stale; a bump in this process also clears this process's copy the
moment the transaction commits, so a person who publishes an update sees it on the very
next request.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from warroom.statuspage.models import StatusPageRevision

_BUMPED = "warroom.statuspage.bumped"

# Called after a commit that bumped the revision (the page caches of this process).
_listeners: list[Callable[[], None]] = []


def bump(session: Session, *, now: datetime) -> None:
    result = session.execute(
        update(StatusPageRevision)
        .where(StatusPageRevision.id == 1)
        .values(revision=StatusPageRevision.revision + 1, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        # Migration 0011 writes the row; a database emptied by hand has lost it.
        session.add(StatusPageRevision(id=1, revision=1, changed_at=now))
        session.flush()
    session.info[_BUMPED] = True


def current(session: Session) -> int:
    return (
        session.scalar(select(StatusPageRevision.revision).where(StatusPageRevision.id == 1)) or 0
    )


def on_local_bump(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_BUMPED, False):
        for listener in _listeners:
            listener()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_BUMPED, None)
