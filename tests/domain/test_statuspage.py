"""The status page's pure rules: a component's status, the page's indicator, maintenance
moves and the uptime bars."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.components import ComponentStatus, worse
from warroom.domain.errors import DomainError
from warroom.domain.severity import Severity
from warroom.domain.statuspage import (
    MAINTENANCE_MOVES,
    UPDATE_CADENCE_MINUTES,
    Impact,
    MaintenanceStatus,
    StatusChange,
    component_status,
    impact_of,
    move_maintenance,
    page_indicator,
    uptime_days,
    uptime_percent,
)

CS = ComponentStatus
DAY = date(2026, 11, 1)
MIDNIGHT = datetime(2026, 11, 1, tzinfo=UTC)


def test_it_keeps_a_component_operational_with_nothing_wrong() -> None:
    assert component_status(manual=CS.OPERATIONAL, incident_statuses=[], in_maintenance=False) == (
        CS.OPERATIONAL
    )


def test_it_shows_the_worst_of_hand_status_and_open_incidents() -> None:
    status = component_status(
        manual=CS.DEGRADED_PERFORMANCE,
        incident_statuses=[CS.PARTIAL_OUTAGE, CS.DEGRADED_PERFORMANCE],
        in_maintenance=False,
    )
    assert status is CS.PARTIAL_OUTAGE


def test_it_shows_maintenance_unless_something_worse_is_happening() -> None:
    quiet = component_status(manual=CS.OPERATIONAL, incident_statuses=[], in_maintenance=True)
    broken = component_status(
        manual=CS.OPERATIONAL, incident_statuses=[CS.MAJOR_OUTAGE], in_maintenance=True
    )
    assert quiet is CS.UNDER_MAINTENANCE
    assert broken is CS.MAJOR_OUTAGE


@given(
    manual=st.sampled_from(CS),
    incidents=st.lists(st.sampled_from(CS), max_size=5),
    maintenance=st.booleans(),
)
def test_it_is_never_better_than_any_of_its_inputs(
    manual: CS, incidents: list[CS], maintenance: bool
) -> None:
    status = component_status(
        manual=manual, incident_statuses=incidents, in_maintenance=maintenance
    )
    inputs = [manual, *incidents] + ([CS.UNDER_MAINTENANCE] if maintenance else [])
    assert status in inputs
    assert not any(worse(i, status) for i in inputs)


@pytest.mark.parametrize(
    ("statuses", "impacts", "indicator", "description"),
    [
        ([], [], Impact.NONE, "All Systems Operational"),
        ([CS.OPERATIONAL, CS.OPERATIONAL], [], Impact.NONE, "All Systems Operational"),
        ([CS.UNDER_MAINTENANCE], [], Impact.NONE, "Service Under Maintenance"),
        ([CS.DEGRADED_PERFORMANCE], [], Impact.MINOR, "Minor Service Outage"),
        ([CS.PARTIAL_OUTAGE, CS.OPERATIONAL], [], Impact.MAJOR, "Partial System Outage"),
        ([CS.MAJOR_OUTAGE, CS.PARTIAL_OUTAGE], [], Impact.CRITICAL, "Major System Outage"),
        # An open incident that touches no component still says something is wrong.
        ([CS.OPERATIONAL], [Impact.MINOR], Impact.MINOR, "Minor Service Outage"),
        ([CS.DEGRADED_PERFORMANCE], [Impact.CRITICAL], Impact.CRITICAL, "Major System Outage"),
        ([CS.OPERATIONAL], [Impact.NONE], Impact.NONE, "All Systems Operational"),
    ],
)
def test_it_words_the_page_indicator_like_statuspage(
    statuses: list[CS], impacts: list[Impact], indicator: Impact, description: str
) -> None:
    result = page_indicator(statuses, impacts)
    assert (result.indicator, result.description) == (indicator, description)


def test_it_derives_impact_from_severity_unless_chosen() -> None:
    assert impact_of(Severity.SEV1) is Impact.CRITICAL
    assert impact_of(Severity.SEV4) is Impact.NONE
    assert impact_of(Severity.SEV1, Impact.MINOR) is Impact.MINOR


def test_it_expects_updates_more_often_the_worse_the_incident() -> None:
    minutes = [UPDATE_CADENCE_MINUTES[s] for s in Severity]
    assert minutes[:2] == [30, 60]
    assert minutes == sorted(minutes)


def test_it_moves_a_maintenance_through_its_states() -> None:
    status = MaintenanceStatus.SCHEDULED
    for wanted in (
        MaintenanceStatus.IN_PROGRESS,
        MaintenanceStatus.VERIFYING,
        MaintenanceStatus.COMPLETED,
    ):
        status = move_maintenance(status, wanted)
    assert status is MaintenanceStatus.COMPLETED


def test_it_names_the_allowed_moves_when_refusing_one() -> None:
    with pytest.raises(DomainError, match="allowed: completed, in_progress"):
        move_maintenance(MaintenanceStatus.SCHEDULED, MaintenanceStatus.VERIFYING)
    with pytest.raises(DomainError, match="completed"):
        move_maintenance(MaintenanceStatus.COMPLETED, MaintenanceStatus.IN_PROGRESS)


@given(st.lists(st.sampled_from(MaintenanceStatus), max_size=12))
def test_it_never_leaves_completed(moves: list[MaintenanceStatus]) -> None:
    status = MaintenanceStatus.SCHEDULED
    completed = False
    for wanted in moves:
        if wanted in MAINTENANCE_MOVES[status]:
            status = move_maintenance(status, wanted)
        else:
            with pytest.raises(DomainError):
                move_maintenance(status, wanted)
        completed = completed or status is MaintenanceStatus.COMPLETED
        assert status is MaintenanceStatus.COMPLETED or not completed


def test_it_counts_a_major_outage_in_full_and_a_partial_one_at_thirty_percent() -> None:
    changes = [
        StatusChange(MIDNIGHT + timedelta(hours=1), CS.MAJOR_OUTAGE),
        StatusChange(MIDNIGHT + timedelta(hours=2), CS.PARTIAL_OUTAGE),
        StatusChange(MIDNIGHT + timedelta(hours=12), CS.OPERATIONAL),
    ]
    [day] = uptime_days(
        changes,
        created_at=MIDNIGHT - timedelta(days=30),
        first_day=DAY,
        days=1,
        now=MIDNIGHT + timedelta(days=3),
    )
    down_hours = 1 + 10 * 0.3
    assert day.uptime == pytest.approx(1 - down_hours / 24)
    assert day.worst is CS.MAJOR_OUTAGE
    assert day.outage_seconds == {CS.MAJOR_OUTAGE: 3600.0, CS.PARTIAL_OUTAGE: 36000.0}


def test_it_carries_a_status_over_midnight_into_the_next_day() -> None:
    changes = [StatusChange(MIDNIGHT + timedelta(hours=18), CS.MAJOR_OUTAGE)]
    first, second = uptime_days(
        changes,
        created_at=MIDNIGHT,
        first_day=DAY,
        days=2,
        now=MIDNIGHT + timedelta(days=1, hours=12),
    )
    assert first.uptime == pytest.approx(0.75)
    # The current day counts up to now only: 12 hours, all of them down.
    assert second.uptime == pytest.approx(0.0)
    assert second.worst is CS.MAJOR_OUTAGE


def test_it_shows_no_data_before_the_component_existed_and_ignores_maintenance() -> None:
    created = MIDNIGHT + timedelta(days=1, hours=6)
    changes = [
        StatusChange(created + timedelta(hours=1), CS.UNDER_MAINTENANCE),
        StatusChange(created + timedelta(hours=2), CS.DEGRADED_PERFORMANCE),
    ]
    before, after = uptime_days(
        changes, created_at=created, first_day=DAY, days=2, now=MIDNIGHT + timedelta(days=5)
    )
    assert before.uptime is None
    assert after.uptime == 1.0
    assert after.worst is CS.DEGRADED_PERFORMANCE
    assert uptime_percent([before, after]) == 100.0


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=3 * 24 * 60), st.sampled_from(CS)),
        max_size=12,
    )
)
def test_uptime_is_a_share_of_each_day_and_matches_minute_sampling(
    raw: list[tuple[int, CS]],
) -> None:
    changes = [StatusChange(MIDNIGHT + timedelta(minutes=m), s) for m, s in raw]
    days = uptime_days(
        changes,
        created_at=MIDNIGHT,
        first_day=DAY,
        days=3,
        now=MIDNIGHT + timedelta(days=3),
    )
    ordered = sorted(changes, key=lambda c: c.at)
    weight = {CS.PARTIAL_OUTAGE: 0.3, CS.MAJOR_OUTAGE: 1.0}
    for index, day in enumerate(days):
        assert day.uptime is not None
        assert 0.0 <= day.uptime <= 1.0
        # An independent count: the status at the start of each minute of the day.
        down = 0.0
        for minute in range(24 * 60):
            at = MIDNIGHT + timedelta(days=index, minutes=minute)
            status = CS.OPERATIONAL
            for change in ordered:
                if change.at <= at:
                    status = change.status
            down += weight.get(status, 0.0)
        assert day.uptime == pytest.approx(1 - down / (24 * 60), abs=1e-9)
