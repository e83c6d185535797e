"""The `schedule_handoffs` timer: one pending task per schedule, due at the schedule's next
shift change or readiness check. At a change the incoming person gets the handoff
checklist; a day before a shift whose person has no verified contact method, that person
and the schedule's owner are warned.

Exactly once: each notice first inserts a `shift_notices` row whose unique key is
(schedule, kind, shift start, user), in the transaction that enqueues the message, so a
task run twice or by two engines sends nothing more. The schedule row is locked (FOR
UPDATE on PostgreSQL; SQLite has one writer) while the timer is planned, so a change to
the schedule and the timer never plan past each other; the handler recomputes everything
from the current schedule, so a change only has to make the pending task due now.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.domain import handoff as rules
from warroom.domain import schedule as domain
from warroom.domain.lifecycle import OPEN_STATUSES, Status
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.escalation.models import EscalationPolicy
from warroom.incidents.models import Incident
from warroom.oncall import repository
from warroom.oncall.models import HandoffNote, Schedule, ShiftNotice
from warroom.paging.notices import notify_user
from warroom.services.models import Service
from warroom.users.contacts import verified_user_ids
from warroom.users.models import User
from warroom.users.repository import find_user

SCHEDULE_HANDOFFS = "schedule_handoffs"
HANDOFF = "handoff"
READINESS = "readiness"
RECENT = timedelta(days=7)
MAX_INCIDENTS = 100
# oncall_at looks up to a year either side for where a shift begins.
REACH = domain.SPAN_LIMIT + timedelta(days=1)


def _locked(session: Session, schedule_id: int) -> Schedule | None:
    # Only the schedule's own row: PostgreSQL refuses FOR UPDATE across the owner join.
    found = session.scalar(select(Schedule.id).where(Schedule.id == schedule_id).with_for_update())
    return session.get(Schedule, found) if found is not None else None


def _pending(session: Session, schedule_id: int) -> list[Task]:
    # Few rows (one per schedule), so the payload is matched here rather than in SQL.
    rows = session.scalars(
        select(Task)
        .where(Task.kind == SCHEDULE_HANDOFFS, Task.state == TaskState.PENDING)
        .order_by(Task.id)
    )
    return [t for t in rows if t.payload.get("schedule_id") == schedule_id]


def _payload(schedule_id: int, since: datetime) -> dict[str, Any]:
    return {"schedule_id": schedule_id, "since": since.isoformat()}


def replan_handoffs(session: Session, *, schedule: Schedule, now: datetime) -> None:
    """Called by every change to a schedule's shape (created, layers replaced, override
    or swap): the schedule's timer runs now and plans itself again from the new shape."""
    _locked(session, schedule.id)
    pending = _pending(session, schedule.id)
    if not pending:
        enqueue(
            session, kind=SCHEDULE_HANDOFFS, payload=_payload(schedule.id, now), due_at=now, now=now
        )
        return
    for task in pending:
        # A task that an engine holds is running: it takes the lock after this commits
        # and plans from the new shape. One that nobody holds is simply brought forward.
        if task.claimed_until is None or task.claimed_until < now:
            if task.due_at > now:
                task.due_at = now
                task.version += 1
            return


def schedule_handoffs(ctx: TaskContext) -> None:
    payload = ctx.task.payload
    schedule_id = int(payload["schedule_id"])
    since = datetime.fromisoformat(str(payload["since"]))
    now = ctx.clock.now()
    base = ctx.settings.base_url.rstrip("/")
    with ctx.db.write() as session:
        schedule = _locked(session, schedule_id)
        if schedule is None:  # deleted: its timer ends with it
            ctx.complete(session)
            return
        shape = repository.to_domain(
            schedule,
            repository.overrides_between(
                session, schedule.id, now - REACH, now + REACH + rules.READINESS_LEAD
            ),
        )
        plan = rules.plan_shift_notices(shape, since=since, now=now)
        if plan.handoff is not None:
            _send_handoff(session, schedule, plan, now=now, base=base)
        _send_readiness(session, schedule, plan.upcoming, now=now, base=base)
        _next(session, schedule.id, ctx.task.id, due=plan.next_run, now=now)
        ctx.complete(session)


