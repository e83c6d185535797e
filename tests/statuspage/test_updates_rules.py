"""The pure rules of stakeholder updates: the postmortem status, the wait by severity,
cadence compliance and how the time to the next update is counted."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.comms import (
    UpdateKind,
    UpdateStatus,
    cadence_compliance,
    minutes_until,
    plan_update,
    update_cadence,
)
from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.domain.statuspage import UPDATE_CADENCE_MINUTES

T = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("current", [Status.RESOLVED, Status.CLOSED])
def test_postmortem_is_announced_after_resolution_without_moving_or_promising(
    current: Status,
) -> None:
    plan = plan_update(UpdateKind.UPDATE, current, UpdateStatus.POSTMORTEM, 30)
    assert plan.announced is UpdateStatus.POSTMORTEM
    assert plan.move_to is None
    assert plan.next_update_minutes is None


@pytest.mark.parametrize(
    "current",
    [Status.TRIGGERED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MONITORING],
)
def test_postmortem_is_refused_while_the_incident_is_open(current: Status) -> None:
    with pytest.raises(DomainError, match="resolved or closed"):
        plan_update(UpdateKind.UPDATE, current, UpdateStatus.POSTMORTEM)


@pytest.mark.parametrize("kind", [UpdateKind.INITIAL, UpdateKind.RESOLUTION])
def test_postmortem_is_announced_with_kind_update_only(kind: UpdateKind) -> None:
    with pytest.raises(DomainError):
        plan_update(kind, Status.RESOLVED, UpdateStatus.POSTMORTEM)


@pytest.mark.parametrize("severity", list(Severity))
def test_the_next_update_defaults_to_the_severity_cadence(severity: Severity) -> None:
    plan = plan_update(UpdateKind.UPDATE, Status.INVESTIGATING, severity=severity)
    assert plan.next_update_minutes == UPDATE_CADENCE_MINUTES[severity]
    assert update_cadence(severity) == UPDATE_CADENCE_MINUTES[severity]
    assert plan_update(UpdateKind.UPDATE, Status.INVESTIGATING, None, 7, severity=severity) == (
        plan_update(UpdateKind.UPDATE, Status.INVESTIGATING, None, 7)
    )
    assert (
        plan_update(UpdateKind.RESOLUTION, Status.MONITORING, severity=severity).next_update_minutes
        is None
    )


def test_the_cadence_gets_longer_as_severity_falls() -> None:
    waits = [
        UPDATE_CADENCE_MINUTES[s]
        for s in (Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4)
    ]
    assert waits == sorted(waits)
    assert waits[0] == 30


@given(on_time=st.integers(0, 1000), late=st.integers(0, 1000))
def test_compliance_is_the_share_of_promises_kept(on_time: int, late: int) -> None:
    share = cadence_compliance(on_time, late)
    if on_time + late == 0:
        assert share is None
    else:
        assert share is not None
        assert 0.0 <= share <= 1.0
        assert share * (on_time + late) == pytest.approx(on_time)


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [
        (timedelta(minutes=30), 30),
        (timedelta(seconds=30), 1),
        (timedelta(minutes=29, seconds=1), 30),
        (timedelta(0), 0),
        (-timedelta(seconds=10), -1),
        (-timedelta(minutes=12), -12),
        (-timedelta(minutes=12, seconds=1), -13),
    ],
)
def test_minutes_until_rounds_away_from_now(offset: timedelta, minutes: int) -> None:
    assert minutes_until(T + offset, T) == minutes
