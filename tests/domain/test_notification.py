"""Notifying one person: which contact method when, urgency against their waking hours in
their own time zone (across DST changes), and per-contact throttling. Pure."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.errors import DomainError
from warroom.domain.notification import (
    ContactKind,
    ContactMethod,
    NotificationRule,
    PlannedDelivery,
    Urgency,
    WakingHours,
    contact_kind,
    deliver_at,
    deliveries,
    local_instant,
    throttle,
    urgency_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
T = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("mailto://user:pass@example.com", ContactKind.EMAIL),
        ("mailtos://smtp.example.com?to=a@example.com", ContactKind.EMAIL),
        ("json://hooks.example.com/page", ContactKind.WEBHOOK),
        ("JSONS://hooks.example.com/page", ContactKind.WEBHOOK),
        ("slack://T000/B000/XXXX", ContactKind.SLACK),
        ("ntfys://ntfy.example.com/topic", ContactKind.NTFY),
        ("twilio://sid:token@15551234567/15557654321", ContactKind.SMS),
        ("somethingnew://x", ContactKind.OTHER),
    ],
)
def test_it_derives_the_contact_kind_from_the_url_scheme(url: str, kind: ContactKind) -> None:
    assert contact_kind(url) is kind


def test_it_refuses_a_contact_method_that_is_not_a_url() -> None:
    with pytest.raises(DomainError, match="Apprise URL"):
        ContactMethod(1, "alice@example.com")
    assert ContactMethod(1, "mailto://alice@example.com").kind is ContactKind.EMAIL


def test_it_plans_one_delivery_per_rule_soonest_first() -> None:
    rules = [
        NotificationRule(method_id=2, delay_minutes=5),
        NotificationRule(method_id=1, delay_minutes=0),
        NotificationRule(method_id=3, delay_minutes=2.5),
        NotificationRule(method_id=1, delay_minutes=0),  # the same rule twice: one message
        NotificationRule(method_id=1, delay_minutes=10),
    ]
    assert deliveries(T, rules) == [
        PlannedDelivery(1, T),
        PlannedDelivery(3, T + timedelta(seconds=150)),
        PlannedDelivery(2, T + 5 * MIN),
        PlannedDelivery(1, T + 10 * MIN),
    ]


@pytest.mark.parametrize("delay", [-1, float("nan"), float("inf"), 24 * 60 + 1])
def test_it_refuses_a_rule_with_an_impossible_delay(delay: float) -> None:
    with pytest.raises(DomainError, match="delay_minutes"):
        NotificationRule(method_id=1, delay_minutes=delay)


def test_it_treats_sev1_and_sev2_as_high_urgency() -> None:
    assert [urgency_of(s) for s in ("SEV-1", "SEV-2", "SEV-3", "SEV-4")] == [
        Urgency.HIGH,
        Urgency.HIGH,
        Urgency.LOW,
        Urgency.LOW,
    ]


def _berlin_day() -> WakingHours:
    return WakingHours(start=time(8, 0), end=time(22, 0), time_zone="Europe/Berlin")


def test_it_pages_sev1_at_once_even_outside_waking_hours() -> None:
    night = datetime(2026, 6, 2, 3, 0, tzinfo=BERLIN)
    for severity in ("SEV-1", "SEV-2"):
        assert deliver_at(severity=severity, due_at=night, waking_hours=_berlin_day()) == night


def test_it_holds_a_low_urgency_page_until_waking_hours_start() -> None:
    night = datetime(2026, 6, 2, 3, 0, tzinfo=BERLIN)
    late = datetime(2026, 6, 2, 23, 0, tzinfo=BERLIN)
    day = datetime(2026, 6, 2, 13, 0, tzinfo=BERLIN)
    hours = _berlin_day()
    assert deliver_at(severity="SEV-3", due_at=night, waking_hours=hours) == datetime(
        2026, 6, 2, 8, 0, tzinfo=BERLIN
    )
    assert deliver_at(severity="SEV-4", due_at=late, waking_hours=hours) == datetime(
        2026, 6, 3, 8, 0, tzinfo=BERLIN
    )
    assert deliver_at(severity="SEV-4", due_at=day, waking_hours=hours) == day
    assert deliver_at(severity="SEV-4", due_at=night, waking_hours=None) == night


def test_it_keeps_the_local_start_across_dst_changes_in_berlin() -> None:
    hours = _berlin_day()
    # The night before spring forward (29 March 2026) and before fall back (25 October).
    spring = deliver_at(
        severity="SEV-3", due_at=datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN), waking_hours=hours
    )
    autumn = deliver_at(
        severity="SEV-3", due_at=datetime(2026, 10, 24, 23, 30, tzinfo=BERLIN), waking_hours=hours
    )
    assert spring == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert autumn == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_it_keeps_the_local_start_across_dst_changes_in_new_york() -> None:
    hours = WakingHours(start=time(7, 30), end=time(21, 0), time_zone="America/New_York")
    spring = deliver_at(
        severity="SEV-4", due_at=datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK), waking_hours=hours
    )
    autumn = deliver_at(
        severity="SEV-4", due_at=datetime(2026, 11, 1, 1, 0, tzinfo=NEW_YORK), waking_hours=hours
    )
    assert spring == datetime(2026, 3, 8, 11, 30, tzinfo=UTC)  # 07:30 EDT
    assert autumn == datetime(2026, 11, 1, 12, 30, tzinfo=UTC)  # 07:30 EST


def test_it_moves_a_start_that_does_not_exist_forward_to_the_end_of_the_jump() -> None:
    # 02:30 does not happen on spring-forward days; the clock goes 01:59:59 → 03:00.
    berlin = WakingHours(start=time(2, 30), end=time(20, 0), time_zone="Europe/Berlin")
    got = deliver_at(
        severity="SEV-3", due_at=datetime(2026, 3, 29, 0, 15, tzinfo=UTC), waking_hours=berlin
    )
    assert got == datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN)
    assert local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK) == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC
    )
    # An ambiguous start is its first occurrence.
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_it_handles_waking_hours_that_span_midnight() -> None:
    night_shift = WakingHours(start=time(22, 0), end=time(6, 0), time_zone="Europe/Berlin")
    at_two = datetime(2026, 6, 2, 2, 0, tzinfo=BERLIN)
    at_noon = datetime(2026, 6, 2, 12, 0, tzinfo=BERLIN)
    assert deliver_at(severity="SEV-3", due_at=at_two, waking_hours=night_shift) == at_two
    assert deliver_at(severity="SEV-3", due_at=at_noon, waking_hours=night_shift) == datetime(
        2026, 6, 2, 22, 0, tzinfo=BERLIN
    )


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
    st.times(),
    st.times(),
)
def test_it_never_pages_earlier_and_lands_inside_waking_hours(
    due_at: datetime, zone: str, start: time, end: time
) -> None:
    if start == end:
        return
    hours = WakingHours(start=start, end=end, time_zone=zone)
    got = deliver_at(severity="SEV-4", due_at=due_at, waking_hours=hours)
    assert got >= due_at
    assert got - due_at <= timedelta(days=1, hours=2)
    if got != due_at:
        local = got.astimezone(ZoneInfo(zone)).time()
        # Inside the window, or the window's start was skipped by a DST jump.
        assert hours.contains(local) or local >= start


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": time(8), "end": time(8), "time_zone": "UTC"}, "differ"),
        ({"start": time(8), "end": time(20), "time_zone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_it_refuses_impossible_waking_hours(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        WakingHours(**kwargs)  # type: ignore[arg-type]


def test_it_throttles_to_the_allowed_sends_per_minute() -> None:
    now = T
    sends = [now - timedelta(seconds=s) for s in (50, 30, 10)]
    assert throttle(sends, now, per_minute=4) == now
    # Full: the next slot opens when the oldest send leaves the minute.
    assert throttle(sends, now, per_minute=3) == now + timedelta(seconds=10)
    assert throttle(sends, now, per_minute=2) == now + timedelta(seconds=30)
    # Sends older than a minute do not count.
    assert throttle([now - timedelta(seconds=61)] * 5, now, per_minute=1) == now
    with pytest.raises(DomainError):
        throttle([], now, per_minute=0)


@given(
    st.lists(st.integers(min_value=0, max_value=120), max_size=20),
    st.integers(min_value=1, max_value=5),
)
def test_it_never_lets_more_than_the_limit_through_in_a_minute(
    ages: list[int], per_minute: int
) -> None:
    sends = [T - timedelta(seconds=a) for a in ages]
    at = throttle(sends, T, per_minute)
    assert at >= T
    in_window = [s for s in sends if at - timedelta(minutes=1) < s <= at]
    assert len(in_window) < per_minute
