"""How and when one person is notified of a page: contact methods, notification rules,
urgency against waking hours, and per-contact throttling. Pure; time is an argument.

A contact method is an Apprise URL; its kind (email, webhook, …) is read from the URL's
scheme so the UI can show it and rules can name it. The URL itself is only ever sent by
the notifier (warroom.notify), never parsed further here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.domain.errors import DomainError
from warroom.domain.severity import Severity


class ContactKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"
    NTFY = "ntfy"
    SMS = "sms"
    MATRIX = "matrix"
    TELEGRAM = "telegram"
    DISCORD = "discord"
    TEAMS = "teams"
    PUSH = "push"
    OTHER = "other"


# Apprise URL schemes (the insecure and the TLS spelling) and what a person would call
# them. Anything Apprise supports but this table does not know is OTHER: still sent.
SCHEME_KINDS: dict[str, ContactKind] = {
    "mailto": ContactKind.EMAIL,
    "mailtos": ContactKind.EMAIL,
    "json": ContactKind.WEBHOOK,
    "jsons": ContactKind.WEBHOOK,
    "form": ContactKind.WEBHOOK,
    "forms": ContactKind.WEBHOOK,
    "xml": ContactKind.WEBHOOK,
    "xmls": ContactKind.WEBHOOK,
    "slack": ContactKind.SLACK,
    "ntfy": ContactKind.NTFY,
    "ntfys": ContactKind.NTFY,
    "twilio": ContactKind.SMS,
    "vonage": ContactKind.SMS,
    "nexmo": ContactKind.SMS,
    "sns": ContactKind.SMS,
    "plivo": ContactKind.SMS,
    "sinch": ContactKind.SMS,
    "clicksend": ContactKind.SMS,
    "bulksms": ContactKind.SMS,
    "d7sms": ContactKind.SMS,
    "msgbird": ContactKind.SMS,
    "signal": ContactKind.SMS,
    "signals": ContactKind.SMS,
    "matrix": ContactKind.MATRIX,
    "matrixs": ContactKind.MATRIX,
    "tgram": ContactKind.TELEGRAM,
    "discord": ContactKind.DISCORD,
    "msteams": ContactKind.TEAMS,
    "pover": ContactKind.PUSH,
    "pbul": ContactKind.PUSH,
    "gotify": ContactKind.PUSH,
    "gotifys": ContactKind.PUSH,
}


def url_scheme(url: str) -> str:
    scheme, sep, _ = url.strip().partition("://")
    if not sep or not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
        raise DomainError(
            "a contact method is an Apprise URL such as mailto://…, json://… or slack://…"
        )
    return scheme.lower()


def contact_kind(url: str) -> ContactKind:
    return SCHEME_KINDS.get(url_scheme(url), ContactKind.OTHER)


@dataclass(frozen=True, slots=True)
class ContactMethod:
    id: int
    url: str

    def __post_init__(self) -> None:
        url_scheme(self.url)

    @property
    def kind(self) -> ContactKind:
        return contact_kind(self.url)


# Further than this, a "rule" is a reminder in a calendar, not paging.
MAX_RULE_DELAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """Notify through `method_id` `delay_minutes` after the person is paged."""

    method_id: int
    delay_minutes: float

    def __post_init__(self) -> None:
        delay = self.delay_minutes
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not math.isfinite(delay)
        ):
            raise DomainError("a notification rule's delay_minutes must be a finite number")
        if not 0 <= delay <= MAX_RULE_DELAY_MINUTES:
            raise DomainError(
                f"a notification rule's delay_minutes must be between 0 and "
                f"{MAX_RULE_DELAY_MINUTES} (got {delay})"
            )


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    method_id: int
    due_at: datetime
    # The rule's delay that planned it: a page keeps it in its once-only key.
    delay_minutes: float = field(default=0.0, compare=False)


def deliveries(page_time: datetime, rules: Iterable[NotificationRule]) -> list[PlannedDelivery]:
    """One delivery per rule at `page_time + delay`, soonest first (ties in rule order).
    The same method at the same delay twice is one delivery: the person gets one message."""
    if page_time.tzinfo is None:
        raise DomainError("page_time must carry a time zone")
    seen: set[tuple[int, timedelta]] = set()
    planned: list[PlannedDelivery] = []
    for rule in rules:
        delay = timedelta(minutes=rule.delay_minutes)
        if (rule.method_id, delay) in seen:
            continue
        seen.add((rule.method_id, delay))
        planned.append(PlannedDelivery(rule.method_id, page_time + delay, rule.delay_minutes))
    return sorted(planned, key=lambda delivery: delivery.due_at)


class Urgency(StrEnum):
    HIGH = "high"
    LOW = "low"


def urgency_of(severity: Severity | str) -> Urgency:
    """SEV-1 and SEV-2 page at once, always; SEV-3 and SEV-4 may wait for waking hours."""
    return Urgency.HIGH if Severity(severity).rank <= 2 else Urgency.LOW


@dataclass(frozen=True, slots=True)
class WakingHours:
    """When a person accepts low-urgency pages, in their own time zone. `end` before
    `start` spans midnight (a night shift: 22:00 to 06:00)."""

    start: time
    end: time
    time_zone: str

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise DomainError("waking hours are local wall-clock times without an offset")
        if self.start == self.end:
            raise DomainError("waking hours need a start and an end that differ")
        zone_of(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone)

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(
            f"unknown time zone '{name}'; use an IANA name like Europe/Berlin"
        ) from exc


def local_instant(day: date, wall: time, zone: tzinfo) -> datetime:
    """The first instant at which the clock in `zone` shows `wall` on `day`, or later.

    Ambiguous (a fall-back hour happens twice): the first occurrence. Nonexistent (the
    clock jumps over it in spring): it moves forward to the end of the jump, the first
    instant the clock shows a time at or after `wall` (02:30 in Berlin on a spring-forward
    day is 03:00 CEST)."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In a gap one fold lands before the jump and the other after it; search the whole
    # seconds in between for the jump itself (tz database transitions are on whole seconds).
    ends = (naive.replace(tzinfo=zone, fold=1).timestamp(), first.timestamp())
    low, high = math.floor(min(ends)), math.ceil(max(ends))
    while low < high:
        mid = (low + high) // 2
        shown = datetime.fromtimestamp(mid, zone).replace(tzinfo=None)
        if shown >= naive:
            high = mid
        else:
            low = mid + 1
    return datetime.fromtimestamp(low, UTC)


