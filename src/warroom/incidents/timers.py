"""The incident's timers as task rows: what the incident actions enqueue, in their own
transaction, when a change calls for a timer. The engine runs them with the handlers in
warroom.incidents.timer_handlers (kept apart: those call back into the actions).

A timer is never moved or cancelled: a change that makes one stale (a new severity, a
new update, an acknowledgement) just adds another, and the handler of a stale one finds
its condition no longer holds under the incident's row lock and does nothing."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.domain import timers
from warroom.engine.tasks import enqueue

RESPONSE_TARGET = "response_target"
UPDATE_REMINDER = "update_reminder"
AUTO_RESOLVE = "auto_resolve"
ACK_TIMEOUT = "ack_timeout"
TIMER_KINDS = (RESPONSE_TARGET, UPDATE_REMINDER, AUTO_RESOLVE, ACK_TIMEOUT)


def enqueue_response_target(
    session: Session, *, incident_id: int, triggered_at: datetime, minutes: float, now: datetime
) -> None:
    due = timers.response_target_due(triggered_at, minutes)
    enqueue(
        session,
        kind=RESPONSE_TARGET,
        incident_id=incident_id,
        payload={"due_at": due.isoformat(), "minutes": minutes},
        due_at=due,
        now=now,
    )


def enqueue_update_reminder(
    session: Session,
    *,
    incident_id: int,
    update_id: int,
    due_at: datetime,
    cadence_minutes: int,
    sent: int,
    now: datetime,
) -> None:
    """Reminder number `sent + 1` for the promise of update `update_id`; none past the
    bound."""
    at = timers.reminder_at(due_at, cadence_minutes, sent)
    if at is None:
        return
    enqueue(
        session,
        kind=UPDATE_REMINDER,
        incident_id=incident_id,
        payload={
            "update_id": update_id,
            "due_at": due_at.isoformat(),
            "cadence_minutes": cadence_minutes,
            "sent": sent,
        },
        due_at=at,
        now=now,
    )


def enqueue_auto_resolve(
    session: Session, *, incident_id: int, at: datetime, minutes: int, now: datetime
) -> None:
    enqueue(
        session,
        kind=AUTO_RESOLVE,
        incident_id=incident_id,
        payload={"at": at.isoformat(), "minutes": minutes},
        due_at=at,
        now=now,
    )


def enqueue_ack_timeout(session: Session, *, incident_id: int, at: datetime, now: datetime) -> None:
    enqueue(
        session,
        kind=ACK_TIMEOUT,
        incident_id=incident_id,
        payload={"at": at.isoformat()},
        due_at=at,
        now=now,
    )
