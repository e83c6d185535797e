"""Claiming due task rows and settling them: every write here is a compare-and-swap on
the row's `version`, so an engine whose lease ran out cannot overwrite the engine that
took the task over.

PostgreSQL: the due rows are selected `FOR UPDATE SKIP LOCKED`, so concurrent engines
each get different rows without waiting on each other. SQLite: one writer at a time
(`BEGIN IMMEDIATE`), and the same `UPDATE … WHERE id=? AND version=?` decides the claim.
"""

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from warroom.db.session import Database
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.models import Task, TaskState
from warroom.incidents.actions import record
from warroom.incidents.models import Incident


@dataclass(frozen=True, slots=True)
class ClaimedTask:
    """A task as claimed: `version` is the row's version while the claim holds, and
    `attempts` already counts the run about to start."""

    id: int
    kind: str
    incident_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    version: int
    claimed_by: str
    claimed_until: datetime


class LeaseLost(Exception):
    """The claim ended (lease expired and another engine took the task) before the
    result could be written; that engine now owns the task."""


def claim_due(
    db: Database,
    *,
    name: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    kinds: Collection[str],
) -> list[ClaimedTask]:
    """Up to `limit` due tasks of the given kinds, oldest due first, claimed for `name`
    until now + lease. Kinds no handler here knows stay for an engine that knows them.

    One statement, one round trip: `UPDATE … RETURNING` over the due rows. On PostgreSQL
    the rows are picked `FOR UPDATE SKIP LOCKED` in a CTE (evaluated once), so each row
    is locked by this claim from its pick to its update and concurrent engines pick
    others; on SQLite the claim runs under the single write lock (`BEGIN IMMEDIATE`).
    Either way no other writer can change a picked row's `version` before it is bumped."""
    if not kinds or limit < 1:
        return []
    due = (
        select(Task.id)
        .where(
            Task.state == TaskState.PENDING,
            Task.due_at <= now,
            or_(Task.claimed_until.is_(None), Task.claimed_until < now),
            Task.kind.in_(sorted(kinds)),
        )
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    claim = update(Task).values(
        claimed_by=name,
        claimed_until=now + lease,
        version=Task.version + 1,
        attempts=Task.attempts + 1,
    )
    if db.is_sqlite:
        claim = claim.where(Task.id.in_(due.scalar_subquery()))
    else:
        picked = due.with_for_update(skip_locked=True).cte("picked")
        claim = claim.where(Task.id == picked.c.id)
    statement = claim.returning(
        Task.id,
        Task.kind,
        Task.incident_id,
        Task.payload,
        Task.due_at,
        Task.attempts,
        Task.version,
        Task.claimed_until,
    ).execution_options(synchronize_session=False)
    with db.write() as session:
        rows = session.execute(statement).all()
    claimed = [
        ClaimedTask(
            id=row.id,
            kind=row.kind,
            incident_id=row.incident_id,
            payload=dict(row.payload or {}),
            due_at=row.due_at,
            attempts=row.attempts,
            version=row.version,
            claimed_by=name,
            claimed_until=row.claimed_until,
        )
        for row in rows
    ]
    # RETURNING follows no particular order: run them in the order they were due.
    claimed.sort(key=lambda task: (task.due_at, task.id))
    return claimed


def next_due_at(db: Database, *, now: datetime, kinds: Collection[str]) -> datetime | None:
    """When the earliest pending task of these kinds that nobody holds is due (perhaps
    already): how long an idle engine may sleep. One indexed read, no lock."""
    if not kinds:
        return None
    with db.read() as session:
        return session.scalar(
            select(func.min(Task.due_at)).where(
                Task.state == TaskState.PENDING,
                or_(Task.claimed_until.is_(None), Task.claimed_until < now),
                Task.kind.in_(sorted(kinds)),
            )
        )


def still_claimed(db: Database, task: ClaimedTask) -> bool:
    """Whether the claim still holds as claimed: nobody took the task over (a takeover
    bumps `version`). A read, no write lock: the cheap check before a task starts while
    its lease has plenty left; the compare-and-swap that settles it decides in the end."""
    with db.read() as session:
        row = session.execute(
            select(Task.version, Task.claimed_by, Task.state).where(Task.id == task.id)
        ).one_or_none()
    return (
        row is not None
        and row.version == task.version
        and row.claimed_by == task.claimed_by
        and row.state is TaskState.PENDING
    )


def extend_lease(
    db: Database, task: ClaimedTask, *, now: datetime, lease: timedelta
) -> ClaimedTask | None:
    """Renew the claim for a full lease from `now`, right before the task runs: a
    compare-and-swap on the claimed `version` (and `claimed_by`), so it fails when
    another engine has taken the task over since it was claimed. The task as now
    claimed, or None: someone else has it, and it must not be run here.

    A claim whose lease already ran out but that nobody took over is renewed: no
    other engine can hold it, since taking it over changes `version`."""
    until = now + lease
    with db.write() as session:
        if not _settle(session, task, claimed_until=until):
            return None
    return replace(task, version=task.version + 1, claimed_until=until)


def _settle(session: Session, task: ClaimedTask, **values: Any) -> bool:
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.version == task.version, Task.claimed_by == task.claimed_by)
        .values(version=task.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def mark_done(session: Session, task: ClaimedTask, *, now: datetime) -> None:
    """In the caller's transaction, so a handler's own writes and the task's completion
    commit together. Raises LeaseLost (rolling that transaction back) if the claim ended."""
    if not _settle(
        session,
        task,
        state=TaskState.DONE,
        finished_at=now,
        claimed_until=None,
        last_error=None,
    ):
        raise LeaseLost(f"task {task.id} ({task.kind}) is no longer claimed by {task.claimed_by}")


def schedule_retry(db: Database, task: ClaimedTask, *, due_at: datetime, error: str) -> bool:
    """Back to pending, due again at `due_at`, claim cleared. False if the claim ended."""
    with db.write() as session:
        return _settle(
            session,
            task,
            due_at=due_at,
            last_error=error,
            claimed_by=None,
            claimed_until=None,
        )


def release(db: Database, task: ClaimedTask) -> bool:
    """Give back a claimed task that was not run (the engine is stopping): due as it was,
    and the attempt it was charged is returned."""
    with db.write() as session:
        return _settle(
            session,
            task,
            attempts=task.attempts - 1,
            claimed_by=None,
            claimed_until=None,
        )


def mark_failed(
    db: Database, task: ClaimedTask, *, now: datetime, error: str, permanent: bool
) -> bool:
    """Give up on the task, and say so on its incident's timeline in the same transaction:
    a failed delivery is visible where people look, not only in a log."""
    with db.write() as session:
        if not _settle(
            session,
            task,
            state=TaskState.FAILED,
            finished_at=now,
            last_error=error,
            claimed_until=None,
        ):
            return False
        incident = session.get(Incident, task.incident_id) if task.incident_id else None
        if incident is not None:
            record(
                session,
                incident,
                EventType.AUTOMATION_FAILED,
                actor=SYSTEM_ACTOR,
                at=now,
                task=task.kind,
                task_id=task.id,
                attempts=task.attempts,
                permanent=permanent,
                error=error,
            )
        return True
