"""The time an incident spends in each lifecycle phase (issue 6), defined over its
history: status walks the lifecycle allows, postmortems published, action items opened
and finished, checked against the SPEC §2 table written out here."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_lifecycle import SPEC_PHASES  # SPEC §2, no published postmortem
from warroom.domain.lifecycle import TRANSITIONS, Phase, Status
from warroom.domain.phase_time import (
    TIMED_PHASES,
    ItemMoved,
    Moment,
    PostmortemMoved,
    StatusMoved,
    entered,
    moments_of,
    phase_seconds,
    seconds_by_phase,
)

S = Status
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@st.composite
def walks(draw: st.DrawFn) -> tuple[list[tuple[float, Status]], float]:
    """A declared incident's valid status moves at increasing minutes (0 apart too),
    and a moment at or after the last one to measure up to."""
    minute = 0.0
    path = [(minute, S.TRIGGERED)]
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        moves = TRANSITIONS[path[-1][1]]
        if not moves:
            break
        minute += draw(st.integers(min_value=0, max_value=600))
        path.append((minute, draw(st.sampled_from(moves))))
    return path, minute + draw(st.integers(min_value=0, max_value=600))


@settings(max_examples=300)
@given(walks())
def test_each_phase_gets_the_minutes_its_statuses_lasted(
    walk: tuple[list[tuple[float, Status]], float],
) -> None:
    path, until = walk
    expected = dict.fromkeys(TIMED_PHASES, 0.0)
    for i, (start, status) in enumerate(path):
        end = path[i + 1][0] if i + 1 < len(path) else until
        if status is not S.CLOSED:
            expected[SPEC_PHASES[status]] += (end - start) * 60
    got = phase_seconds([StatusMoved(at(m), s) for m, s in path], until=at(until))
    assert got == pytest.approx(expected)
    assert list(got) == list(TIMED_PHASES)
    # Nothing is lost or counted twice: the phases add up to the incident's life until
    # it closed (or until now).
    closed = next((m for m, s in path if s is S.CLOSED), until)
    assert sum(got.values()) == pytest.approx(closed * 60)


@settings(max_examples=200)
@given(walks(), st.data())
def test_splitting_a_stretch_changes_nothing(
    walk: tuple[list[tuple[float, Status]], float], data: st.DataObject
) -> None:
    """note_phase may be called when the phase does not move (an item added while the
    incident is investigating): such moments only split a stretch."""
    path, until = walk
    moments = moments_of([StatusMoved(at(m), s) for m, s in path])
    split: list[Moment] = []
    for i, moment in enumerate(moments):
        split.append(moment)
        end = moments[i + 1].at if i + 1 < len(moments) else at(until)
        if data.draw(st.booleans()):
            split.append(Moment(moment.at + (end - moment.at) / 2, moment.phase))
    assert seconds_by_phase(split, until=at(until)) == pytest.approx(
        seconds_by_phase(moments, until=at(until))
    )
    assert seconds_by_phase(entered(split), until=at(until)) == pytest.approx(
        seconds_by_phase(moments, until=at(until))
    )
    assert all(a.phase is not b.phase for a, b in pairwise(entered(split)))


def test_improvement_runs_from_publishing_to_the_last_item_finished() -> None:
    changes = [
        StatusMoved(at(0), S.TRIGGERED),
        StatusMoved(at(5), S.ACKNOWLEDGED),
        StatusMoved(at(20), S.INVESTIGATING),
        StatusMoved(at(60), S.RESOLVED),
        ItemMoved(at(60), item=1, open=True),  # the runbook review
        ItemMoved(at(90), item=2, open=True),
        PostmortemMoved(at(120), published=True),
        ItemMoved(at(150), item=1, open=False),
        ItemMoved(at(200), item=2, open=False),
        StatusMoved(at(200), S.CLOSED),
    ]
    assert phase_seconds(changes, until=at(1000)) == {
        Phase.DETECTION: 5 * 60.0,
        Phase.TRIAGE: 15 * 60.0,
        Phase.RESPONSE: 40 * 60.0,
        Phase.RECOVERY: 0.0,
        Phase.ANALYSIS: 60 * 60.0,
        Phase.IMPROVEMENT: 80 * 60.0,
    }
    assert [(m.at, m.phase) for m in entered(moments_of(changes))] == [
        (at(0), Phase.DETECTION),
        (at(5), Phase.TRIAGE),
        (at(20), Phase.RESPONSE),
        (at(60), Phase.ANALYSIS),
        (at(120), Phase.IMPROVEMENT),
        # The last item finished, then the incident closed, in one instant.
        (at(200), Phase.ANALYSIS),
        (at(200), Phase.CLOSED),
    ]


def test_taking_the_postmortem_back_or_reopening_an_item_moves_between_the_two() -> None:
    changes = [
        StatusMoved(at(0), S.RESOLVED),
        ItemMoved(at(0), item=7, open=True),
        PostmortemMoved(at(10), published=True),  # improvement
        PostmortemMoved(at(30), published=False),  # back in review: analysis
        PostmortemMoved(at(40), published=True),  # improvement
        ItemMoved(at(45), item=7, open=False),  # nothing open: analysis
        ItemMoved(at(55), item=7, open=True),  # reopened: improvement
        StatusMoved(at(60), S.INVESTIGATING),  # the incident reopened: response
    ]
    got = phase_seconds(changes, until=at(100))
    assert got[Phase.ANALYSIS] == (10 + 10 + 10) * 60
    assert got[Phase.IMPROVEMENT] == (20 + 5 + 5) * 60
    assert got[Phase.RESPONSE] == 40 * 60


def test_nothing_counts_before_the_declaration_or_after_closing() -> None:
    changes = [
        ItemMoved(at(-30), item=1, open=True),
        StatusMoved(at(0), S.TRIGGERED),
        StatusMoved(at(10), S.RESOLVED),
        StatusMoved(at(20), S.CLOSED),
    ]
    got = phase_seconds(changes, until=at(500))
    assert got[Phase.DETECTION] == 600
    assert got[Phase.ANALYSIS] == 600
    assert sum(got.values()) == 1200


def test_a_stretch_that_runs_backwards_counts_nothing_rather_than_less() -> None:
    """Clock skew, or a demo writing the past after the present: no phase loses time."""
    moments = [
        Moment(at(0), Phase.DETECTION),
        Moment(at(30), Phase.TRIAGE),
        Moment(at(10), Phase.RESPONSE),  # before the triage moment
    ]
    got = seconds_by_phase(moments, until=at(5))
    assert got[Phase.DETECTION] == 30 * 60
    assert got[Phase.TRIAGE] == 0
    assert got[Phase.RESPONSE] == 0
    assert all(v >= 0 for v in got.values())


def test_without_until_the_history_stops_at_its_last_moment() -> None:
    """What an incident row stores: the sums up to phase_since."""
    moments = [Moment(at(0), Phase.DETECTION), Moment(at(12), Phase.TRIAGE)]
    assert seconds_by_phase(moments)[Phase.DETECTION] == 12 * 60
    assert seconds_by_phase(moments)[Phase.TRIAGE] == 0
    assert seconds_by_phase([]) == dict.fromkeys(TIMED_PHASES, 0.0)
