"""Where incident changes start and stop paging, inside their own transactions.

Kept free of the incident actions (which call in here) and of the engine runner, so both
sides can import it: it only writes task and page rows."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from warroom.engine.models import Task, TaskState
from warroom.engine.tasks import enqueue
from warroom.paging.models import Page, PageState

ESCALATE = "escalate"
DELIVER_PAGE = "deliver_page"
PAGING_KINDS = (ESCALATE, DELIVER_PAGE)


def step_payload(
    loop: int, level: int, skipped: list[list[int]] | None = None
) -> dict[str, object]:
    """An `escalate` task's payload: which step (1-based loop, 0-based level), and the
    steps of this escalation skipped so far (their delays are not waited out)."""
    return {"loop": loop, "level": level, "skipped": skipped or []}


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
