"""SPEC §2's metrics over plain values: hand-worked examples, and properties that hold
for any set of incidents."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.metrics import (
    IncidentTimes,
    figures,
    mtta_minutes,
    mttd_minutes,
    mttf_hours,
    mttr_minutes,
    repeat_incidents,
    report,
    response_target_compliance,
)
from warroom.domain.severity import Severity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def incident(
    *,
    start: float,
    ack: float | None = None,
    resolve: float | None = None,
    detect: float = 0.0,
    severity: Severity = Severity.SEV2,
    service: str = "checkout",
    target: float = 30.0,
    key: str | None = None,
) -> IncidentTimes:
    """Times in minutes from T0; detect, ack and resolve count from the start."""
    started = T0 + timedelta(minutes=start)
    triggered = started + timedelta(minutes=detect)
    return IncidentTimes(
        severity=severity,
        service=service,
        started_at=started,
        detected_at=triggered,
        triggered_at=triggered,
        acknowledged_at=None if ack is None else triggered + timedelta(minutes=ack),
        resolved_at=None if resolve is None else started + timedelta(minutes=resolve),
        response_target_minutes=target,
        dedup_key=key,
    )


def test_it_averages_acknowledgement_detection_and_resolution_times() -> None:
    incidents = [
        incident(start=0, detect=2, ack=4, resolve=60),
        incident(start=100, detect=4, ack=10, resolve=30),
        incident(start=200, detect=0),  # open, unacknowledged
    ]
    assert mtta_minutes(incidents) == pytest.approx(7.0)
    assert mttd_minutes(incidents) == pytest.approx(2.0)
    assert mttr_minutes(incidents) == pytest.approx(45.0)


def test_it_measures_time_between_failures_per_service_in_hours() -> None:
    incidents = [
        incident(start=0, resolve=60),  # resolved at 1 h
        incident(start=3 * 60, resolve=30),  # starts 2 h later
        incident(start=10 * 60, service="search", resolve=10),
        incident(start=11 * 60, service="search"),  # 50 min after search's last
        incident(start=3 * 60 + 10),  # overlaps checkout's previous one: no gap
    ]
    assert mttf_hours(incidents) == pytest.approx((2 + 50 / 60) / 2)


def test_compliance_counts_only_incidents_whose_outcome_is_known() -> None:
    now = T0 + timedelta(minutes=100)
    incidents = [
        incident(start=0, ack=10, target=30),  # met
        incident(start=0, ack=45, target=30),  # missed
        incident(start=0, target=30),  # never acknowledged, past its target: missed
        incident(start=90, target=30),  # still within its target: not decided yet
    ]
    assert response_target_compliance(incidents, now=now) == pytest.approx(1 / 3)
    assert response_target_compliance([incidents[3]], now=now) is None


def test_a_repeat_is_the_same_key_on_the_same_service_within_seven_days() -> None:
    day = 24 * 60
    first = incident(start=0, resolve=30, key="disk-full")
    again = incident(start=3 * day, key="disk-full")
    other_service = incident(start=3 * day, key="disk-full", service="search")
    too_late = incident(start=9 * day, key="disk-full")
    no_key = incident(start=day)
    assert repeat_incidents([first, again, other_service, too_late, no_key]) == 1
    # The earlier incident may lie before the period asked for.
    assert repeat_incidents([again], history=[first]) == 1


def test_nothing_to_measure_gives_none_not_zero() -> None:
    empty = figures([], now=T0)
    assert empty.total_incidents == 0
    assert empty.mtta_minutes is None
    assert empty.mttr_minutes is None
    assert empty.mttf_hours is None
    assert empty.response_target_compliance is None


times = st.floats(min_value=0, max_value=10_000, allow_nan=False)
incidents_strategy = st.lists(
    st.builds(
        incident,
        start=times,
        ack=st.none() | st.floats(min_value=0, max_value=500),
        resolve=st.none() | st.floats(min_value=0, max_value=5_000),
        detect=st.floats(min_value=0, max_value=60),
        severity=st.sampled_from(Severity),
        service=st.sampled_from(["checkout", "search", "ledger"]),
        target=st.sampled_from([15.0, 30.0, 120.0]),
        key=st.none() | st.sampled_from(["a", "b"]),
    ),
    max_size=25,
)


@given(incidents_strategy)
def test_the_breakdowns_add_up_to_the_whole(incidents: list[IncidentTimes]) -> None:
    now = T0 + timedelta(days=30)
    result = report(incidents, now=now)
    assert sum(f.total_incidents for f in result.by_severity.values()) == len(incidents)
    assert sum(f.total_incidents for f in result.by_service.values()) == len(incidents)
    # Repeats are about one service's history, so per-service counts add up exactly.
    assert sum(f.repeat_incidents for f in result.by_service.values()) == (
        result.overall.repeat_incidents
    )
    compliance = result.overall.response_target_compliance
    assert compliance is None or 0.0 <= compliance <= 1.0


@given(incidents_strategy)
def test_the_overall_mean_weighs_each_group_by_its_size(incidents: list[IncidentTimes]) -> None:
    result = report(incidents, now=T0)
    acknowledged = {
        s: sum(i.acknowledged_at is not None for i in incidents if i.severity is s)
        for s in Severity
    }
    total = sum(acknowledged.values())
    if total == 0:
        assert result.overall.mtta_minutes is None
        return
    weighted = sum(
        (result.by_severity[s].mtta_minutes or 0.0) * n for s, n in acknowledged.items() if n
    )
    assert result.overall.mtta_minutes == pytest.approx(weighted / total)