def _next(
    session: Session, schedule_id: int, running: int, *, due: datetime, now: datetime
) -> None:
    """Leave exactly one pending timer for the schedule, due at `due`."""
    others = [t for t in _pending(session, schedule_id) if t.id != running]
    if not others:
        enqueue(
            session, kind=SCHEDULE_HANDOFFS, payload=_payload(schedule_id, now), due_at=due, now=now
        )
        return
    keep, *extra = others
    keep.payload = _payload(schedule_id, now)
    keep.due_at = min(keep.due_at, due)
    keep.version += 1
    for task in extra:
        if task.claimed_until is None or task.claimed_until < now:
            task.state = TaskState.CANCELLED
            task.finished_at = now
            task.version += 1


def _once(
    session: Session, *, schedule_id: int, kind: str, start: datetime, user_id: int, now: datetime
) -> bool:
    """Claims the right to send this notice; False when it has been sent already."""
    found = session.scalar(
        select(ShiftNotice.id).where(
            ShiftNotice.schedule_id == schedule_id,
            ShiftNotice.kind == kind,
            ShiftNotice.shift_start == start,
            ShiftNotice.user_id == user_id,
        )
    )
    if found is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                ShiftNotice(
                    schedule_id=schedule_id,
                    kind=kind,
                    shift_start=start,
                    user_id=user_id,
                    sent_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _person(user: User) -> rules.Person:
    return rules.Person(user.handle, user.name)


def _named(session: Session, handle: str) -> rules.Person:
    user = find_user(session, handle)
    return _person(user) if user is not None else rules.Person(handle, handle)


def _send_handoff(
    session: Session, schedule: Schedule, plan: rules.ShiftNoticePlan, *, now: datetime, base: str
) -> None:
    shift = plan.handoff
    assert shift is not None
    incoming = find_user(session, shift.user)
    if incoming is None or not _once(
        session,
        schedule_id=schedule.id,
        kind=HANDOFF,
        start=shift.start,
        user_id=incoming.id,
        now=now,
    ):
        return
    schedule_url = f"{base}/schedules/{schedule.id}"
    covered = covered_services(session, schedule)
    title, body = rules.handoff_message(
        rules.Handoff(
            schedule=schedule.name,
            time_zone=schedule.time_zone,
            schedule_url=schedule_url,
            start=shift.start,
            end=shift.end,
            incoming=_person(incoming),
            outgoing=_named(session, plan.outgoing.user) if plan.outgoing else None,
            owner=_owner(session, schedule),
            secondary=tuple(
                _named(session, h) for h in secondary_of(session, schedule, covered, now)
            ),
            open_incidents=tuple(_open_incidents(session, covered, base)),
            recent_incidents=tuple(_recent_incidents(session, covered, base, now)),
            documentation=(
                (f"Schedule {schedule.name}", schedule_url),
                *((f"Service {s.name}", f"{base}/services/{s.id}") for s in covered),
            ),
            notes=tuple(_notes(session, schedule, plan.outgoing, now)),
        )
    )
    notify_user(
        session, user=incoming, kind=HANDOFF, title=title, body=body, now=now, url=schedule_url
    )


def _send_readiness(
    session: Session,
    schedule: Schedule,
    upcoming: Sequence[domain.Shift],
    *,
    now: datetime,
    base: str,
) -> None:
    if not upcoming:
        return
    people = {s.user: find_user(session, s.user) for s in upcoming}
    ids = [u.id for u in people.values() if u is not None]
    verified = verified_user_ids(session, ids)
    owner = session.get(User, schedule.owner_id) if schedule.owner_id else None
    url = f"{base}/schedules/{schedule.id}"
    for shift in upcoming:
        user = people[shift.user]
        if user is None or user.id in verified or _warned_lately(session, schedule, user, now):
            continue
        if not _once(
            session,
            schedule_id=schedule.id,
            kind=READINESS,
            start=shift.start,
            user_id=user.id,
            now=now,
        ):
            continue
        for to, to_owner in ((user, False), (owner, True)):
            if to is None or (to_owner and to.id == user.id):
                continue
            title, body = rules.readiness_message(
                schedule=schedule.name,
                time_zone=schedule.time_zone,
                shift=shift,
                person=_person(user),
                schedule_url=url,
                to_owner=to_owner,
            )
            notify_user(session, user=to, kind=READINESS, title=title, body=body, now=now, url=url)


def _warned_lately(session: Session, schedule: Schedule, user: User, now: datetime) -> bool:
    # A short rotation (hourly turns) would otherwise warn the same person every turn.
    return (
        session.scalar(
            select(ShiftNotice.id)
            .where(
                ShiftNotice.schedule_id == schedule.id,
                ShiftNotice.kind == READINESS,
                ShiftNotice.user_id == user.id,
                ShiftNotice.sent_at > now - rules.READINESS_LEAD,
            )
            .limit(1)
        )
        is not None
    )


# --- what goes into a handoff --------------------------------------------------------


def _owner(session: Session, schedule: Schedule) -> rules.Person | None:
    owner = session.get(User, schedule.owner_id) if schedule.owner_id else None
    return _person(owner) if owner is not None else None


def _targets(level: dict[str, Any]) -> list[dict[str, Any]]:
    targets = level.get("targets") or []
    return [t for t in targets if isinstance(t, dict)]


def _pages(policy: EscalationPolicy, schedule: Schedule) -> bool:
    return any(
        t.get("schedule") == schedule.name for level in policy.levels for t in _targets(level)
    )


def covered_services(session: Session, schedule: Schedule) -> list[Service]:
    """Services whose escalation policy pages this schedule."""
    services = session.scalars(
        select(Service).where(Service.escalation_policy_id.is_not(None)).order_by(Service.name)
    )
    return [s for s in services if s.policy is not None and _pages(s.policy, schedule)]


def secondary_of(
    session: Session, schedule: Schedule, covered: Iterable[Service], at: datetime
) -> list[str]:
    """Who the covered services' policies page at the level after this schedule's."""
    found: list[str] = []
    policies = {s.policy.id: s.policy for s in covered if s.policy is not None}
    for policy in policies.values():
        levels = policy.levels
        for i, level in enumerate(levels[:-1]):
            if not any(t.get("schedule") == schedule.name for t in _targets(level)):
                continue
            for target in _targets(levels[i + 1]):
                if "user" in target:
                    found.append(str(target["user"]))
                elif "schedule" in target:
                    other = repository.find_schedule(session, str(target["schedule"]))
                    if other is None:
                        continue
                    shape = repository.to_domain(
                        other,
                        repository.overrides_between(session, other.id, at - REACH, at + REACH),
                    )
                    found.extend(s.user for s in domain.oncall_at(shape, at))
            break
    return list(dict.fromkeys(found))


def _item(incident: Incident, base: str, covered_ids: set[int]) -> rules.IncidentItem:
    return rules.IncidentItem(
        id=incident.id,
        title=incident.title,
        severity=str(incident.severity),
        status=str(incident.status),
        service=incident.service.name,
        url=f"{base}/incidents/{incident.id}",
        covered=incident.service_id in covered_ids,
    )


def _open_incidents(
    session: Session, covered: Sequence[Service], base: str
) -> list[rules.IncidentItem]:
    ids = {s.id for s in covered}
    rows = session.scalars(
        select(Incident)
        .where(Incident.status.in_(list(OPEN_STATUSES)))
        .order_by(Incident.severity, Incident.triggered_at.desc())
        .limit(MAX_INCIDENTS)
    )
    return [_item(i, base, ids) for i in rows]


def _recent_incidents(
    session: Session, covered: Sequence[Service], base: str, now: datetime
) -> list[rules.IncidentItem]:
    ids = {s.id for s in covered}
    rows = session.scalars(
        select(Incident)
        .where(
            Incident.status.in_([Status.RESOLVED, Status.CLOSED]),
            Incident.resolved_at >= now - RECENT,
        )
        .order_by(Incident.resolved_at.desc())
        .limit(MAX_INCIDENTS)
    )
    return sorted((_item(i, base, ids) for i in rows), key=lambda i: not i.covered)


def _notes(
    session: Session, schedule: Schedule, outgoing: domain.Shift | None, now: datetime
) -> list[rules.Note]:
    if outgoing is None:
        return []
    user = find_user(session, outgoing.user)
    if user is None:
        return []
    rows = session.scalars(
        select(HandoffNote)
        .where(
            HandoffNote.schedule_id == schedule.id,
            HandoffNote.user_id == user.id,
            HandoffNote.created_at >= outgoing.start,
            HandoffNote.created_at <= now,
        )
        .order_by(HandoffNote.created_at, HandoffNote.id)
    )
    return [rules.Note(n.created_at, n.text) for n in rows]
