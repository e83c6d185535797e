"""Action items: the follow-up work an incident leaves behind (pure)."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ActionItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    # Decided against, with a reason in the item's history; counts as finished.
    WONT_DO = "wont_do"


class ActionItemPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ActionItemKind(StrEnum):
    # From the postmortem (or added by hand on the incident).
    FOLLOW_UP = "follow_up"
    # Opened by warroom when an incident resolves: review the service's runbook.
    RUNBOOK_REVIEW = "runbook_review"


FINISHED = frozenset({ActionItemStatus.DONE, ActionItemStatus.WONT_DO})


# Owners are reminded of an overdue item at this hour of their own day, not at the
# midnight it became overdue: a reminder is for acting on, not for waking anyone.
REMIND_AT = time(9, 0)
REMIND_EVERY = timedelta(days=1)


def is_finished(status: ActionItemStatus) -> bool:
    return status in FINISHED


def local_today(now: datetime, zone: str) -> date:
    """Today's date where the owner is (UTC for an unknown zone name or no owner)."""
    return now.astimezone(_zone(zone)).date()


def is_overdue(*, due_on: date | None, status: ActionItemStatus, today: date) -> bool:
    """Past its due date (the due day itself is still on time) and not finished."""
    return due_on is not None and not is_finished(status) and due_on < today


def first_reminder_at(due_on: date, zone: str) -> datetime:
    """REMIND_AT, in the owner's zone, on the first day the item is overdue (UTC)."""
    local = datetime.combine(due_on + timedelta(days=1), REMIND_AT, tzinfo=_zone(zone))
    return local.astimezone(UTC)


def next_reminder_at(planned: datetime, *, now: datetime, zone: str) -> datetime:
    """The next daily reminder after one planned at `planned`: the same local hour on a
    later day, counted from the planned time (a late engine does not shift the hour) and
    after `now` (an engine that was down for days sends one reminder, not one per day
    missed)."""
    tz = _zone(zone)
    local = planned.astimezone(tz)
    day = local.date() + REMIND_EVERY
    while True:
        candidate = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        if candidate > now:
            return candidate.astimezone(UTC)
        day += REMIND_EVERY


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
