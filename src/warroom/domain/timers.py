"""When an incident's timers are due, and whether one that comes due still acts.

Each timer is a task row due at a planned time; when it runs, the rule here decides
from the incident's current facts whether the condition still holds (a superseded or
stale timer does nothing). Due times come from the plan (the promise, the trigger, the
last activity), never from when a previous run happened.
"""

from datetime import datetime, timedelta

# The comms lead is reminded at the promised time and then every cadence after it, at
# most this many times for one promise: a forgotten incident must not page forever.
MAX_REMINDERS = 6
# Per-service timeouts are whole minutes, up to a week.
MAX_TIMEOUT_MINUTES = 7 * 24 * 60


def response_target_due(triggered_at: datetime, target_minutes: float) -> datetime:
    return triggered_at + timedelta(minutes=target_minutes)


def target_missed(*, due_at: datetime, acknowledged: bool, now: datetime) -> bool:
    """The target is missed once its due time arrives with nobody having acknowledged."""
    return not acknowledged and now >= due_at


def reminder_at(due_at: datetime, cadence_minutes: int, sent: int) -> datetime | None:
    """When reminder number `sent + 1` for one promise is due (None: no more). The first
    is at the promised time, the next ones a cadence apart from it."""
    if sent >= MAX_REMINDERS or cadence_minutes < 1:
        return None
    return due_at + timedelta(minutes=cadence_minutes * sent)


def reminder_due(
    *,
    promise_published_at: datetime,
    due_at: datetime,
    latest_update_at: datetime,
    sent: int,
    incident_open: bool,
    now: datetime,
) -> bool:
    """Whether a reminder for the update published at `promise_published_at` (promising
    the next one by `due_at`) goes out now: the promise is due, no later update came,
    the incident is still open, and fewer than MAX_REMINDERS went out for it."""
    return (
        incident_open
        and sent < MAX_REMINDERS
        and now >= due_at
        and latest_update_at <= promise_published_at
    )


def update_on_time(*, promised_by: datetime, published_at: datetime) -> bool:
    return published_at <= promised_by


def ack_timeout_at(last_activity_at: datetime, minutes: int) -> datetime:
    """An acknowledged incident goes back to "triggered" this long after the last thing a
    person did on it (the acknowledgement itself counts)."""
    return last_activity_at + timedelta(minutes=minutes)


def ack_timed_out(*, last_activity_at: datetime, minutes: int, now: datetime) -> bool:
    return now >= ack_timeout_at(last_activity_at, minutes)


def auto_resolve_at(triggered_at: datetime, minutes: int) -> datetime:
    return triggered_at + timedelta(minutes=minutes)
