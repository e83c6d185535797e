"""The engine's handlers for incident timers (enqueued by warroom.incidents.timers):
response-target breach, the comms lead's "next update" reminder, auto-resolve and the
acknowledgement timeout.

Each runs under the incident's row lock, re-checks whether its condition still holds
(a stale timer does nothing), and completes its task in the same transaction as its
effect, so the effect happens once however many engines run."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.domain import timers
from warroom.domain.lifecycle import OPEN_STATUSES, Status
from warroom.domain.roles import Role
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.runner import TaskContext
from warroom.incidents.actions import apply_status, note_breach, record
from warroom.incidents.models import Incident, StakeholderUpdate, TimelineEvent
from warroom.incidents.repository import get_incident
from warroom.incidents.timers import enqueue_ack_timeout, enqueue_update_reminder
from warroom.paging.notices import notify_user
from warroom.settings import Settings
from warroom.users.models import User

# What a person does on an incident: any of these by someone other than warroom itself
# keeps an acknowledged incident from timing out.
HUMAN_ACTIVITY = (
    EventType.ACKNOWLEDGED,
    EventType.STATUS_CHANGED,
    EventType.NOTE_ADDED,
    EventType.ROLE_ASSIGNED,
    EventType.ROLE_UNASSIGNED,
    EventType.UPDATE_PUBLISHED,
    EventType.SEVERITY_CHANGED,
    EventType.SEVERITY_CONFIRMED,
    EventType.CHECKLIST_ITEM_COMPLETED,
)


class TimerError(Exception):
    permanent = True


def _link(settings: Settings, incident: Incident, suffix: str = "") -> str:
    return settings.incident_url(incident.id) + suffix


def _holder(incident: Incident, role: Role) -> User | None:
    return next((r.user for r in incident.roles if r.role is role), None)


def response_target(ctx: TaskContext) -> None:
    """At the response target's due time: if nobody has acknowledged, the breach goes
    on the timeline (once: `note_breach`) and the incident commander is told."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id, for_update=True)
        if incident.status in OPEN_STATUSES and note_breach(session, incident, now=now, timed=True):
            _tell_about_breach(session, incident, ctx.settings, now=now)
        ctx.complete(session)


def _tell_about_breach(
    session: Session, incident: Incident, settings: Settings, *, now: datetime
) -> None:
    # Only the incident commander: without one, the people who should answer are the
    # ones the escalation policy is paging anyway, and a second message each would be
    # noise on top of the pages (the breach is on the timeline either way).
    commander = _holder(incident, Role.INCIDENT_COMMANDER)
    minutes = f"{incident.response_target_minutes:g}"
    if commander is not None:
        notify_user(
            session,
            user=commander,
            kind="response_target",
            title=f"[{incident.severity}] Response target missed: {incident.title}",
            body=(
                f"Incident {incident.id} on {incident.service.name} has not been "
                f"acknowledged within its {minutes}-minute response target."
            ),
            now=now,
            incident_id=incident.id,
            url=_link(settings, incident),
            severity=str(incident.severity),
        )