def deliver_at(
    *, severity: Severity | str, due_at: datetime, waking_hours: WakingHours | None
) -> datetime:
    """When a delivery due at `due_at` actually goes out. High urgency, or no waking hours
    set: at `due_at`. Low urgency outside waking hours: at the next start of waking hours
    in the person's zone (DST-safe, see `local_instant`). The escalation does not wait for
    this: its next level is due on its own schedule."""
    if due_at.tzinfo is None:
        raise DomainError("due_at must carry a time zone")
    if waking_hours is None or urgency_of(severity) is Urgency.HIGH:
        return due_at
    zone = waking_hours.zone
    local = due_at.astimezone(zone)
    if waking_hours.contains(local.time().replace(tzinfo=None)):
        return due_at
    day = local.date()
    if local.time() >= waking_hours.start:
        day += timedelta(days=1)
    # max(): in a repeated fall-back hour the window may already have opened at the first
    # occurrence of `start`; then it is open now.
    return max(due_at, local_instant(day, waking_hours.start, zone))


THROTTLE_WINDOW = timedelta(minutes=1)


def throttle(recent_sends: Sequence[datetime], now: datetime, per_minute: int) -> datetime:
    """The earliest time another message may go to one contact that allows `per_minute`
    messages in any sliding minute: `now` if it is under the limit, otherwise the moment
    enough of the recent sends leave the window."""
    if isinstance(per_minute, bool) or per_minute < 1:
        raise DomainError("a throttle allows at least one message a minute")
    window = sorted(at for at in recent_sends if now - THROTTLE_WINDOW < at <= now)
    if len(window) < per_minute:
        return now
    # The send that must leave the window to make room for one more.
    return window[len(window) - per_minute] + THROTTLE_WINDOW
