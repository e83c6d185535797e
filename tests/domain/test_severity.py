"""Severities and their trigger-to-acknowledge response targets (SPEC §2)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.severity import (
    DEFAULT_RESPONSE_TARGETS_MINUTES,
    Severity,
    response_target,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

severities = st.sampled_from(list(Severity))
offsets = st.integers(min_value=-3 * 24 * 3600, max_value=3 * 24 * 3600).map(
    lambda s: timedelta(seconds=s)
)


def test_it_uses_the_spec_default_targets() -> None:
    assert dict(DEFAULT_RESPONSE_TARGETS_MINUTES) == {
        Severity.SEV1: 15,
        Severity.SEV2: 30,
        Severity.SEV3: 120,
        Severity.SEV4: 24 * 60,
    }
    assert [s.value for s in Severity] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert [s.rank for s in Severity] == [1, 2, 3, 4]


def test_it_puts_the_due_time_one_target_after_the_trigger() -> None:
    for severity, minutes in DEFAULT_RESPONSE_TARGETS_MINUTES.items():
        target = response_target(severity=severity, triggered_at=T0, acknowledged_at=None, now=T0)
        assert target.minutes == minutes
        assert target.due_at == T0 + timedelta(minutes=minutes)
        assert target.seconds_left == minutes * 60
        assert not target.breached


@settings(max_examples=200)
@given(severities, offsets, offsets)
def test_it_breaches_exactly_when_the_acknowledgement_came_after_the_due_time(
    severity: Severity, ack_after: timedelta, now_after: timedelta
) -> None:
    acked = T0 + abs(ack_after)
    target = response_target(
        severity=severity, triggered_at=T0, acknowledged_at=acked, now=acked + abs(now_after)
    )
    assert target.breached == (acked > target.due_at)
    # Once acknowledged the clock has stopped: nothing is left to count down.
    assert target.seconds_left is None


@settings(max_examples=200)
@given(severities, offsets)
def test_it_breaches_an_unacknowledged_incident_once_now_is_past_the_due_time(
    severity: Severity, elapsed: timedelta
) -> None:
    now = T0 + abs(elapsed)
    target = response_target(severity=severity, triggered_at=T0, acknowledged_at=None, now=now)
    assert target.breached == (now > target.due_at)
    assert target.seconds_left == (target.due_at - now).total_seconds()


def test_it_counts_an_acknowledgement_at_the_due_second_as_on_time() -> None:
    due = T0 + timedelta(minutes=15)
    on_time = response_target(severity=Severity.SEV1, triggered_at=T0, acknowledged_at=due, now=due)
    late = response_target(
        severity=Severity.SEV1,
        triggered_at=T0,
        acknowledged_at=due + timedelta(seconds=1),
        now=due + timedelta(seconds=1),
    )
    assert not on_time.breached
    assert late.breached


def test_it_counts_down_and_then_goes_negative_while_nobody_acknowledges() -> None:
    before = response_target(
        severity=Severity.SEV2,
        triggered_at=T0,
        acknowledged_at=None,
        now=T0 + timedelta(minutes=20),
    )
    after = response_target(
        severity=Severity.SEV2,
        triggered_at=T0,
        acknowledged_at=None,
        now=T0 + timedelta(minutes=31),
    )
    assert before.seconds_left == 600
    assert not before.breached
    assert after.seconds_left == -60
    assert after.breached


def test_it_honours_configured_targets() -> None:
    target = response_target(
        severity=Severity.SEV3,
        triggered_at=T0,
        acknowledged_at=None,
        now=T0 + timedelta(minutes=10),
        targets={Severity.SEV3: 5.5},
    )
    assert target.minutes == 5.5
    assert target.due_at == T0 + timedelta(minutes=5, seconds=30)
    assert target.breached