def update_reminder(ctx: TaskContext) -> None:
    """At a promised "next update" time with no update since: remind the comms lead (or
    the incident commander), then again every cadence, up to MAX_REMINDERS times."""
    payload = ctx.task.payload
    try:
        update_id, sent = int(payload["update_id"]), int(payload["sent"])
        cadence = int(payload["cadence_minutes"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TimerError(f"update_reminder task {ctx.task.id} names no update") from exc
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id, for_update=True)
        promise = session.get(StakeholderUpdate, update_id)
        latest = session.scalar(
            select(StakeholderUpdate)
            .where(StakeholderUpdate.incident_id == incident.id)
            .order_by(StakeholderUpdate.published_at.desc(), StakeholderUpdate.id.desc())
            .limit(1)
        )
        if (
            promise is None
            or promise.next_update_due_at is None
            or latest is None
            or latest.id != promise.id
            or not timers.reminder_due(
                promise_published_at=promise.published_at,
                due_at=promise.next_update_due_at,
                latest_update_at=latest.published_at,
                sent=sent,
                incident_open=incident.status in OPEN_STATUSES,
                now=now,
            )
        ):
            ctx.complete(session)
            return
        _remind(session, incident, promise, sent=sent, settings=ctx.settings, now=now)
        enqueue_update_reminder(
            session,
            incident_id=incident.id,
            update_id=promise.id,
            due_at=promise.next_update_due_at,
            cadence_minutes=cadence,
            sent=sent + 1,
            now=now,
        )
        ctx.complete(session)


def _remind(
    session: Session,
    incident: Incident,
    promise: StakeholderUpdate,
    *,
    sent: int,
    settings: Settings,
    now: datetime,
) -> None:
    assert promise.next_update_due_at is not None
    due = promise.next_update_due_at
    role, person = Role.COMMS_LEAD, _holder(incident, Role.COMMS_LEAD)
    if person is None:
        role, person = Role.INCIDENT_COMMANDER, _holder(incident, Role.INCIDENT_COMMANDER)
    late = int((now - due).total_seconds() // 60)
    record(
        session,
        incident,
        EventType.REMINDER_SENT,
        actor=SYSTEM_ACTOR,
        at=now,
        **{"for": str(Role.COMMS_LEAD)},
        user=person.handle if person else None,
        role=str(role) if person else None,
        due_at=due.isoformat(),
        reminder=sent + 1,
        of=timers.MAX_REMINDERS,
        **({} if person else {"note": "nobody holds the comms lead or incident commander role"}),
    )
    if person is None:
        return
    notify_user(
        session,
        user=person,
        kind="reminder",
        title=f"[{incident.severity}] Stakeholder update due: {incident.title}",
        body=(
            f"The next update on incident {incident.id} ({incident.service.name}) was "
            f"promised for {due:%H:%M} UTC"
            + (f", {late} minutes ago" if late > 0 else "")
            + ". Publish an update, or say when the next one will come."
        ),
        now=now,
        incident_id=incident.id,
        url=_link(settings, incident, "?compose=update#updates"),
        severity=str(incident.severity),
    )


def auto_resolve(ctx: TaskContext) -> None:
    """The service's auto-resolve: an incident still triggered or acknowledged (nobody
    has moved it on to working on it) at its auto_resolve_at is resolved by warroom."""
    payload = ctx.task.payload
    try:
        at = datetime.fromisoformat(str(payload["at"]))
        minutes = int(payload["minutes"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TimerError(f"auto_resolve task {ctx.task.id} names no time") from exc
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id, for_update=True)
        if incident.auto_resolve_at == at and incident.status in (
            Status.TRIGGERED,
            Status.ACKNOWLEDGED,
        ):
            apply_status(
                session,
                incident,
                Status.RESOLVED,
                actor=SYSTEM_ACTOR,
                by_person=False,
                now=now,
                reason=f"auto-resolved after {minutes} minutes "
                f"(service '{incident.service.name}' resolves incidents nobody works on)",
            )
        ctx.complete(session)


def last_human_activity(session: Session, incident: Incident) -> datetime | None:
    return session.scalar(
        select(func.max(TimelineEvent.at)).where(
            TimelineEvent.incident_id == incident.id,
            TimelineEvent.type.in_(HUMAN_ACTIVITY),
            TimelineEvent.actor != SYSTEM_ACTOR,
        )
    )


def ack_timeout(ctx: TaskContext) -> None:
    """An acknowledged incident left without human activity for the service's
    ack_timeout_minutes goes back to "triggered" and paging starts again from level 1.
    Activity since the timer was set moves it to the last activity plus the timeout."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        incident = get_incident(session, ctx.incident_id, for_update=True)
        minutes = incident.service.ack_timeout_minutes
        if not minutes or incident.status is not Status.ACKNOWLEDGED:
            ctx.complete(session)
            return
        last = last_human_activity(session, incident) or incident.acknowledged_at or now
        if not timers.ack_timed_out(last_activity_at=last, minutes=minutes, now=now):
            enqueue_ack_timeout(
                session,
                incident_id=incident.id,
                at=timers.ack_timeout_at(last, minutes),
                now=now,
            )
            ctx.complete(session)
            return
        apply_status(
            session,
            incident,
            Status.TRIGGERED,
            actor=SYSTEM_ACTOR,
            by_person=False,
            now=now,
            reason=f"acknowledged but nothing happened for {minutes} minutes "
            f"(last activity {last.isoformat()})",
        )
        ctx.complete(session)
