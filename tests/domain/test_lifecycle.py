"""The incident lifecycle as a transition table (SPEC §2): where an incident may move,
what each status means as a phase, and what a move does to its timestamps."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.errors import InvalidTransition
from warroom.domain.lifecycle import (
    OPEN_STATUSES,
    TRANSITIONS,
    Phase,
    Status,
    allowed_moves,
    at_least,
    phase_of,
    transition,
)

S = Status

SPEC_PHASES = {
    S.TRIGGERED: Phase.DETECTION,
    S.ACKNOWLEDGED: Phase.TRIAGE,
    S.INVESTIGATING: Phase.RESPONSE,
    S.IDENTIFIED: Phase.RESPONSE,
    S.MONITORING: Phase.RECOVERY,
    S.RESOLVED: Phase.ANALYSIS,
    S.CLOSED: Phase.CLOSED,
}

statuses = st.sampled_from(list(Status))


@st.composite
def walks(draw: st.DrawFn) -> list[Status]:
    """A sequence of valid moves from a freshly triggered incident."""
    path = [S.TRIGGERED]
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        moves = TRANSITIONS[path[-1]]
        if not moves:
            break
        path.append(draw(st.sampled_from(moves)))
    return path


def test_it_defines_moves_for_every_status_and_only_towards_known_statuses() -> None:
    assert set(TRANSITIONS) == set(Status)
    for current, moves in TRANSITIONS.items():
        assert set(moves) <= set(Status), current
        assert current not in moves, f"{current} lists a move to itself"


@settings(max_examples=200)
@given(walks())
def test_it_never_reaches_an_undefined_state_by_valid_moves(path: list[Status]) -> None:
    acknowledged = False
    for old, new in pairwise(path):
        change = transition(old, new, by_person=True, already_acknowledged=acknowledged)
        acknowledged = acknowledged or change.acknowledges
        assert change.old is old
        assert change.new is new
        assert new in TRANSITIONS
        assert isinstance(phase_of(new), Phase)


def test_it_gives_every_status_the_phase_the_spec_names() -> None:
    assert {status: phase_of(status) for status in Status} == SPEC_PHASES


def test_it_puts_a_resolved_incident_in_improvement_once_its_postmortem_is_out() -> None:
    assert phase_of(S.RESOLVED, postmortem_published=True, open_action_items=2) is (
        Phase.IMPROVEMENT
    )
    assert phase_of(S.RESOLVED, postmortem_published=True, open_action_items=0) is (Phase.ANALYSIS)
    assert phase_of(S.RESOLVED, postmortem_published=False, open_action_items=2) is (Phase.ANALYSIS)


@given(statuses)
def test_it_treats_closed_as_final(requested: Status) -> None:
    assert allowed_moves(S.CLOSED) == []
    with pytest.raises(InvalidTransition) as refused:
        transition(S.CLOSED, requested, by_person=True, already_acknowledged=True)
    assert refused.value.allowed == []
    assert "final" in str(refused.value)


@settings(max_examples=200)
@given(statuses, statuses)
def test_it_refuses_a_move_outside_the_table_naming_the_allowed_moves(
    current: Status, requested: Status
) -> None:
    if requested in TRANSITIONS[current]:
        assert transition(current, requested, by_person=True, already_acknowledged=False).new is (
            requested
        )
        return
    with pytest.raises(InvalidTransition) as refused:
        transition(current, requested, by_person=True, already_acknowledged=False)
    assert refused.value.current == current
    assert refused.value.requested == requested
    assert refused.value.allowed == [str(s) for s in TRANSITIONS[current]]
    message = str(refused.value)
    assert f"'{current}'" in message
    assert f"'{requested}'" in message
    for move in TRANSITIONS[current]:
        assert str(move) in message


def test_it_lets_forward_moves_skip_states_and_allows_the_spec_backward_moves() -> None:
    assert S.RESOLVED in TRANSITIONS[S.TRIGGERED]  # a source resolves a triggered incident
    assert S.INVESTIGATING in TRANSITIONS[S.MONITORING]
    assert S.INVESTIGATING in TRANSITIONS[S.RESOLVED]
    assert S.CLOSED in TRANSITIONS[S.RESOLVED]
    # Only an acknowledged incident nobody works on goes back to "triggered" (its
    # acknowledgement timed out); nothing goes back to "someone took it".
    for current, moves in TRANSITIONS.items():
        assert (S.TRIGGERED in moves) == (current is S.ACKNOWLEDGED), current
    assert S.ACKNOWLEDGED not in TRANSITIONS[S.INVESTIGATING]


def test_it_marks_acknowledged_to_triggered_as_a_retrigger_and_nothing_else() -> None:
    back = transition(S.ACKNOWLEDGED, S.TRIGGERED, by_person=False, already_acknowledged=True)
    assert back.retriggers
    assert not back.acknowledges
    assert not back.resolves
    assert not back.closes
    assert not back.reopened
    for current, moves in TRANSITIONS.items():
        for new in moves:
            change = transition(current, new, by_person=True, already_acknowledged=True)
            assert change.retriggers == (current is S.ACKNOWLEDGED and new is S.TRIGGERED)


def test_it_counts_the_acknowledgement_after_a_retrigger_again() -> None:
    # After a re-trigger nobody holds the incident: taking it again is an acknowledgement.
    change = transition(S.TRIGGERED, S.ACKNOWLEDGED, by_person=True, already_acknowledged=False)
    assert change.acknowledges


def test_it_only_closes_a_resolved_incident() -> None:
    for current, moves in TRANSITIONS.items():
        assert (S.CLOSED in moves) == (current is S.RESOLVED), current


def test_it_marks_resolved_to_investigating_as_a_reopen_and_nothing_else() -> None:
    reopen = transition(S.RESOLVED, S.INVESTIGATING, by_person=True, already_acknowledged=True)
    assert reopen.reopened
    assert not reopen.resolves
    for current, moves in TRANSITIONS.items():
        for new in moves:
            change = transition(current, new, by_person=True, already_acknowledged=True)
            assert change.reopened == (current is S.RESOLVED and new is S.INVESTIGATING)
            assert change.resolves == (new is S.RESOLVED)
            assert change.closes == (new is S.CLOSED)


def test_it_does_not_count_a_source_resolving_a_triggered_incident_as_acknowledged() -> None:
    change = transition(S.TRIGGERED, S.RESOLVED, by_person=False, already_acknowledged=False)
    assert change.resolves
    assert not change.acknowledges


def test_it_counts_a_person_moving_a_triggered_incident_on_as_its_acknowledgement() -> None:
    for new in TRANSITIONS[S.TRIGGERED]:
        change = transition(S.TRIGGERED, new, by_person=True, already_acknowledged=False)
        assert change.acknowledges, new


def test_it_counts_an_explicit_acknowledgement_whoever_makes_it() -> None:
    change = transition(S.TRIGGERED, S.ACKNOWLEDGED, by_person=False, already_acknowledged=False)
    assert change.acknowledges


@given(st.sampled_from(list(TRANSITIONS.items())), st.booleans())
def test_it_never_acknowledges_twice(
    entry: tuple[Status, tuple[Status, ...]], person: bool
) -> None:
    current, moves = entry
    for new in moves:
        change = transition(current, new, by_person=person, already_acknowledged=True)
        assert not change.acknowledges


def test_it_orders_statuses_along_the_lifecycle() -> None:
    assert at_least(S.MONITORING, S.INVESTIGATING)
    assert at_least(S.INVESTIGATING, S.INVESTIGATING)
    assert not at_least(S.ACKNOWLEDGED, S.INVESTIGATING)
    assert at_least(S.CLOSED, S.RESOLVED)
    assert set(OPEN_STATUSES) == set(Status) - {S.RESOLVED, S.CLOSED}
