"""Stakeholder updates: the reference practice's three templates and their wording.

Rendering goes through warroom.incidents.comms.render_update, which is pure (a sandboxed
Jinja2 environment, no I/O), so these stay database-free."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.comms import (
    TEMPLATES,
    UpdateFacts,
    UpdateKind,
    UpdateStatus,
    describe_minutes,
    plan_update,
    public_status,
)
from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status
from warroom.incidents.comms import render_update

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _facts(**kwargs: object) -> UpdateFacts:
    base: dict[str, object] = {
        "service": "checkout",
        "affected_services": ["checkout"],
        "status": UpdateStatus.INVESTIGATING,
        "started_at": T0,
        "now": T0 + timedelta(minutes=10),
    }
    return UpdateFacts(**(base | kwargs))  # type: ignore[arg-type]


def test_it_renders_the_initial_notification_in_the_reference_wording() -> None:
    body = render_update(UpdateKind.INITIAL, _facts(status_page_url="https://x.test/status"))
    lines = body.splitlines()
    assert lines[0] == "We are currently investigating reports of checkout issues."
    assert "Our team is actively working on the problem." in lines
    assert "Affected services: checkout" in lines
    assert "Next update in: 30 minutes" in lines
    assert "Status page: https://x.test/status" in lines


def test_it_renders_a_progress_update_with_status_and_next_update() -> None:
    body = render_update(
        UpdateKind.UPDATE,
        _facts(
            status=UpdateStatus.IDENTIFIED,
            progress="Bad deploy rolled back.",
            impact="Payments fail for 5% of users.",
            next_update_minutes=90,
        ),
    )
    lines = body.splitlines()
    assert lines[0] == "Update on checkout incident:"
    assert "Current status: Identified" in lines
    assert "Progress: Bad deploy rolled back." in lines
    assert "Current impact: Payments fail for 5% of users." in lines
    assert "Next update in: 1 hour 30 minutes" in lines


def test_it_renders_the_resolution_notice_in_the_reference_wording() -> None:
    body = render_update(
        UpdateKind.RESOLUTION,
        _facts(
            status=UpdateStatus.RESOLVED,
            resolved_at=T0 + timedelta(hours=1),
            root_cause="An expired certificate.",
            next_update_minutes=None,
        ),
    )
    lines = body.splitlines()
    assert lines[0] == "The checkout incident has been resolved."
    assert "Duration: 2026-01-05 09:00 UTC - 2026-01-05 10:00 UTC" in lines
    assert "Root cause: An expired certificate." in lines
    assert "A detailed postmortem will follow." in lines
    assert lines[-1] == "Thank you for your patience."


@pytest.mark.parametrize("kind", list(UpdateKind))
def test_it_fills_every_placeholder_even_with_no_facts_given(kind: UpdateKind) -> None:
    body = render_update(
        kind, _facts(affected_services=[], impact=None, progress=None, root_cause=None)
    )
    assert "{{" not in body
    assert "None" not in body
    for line in body.splitlines():
        assert not line.endswith(": "), f"blank placeholder in {line!r}"


def test_it_lists_several_affected_services() -> None:
    body = render_update(UpdateKind.INITIAL, _facts(affected_services=["api", "checkout"]))
    assert "Affected services: api, checkout" in body.splitlines()


def test_it_says_when_there_is_no_next_update_time() -> None:
    body = render_update(UpdateKind.UPDATE, _facts(next_update_minutes=None))
    assert "Next update in: when there is news" in body.splitlines()


def test_it_keeps_people_typed_text_as_plain_text() -> None:
    body = render_update(UpdateKind.UPDATE, _facts(progress="<b>{{ 7*7 }}</b> & more"))
    assert "Progress: <b>{{ 7*7 }}</b> & more" in body.splitlines()


def test_it_has_one_template_per_kind() -> None:
    assert set(TEMPLATES) == set(UpdateKind)


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (1, "1 minute"),
        (30, "30 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (121, "2 hours 1 minute"),
        (0, "0 minutes"),
    ],
)
def test_it_describes_waits_the_way_people_say_them(minutes: int, said: str) -> None:
    assert describe_minutes(minutes) == said


@given(st.integers(min_value=1, max_value=7 * 24 * 60))
def test_it_describes_any_wait_in_whole_hours_and_minutes(minutes: int) -> None:
    words = describe_minutes(minutes).split()
    hours = int(words[0]) if words[1].startswith("hour") else 0
    rest = int(words[-2]) if words[-1].startswith("minute") else 0
    assert hours * 60 + rest == minutes


def test_it_shows_stakeholders_a_public_status_for_every_incident_status() -> None:
    assert {s: public_status(s) for s in Status} == {
        Status.TRIGGERED: UpdateStatus.INVESTIGATING,
        Status.ACKNOWLEDGED: UpdateStatus.INVESTIGATING,
        Status.INVESTIGATING: UpdateStatus.INVESTIGATING,
        Status.IDENTIFIED: UpdateStatus.IDENTIFIED,
        Status.MONITORING: UpdateStatus.MONITORING,
        Status.RESOLVED: UpdateStatus.RESOLVED,
        Status.CLOSED: UpdateStatus.RESOLVED,
    }


def test_it_announces_resolved_for_a_resolution_and_moves_the_incident_there() -> None:
    plan = plan_update(UpdateKind.RESOLUTION, Status.MONITORING)
    assert plan.announced is UpdateStatus.RESOLVED
    assert plan.move_to is Status.RESOLVED
    assert plan.next_update_minutes is None


def test_it_refuses_a_resolution_that_announces_another_status() -> None:
    with pytest.raises(DomainError, match="resolution"):
        plan_update(UpdateKind.RESOLUTION, Status.MONITORING, UpdateStatus.INVESTIGATING)


def test_it_keeps_the_public_status_when_an_update_names_none() -> None:
    plan = plan_update(UpdateKind.UPDATE, Status.MONITORING)
    assert plan.announced is UpdateStatus.MONITORING
    assert plan.move_to is None
    assert plan.next_update_minutes == 30


def test_it_moves_the_incident_to_the_status_an_update_names() -> None:
    assert plan_update(UpdateKind.UPDATE, Status.MONITORING, UpdateStatus.IDENTIFIED).move_to is (
        Status.IDENTIFIED
    )
    # "Investigating" is already the public face of a triggered incident, but naming it
    # still means the team has started: the incident moves.
    assert plan_update(
        UpdateKind.INITIAL, Status.TRIGGERED, UpdateStatus.INVESTIGATING
    ).move_to is (Status.INVESTIGATING)
    assert (
        plan_update(UpdateKind.UPDATE, Status.IDENTIFIED, UpdateStatus.IDENTIFIED).move_to is None
    )
