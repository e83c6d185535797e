"""The initial response checklist (SPEC §2): ten items in order, each ticked by an event
or by hand, and a compliance score."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain import checklist
from warroom.domain.checklist import IncidentFacts, newly_completed, report, satisfied
from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status
from warroom.domain.roles import Role, team_assembled

SPEC_ITEMS = [
    "Acknowledge incident",
    "Assess severity",
    "Assemble response team",
    "Create incident channel/bridge",
    "Begin investigation",
    "Communicate status",
    "Implement fixes",
    "Verify resolution",
    "Document timeline",
    "Schedule postmortem",
]

item_numbers = st.sets(st.integers(min_value=1, max_value=10))
roles = st.dictionaries(st.sampled_from(list(Role)), st.sampled_from(["ada", "rita", "vic"]))


@st.composite
def facts(draw: st.DrawFn) -> IncidentFacts:
    return IncidentFacts(
        status=draw(st.sampled_from(list(Status))),
        acknowledged=draw(st.booleans()),
        severity_assessed=draw(st.booleans()),
        roles=draw(roles),
        room_opened=draw(st.booleans()),
        update_published=draw(st.booleans()),
        postmortem_timeline_generated=draw(st.booleans()),
        postmortem_meeting_set=draw(st.booleans()),
    )


def test_it_lists_the_ten_items_of_the_spec_in_order() -> None:
    assert list(checklist.ITEMS) == SPEC_ITEMS
    assert len(checklist.COMPLETED_BY) == len(SPEC_ITEMS)


def test_it_numbers_items_from_one_and_refuses_others() -> None:
    assert checklist.item_name(1) == "Acknowledge incident"
    assert checklist.item_name(10) == "Schedule postmortem"
    for bad in (0, 11, -1):
        with pytest.raises(DomainError, match="1 to 10"):
            checklist.item_name(bad)


@given(item_numbers)
def test_it_scores_compliance_as_the_share_of_items_completed(done: set[int]) -> None:
    result = report(done)
    assert result.compliance == len(done) / 10
    assert len(result.completed) == len(done)
    assert set(result.completed) | set(result.missing) == set(SPEC_ITEMS)
    assert not set(result.completed) & set(result.missing)
    # Both lists keep the checklist's order.
    assert result.completed == [name for name in SPEC_ITEMS if name in result.completed]
    assert result.missing == [name for name in SPEC_ITEMS if name in result.missing]


def test_it_reports_nothing_done_as_zero_and_everything_done_as_one() -> None:
    assert report([]).compliance == 0.0
    assert report([]).missing == SPEC_ITEMS
    assert report(range(1, 11)).compliance == 1.0
    assert report(range(1, 11)).missing == []


@settings(max_examples=200)
@given(facts(), item_numbers)
def test_it_never_returns_an_item_that_is_already_completed(
    state: IncidentFacts, done: set[int]
) -> None:
    new = newly_completed(state, done)
    assert not set(new) & done
    assert set(new) | done == satisfied(state) | done
    assert new == sorted(new)


def _only(**kwargs: object) -> set[int]:
    base: dict[str, object] = {"status": Status.TRIGGERED}
    return satisfied(IncidentFacts(**(base | kwargs)))  # type: ignore[arg-type]


def test_it_ticks_nothing_for_a_fresh_triggered_incident() -> None:
    assert _only() == set()


def test_it_maps_each_fact_to_its_item() -> None:
    assert _only(acknowledged=True) == {1}
    assert _only(severity_assessed=True) == {2}
    assert _only(room_opened=True) == {4}
    assert _only(update_published=True) == {6}
    assert _only(postmortem_timeline_generated=True) == {9}
    assert _only(postmortem_meeting_set=True) == {10}


def test_it_ticks_the_status_items_as_the_incident_moves_forward() -> None:
    assert _only(status=Status.ACKNOWLEDGED) == set()
    assert _only(status=Status.INVESTIGATING) == {5}
    assert _only(status=Status.IDENTIFIED) == {5}
    assert _only(status=Status.MONITORING) == {5, 7}
    assert _only(status=Status.RESOLVED) == {5, 7, 8}
    assert _only(status=Status.CLOSED) == {5, 7, 8}


def test_it_needs_a_commander_and_one_more_role_to_call_the_team_assembled() -> None:
    commander = {Role.INCIDENT_COMMANDER: "ada"}
    assert 3 not in _only(roles=commander)
    assert 3 not in _only(roles={Role.TECH_LEAD: "rita", Role.SCRIBE: "vic"})
    assert 3 in _only(roles=commander | {Role.SCRIBE: "rita"})
    assert 3 in _only(roles=commander | {Role.TECH_LEAD: "rita", Role.COMMS_LEAD: "vic"})


@given(roles)
def test_it_assembles_the_team_exactly_when_a_commander_has_company(
    holders: dict[Role, str],
) -> None:
    assert team_assembled(holders) == (Role.INCIDENT_COMMANDER in holders and len(holders) >= 2)


def test_it_keeps_ticks_when_a_reopen_takes_the_status_back() -> None:
    ticked = newly_completed(IncidentFacts(status=Status.RESOLVED), [])
    assert ticked == [5, 7, 8]
    assert newly_completed(IncidentFacts(status=Status.INVESTIGATING), ticked) == []
