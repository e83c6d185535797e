"""Where incident changes start and stop paging, inside their own transactions.

Kept free of the incident actions (which call in here) and of the engine runner, so both
sides can import it: it only writes task and page rows."""

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warroom.engine.models import Task, TaskState
from warroom.engine.tasks import enqueue
from warroom.paging.models import Page, PageState

ESCALATE = "escalate"
DELIVER_PAGE = "deliver_page"
PAGING_KINDS = (ESCALATE, DELIVER_PAGE)
# Pages a responder asks for by hand use loop 0 (policy loops count from 1) and a
# sequence number as their level, so the pages' unique key keeps them once-only too.
MANUAL_LOOP = 0


class Run(NamedTuple):
    """A run of the policy that did not start with the trigger: its first step (1-based
    loop, 0-based level) was due at `base`, and every later step is planned from it."""

    base: datetime
    loop: int
    level: int


def run_of(payload: dict[str, object]) -> Run | None:
    """The run an `escalate` payload belongs to; None for the run started by the trigger.
    Raises ValueError (or KeyError, TypeError) for a payload that names none properly."""
    if "base" not in payload:
        return None
    base = datetime.fromisoformat(str(payload["base"]))
    start = payload["start"]
    if not isinstance(start, list) or len(start) != 2:
        raise ValueError(f"an escalation run starts at [loop, level], not {start!r}")
    return Run(base, int(start[0]), int(start[1]))


def step_payload(
    loop: int,
    level: int,
    skipped: list[list[int]] | None = None,
    advanced_us: int = 0,
    run: Run | None = None,
) -> dict[str, object]:
    """An `escalate` task's payload: which step (1-based loop, 0-based level), the
    steps of this escalation skipped so far (their delays are not waited out), how
    many microseconds "escalate now" moved this step and every later one earlier, and,
    for a run that started again (a restart or a jump to a level), where and when it
    started: its steps are planned from there (`plan_from`) instead of from the trigger."""
    payload: dict[str, object] = {"loop": loop, "level": level, "skipped": skipped or []}
    if advanced_us:
        payload["advanced_us"] = advanced_us
    if run is not None:
        payload["base"] = run.base.isoformat()
        payload["start"] = [run.loop, run.level]
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
    the incident again before it pages anyone.

    Pages a responder asked for by hand (loop `MANUAL_LOOP`) are left alone: an
    acknowledgement does not take back a call for an expert. Their delivery checks the
    incident and stops once it is resolved or closed."""
    cancel_steps(session, incident_id=incident_id, now=now)
    manual = set(
        session.scalars(
            select(Page.id).where(
                Page.incident_id == incident_id,
                Page.loop == MANUAL_LOOP,
                Page.state == PageState.PENDING,
            )
        )
    )
    deliveries = [
        Task.incident_id == incident_id,
        Task.kind == DELIVER_PAGE,
        Task.state == TaskState.PENDING,
    ]
    if manual:
        # Few rows per incident: read the payloads rather than query inside JSON.
        keep = [
            task_id
            for task_id, payload in session.execute(
                select(Task.id, Task.payload).where(*deliveries)
            )
            if (payload or {}).get("page_id") in manual
        ]
        if keep:
            deliveries.append(Task.id.not_in(keep))
    session.execute(
        update(Task)
        .where(*deliveries)
        .values(state=TaskState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Page)
        .where(
            Page.incident_id == incident_id,
            Page.state == PageState.PENDING,
            Page.loop != MANUAL_LOOP,
        )
        .values(state=PageState.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def cancel_steps(session: Session, *, incident_id: int, now: datetime) -> None:
    """Cancel the incident's pending `escalate` steps (one, normally), pages untouched."""
    session.execute(
        update(Task)
        .where(
            Task.incident_id == incident_id,
            Task.kind == ESCALATE,
            Task.state == TaskState.PENDING,
        )
        .values(state=TaskState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )


def restart_escalation(session: Session, *, incident_id: int, now: datetime) -> None:
    """Start the policy again from level 1 as if the incident had triggered at `now`
    (an acknowledgement that timed out, a responder's restart). Every step and page not
    yet run is cancelled first; pages already sent stay as history. The new run's loops
    count on from the highest loop so far, so its pages never collide with the earlier
    run's (their unique key) and each of its steps still pages once.

    The caller holds the incident's row lock and has made the incident unanswered again
    (status triggered and `Incident.acknowledged_now` false, e.g. `retriggered_at` set):
    a step finds an incident someone holds answered, and pages nobody. A step of the old
    run already running when this commits finds its own task cancelled and does nothing
    (see `paging.handlers.escalate`). Pages a responder asked for by hand are kept."""
    start_run(session, incident_id=incident_id, level=0, now=now)


def start_run(
    session: Session, *, incident_id: int, level: int, now: datetime, keep_pages: bool = False
) -> Run:
    """Cancel what is pending of the incident's escalation (its pending pages too, unless
    `keep_pages`) and enqueue a new run whose first step is `level` (0-based) at `now`,
    in a loop after every loop so far."""
    if keep_pages:
        cancel_steps(session, incident_id=incident_id, now=now)
    else:
        stop_paging(session, incident_id=incident_id, now=now)
    run = Run(now, next_loop(session, incident_id=incident_id), level)
    enqueue(
        session,
        kind=ESCALATE,
        incident_id=incident_id,
        payload=step_payload(run.loop, run.level, run=run),
        due_at=now,
        now=now,
    )
    return run


def next_loop(session: Session, *, incident_id: int) -> int:
    """One more than the highest loop any page or step of the incident has used (loop 0 is
    reserved for pages a responder asks for by hand)."""
    highest = session.scalar(select(func.max(Page.loop)).where(Page.incident_id == incident_id))
    loops = [int(highest or 0)]
    for payload in session.scalars(
        select(Task.payload).where(Task.incident_id == incident_id, Task.kind == ESCALATE)
    ):
        try:
            loops.append(int((payload or {}).get("loop", 0)))
        except (TypeError, ValueError):
            continue  # a step that names no loop uses none
    return max(loops) + 1


def hasten_held_pages(session: Session, *, incident_id: int, now: datetime) -> int:
    """The incident became urgent (raised to SEV-1/2): pages held for someone's waking
    hours go out now, or at their rule's delay if that is still to come. A page's due time
    without waking hours is when it was created (its step ran) plus its rule's delay. Only
    deliveries not yet due are moved, and a task not yet due cannot be claimed, so the
    compare-and-swap on `version` leaves anything already running alone. The number moved."""
    held = session.execute(
        select(Task.id, Task.version, Task.due_at, Page.created_at, Page.delay_minutes)
        .join(Page, Page.id == Task.payload["page_id"].as_integer())
        .where(
            Task.incident_id == incident_id,
            Task.kind == DELIVER_PAGE,
            Task.state == TaskState.PENDING,
            Task.due_at > now,
            Page.state == PageState.PENDING,
        )
    ).all()
    moved = 0
    for task_id, version, due_at, created_at, delay in held:
        urgent_at = max(now, created_at + timedelta(minutes=delay or 0))
        if urgent_at >= due_at:
            continue  # held by its rule's delay, not by waking hours
        result = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.version == version, Task.state == TaskState.PENDING)
            .values(due_at=urgent_at, version=version + 1)
            .execution_options(synchronize_session=False)
        )
        moved += int(getattr(result, "rowcount", 0) == 1)
    return moved
