"""Where incident changes start and stop paging, inside their own transactions.

Kept free of the incident actions (which call in here) and of the engine runner, so both
sides can import it: it only writes task and page rows."""

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.engine.models import Task, TaskState
from warroom.engine.tasks import enqueue
from warroom.paging.models import Page, PageState

ESCALATE = "escalate"
DELIVER_PAGE = "deliver_page"
PAGING_KINDS = (ESCALATE, DELIVER_PAGE)


def step_payload(
    loop: int, level: int, skipped: list[list[int]] | None = None, advanced_us: int = 0
) -> dict[str, object]:
    """An `escalate` task's payload: which step (1-based loop, 0-based level), the
    steps of this escalation skipped so far (their delays are not waited out), and how
    many microseconds "escalate now" moved this step and every later one earlier."""
    payload: dict[str, object] = {"loop": loop, "level": level, "skipped": skipped or []}
    if advanced_us:
        payload["advanced_us"] = advanced_us
    return payload


class Advanced(NamedTuple):
    loop: int  # 1-based
    level: int  # 0-based
    by: timedelta  # how much earlier it now runs (zero: it was already due)


def escalate_now(session: Session, *, incident_id: int, now: datetime) -> Advanced | None:
    """A responder's "escalate now": the incident's next pending `escalate` step becomes
    due at `now`, and the shift is written into its payload so every step it plans after
    it moves earlier by the same amount. None when no step is pending (the policy is
    exhausted). The caller holds the incident's row lock, so no step of this incident
    enqueues a successor meanwhile; the compare-and-swap on `version` (and `due_at > now`:
    a task not yet due cannot have been claimed) leaves a running step alone."""
    task = session.scalar(
        select(Task)
        .where(
            Task.incident_id == incident_id,
            Task.kind == ESCALATE,
            Task.state == TaskState.PENDING,
        )
        .order_by(Task.due_at, Task.id)
        .limit(1)
    )
    if task is None:
        return None
    payload = dict(task.payload or {})
    loop, level = int(payload.get("loop", 1)), int(payload.get("level", 0))
    by = task.due_at - now
    if by <= timedelta(0):
        return Advanced(loop, level, timedelta(0))  # already due: an engine pages it now
    payload["advanced_us"] = int(payload.get("advanced_us") or 0) + by // timedelta(microseconds=1)
    moved = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.version == task.version,
            Task.state == TaskState.PENDING,
            Task.due_at > now,
        )
        .values(due_at=now, payload=payload, version=task.version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return Advanced(loop, level, timedelta(0))
    return Advanced(loop, level, by)


def start_escalation(
    session: Session, *, incident_id: int, triggered_at: datetime, now: datetime
) -> None:
    """The first step of the policy (loop 1, level 1), due at the trigger time; each step
    enqueues the next one from the plan when it runs."""
    enqueue(
        session,
        kind=ESCALATE,
        incident_id=incident_id,
        payload=step_payload(1, 0),
        due_at=triggered_at,
        now=now,
    )


def stop_paging(session: Session, *, incident_id: int, now: datetime) -> None:
    """Someone answered (or it is over): cancel every step and page not yet run, in the
    acknowledging transaction. A step or delivery already running finishes; each checks
    the incident again before it pages anyone."""
    session.execute(
        update(Task)
        .where(
            Task.incident_id == incident_id,
            Task.kind.in_(PAGING_KINDS),
            Task.state == TaskState.PENDING,
        )
        .values(state=TaskState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Page)
        .where(Page.incident_id == incident_id, Page.state == PageState.PENDING)
        .values(state=PageState.CANCELLED)
        .execution_options(synchronize_session=False)
    )
