"""The pure drill rules (warroom.domain.drill): titles and descriptions, when a team's
next drill and reminders are due, and how a drill measures against its targets."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.drill import (
    DRILL_INTERVAL,
    REMINDER_REPEAT,
    DrillFacts,
    Measure,
    Outcome,
    drill_description,
    drill_report,
    drill_standing,
    drill_title,
    find_issue,
    next_drill_due,
    next_reminder_at,
    reminder_due,
    responders,
    scenario_title,
    targets_minutes,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda m: minutes(m))


# --- titles and descriptions ---------------------------------------------------------


def test_the_title_carries_the_drill_mark_once() -> None:
    assert drill_title("Checkout latency") == "[DRILL] Checkout latency"
    assert drill_title("  [drill]   Checkout\nlatency ") == "[drill] Checkout latency"
    assert len(drill_title("x" * 400)) == 300


@given(st.text(min_size=1, max_size=400).filter(lambda t: t.strip()))
def test_marking_a_title_twice_changes_nothing(title: str) -> None:
    once = drill_title(title)
    assert once.upper().startswith("[DRILL]")
    assert drill_title(once) == once
    assert len(once) <= 300


def test_a_free_text_scenario_is_titled_by_its_first_line() -> None:
    assert scenario_title("\n  Checkout is slow  \nsince the deploy") == "Checkout is slow"
    long = scenario_title("a" * 200)
    assert len(long) == 120
    assert long.endswith("…")


def test_the_description_says_it_is_practice_and_lists_the_symptoms() -> None:
    text = drill_description(
        scenario="High Memory Usage",
        issue="High Memory Usage",
        symptoms=["Memory alerts", "OOM kills", "  "],
    )
    assert text == (
        "DRILL: a practice incident. Nothing is broken. Respond as you would to a real "
        "one: acknowledge, take the roles, work the checklist, resolve.\n\n"
        "Scenario: High Memory Usage\n\nSymptoms:\n- Memory alerts\n- OOM kills"
    )
    framed = drill_description(scenario="Black Friday traffic", issue="High Memory Usage")
    assert "Scenario: Black Friday traffic\nRunbook issue: High Memory Usage" in framed
    assert len(drill_description(scenario="x" * 20_000)) == 10_000


def test_a_runbook_issue_is_found_in_any_case_and_spacing() -> None:
    titles = ["High Memory Usage", "Database Connection Exhaustion"]
    assert find_issue("  high   memory usage ", titles) == "High Memory Usage"
    assert find_issue("Disk full", titles) is None


# --- when the next drill and its reminders are due -----------------------------------


def test_the_next_drill_is_due_90_days_after_the_last_or_after_the_team_was_made() -> None:
    assert next_drill_due(team_created_at=T0, last_drill_at=None) == T0 + timedelta(days=90)
    last = T0 + timedelta(days=30)
    assert next_drill_due(team_created_at=T0, last_drill_at=last) == last + timedelta(days=90)
    standing = drill_standing(team_created_at=T0, last_drill_at=last, now=last + timedelta(days=95))
    assert (standing.overdue, standing.days_since) == (True, 95)
    assert drill_standing(team_created_at=T0, last_drill_at=None, now=T0).days_since is None


def test_reminders_follow_the_plan_not_the_run() -> None:
    due = T0 + DRILL_INTERVAL
    # Before the drill is due (a drill moved it on): the next run is at the due time.
    assert next_reminder_at(planned=T0, due_at=due, now=T0) == due
    # On time, and three hours late: a week after the plan either way.
    assert next_reminder_at(planned=due, due_at=due, now=due) == due + REMINDER_REPEAT
    late = due + timedelta(hours=3)
    assert next_reminder_at(planned=due, due_at=due, now=late) == due + REMINDER_REPEAT
    # Three weeks down: the next weekly step after now, not a burst of missed ones.
    away = due + timedelta(days=21, hours=1)
    assert next_reminder_at(planned=due, due_at=due, now=away) == due + 4 * REMINDER_REPEAT


@given(moments, moments, moments)
def test_the_next_reminder_is_after_now_and_on_the_weekly_grid(
    planned: datetime, due: datetime, now: datetime
) -> None:
    nxt = next_reminder_at(planned=planned, due_at=due, now=now)
    assert nxt > now or (nxt == due and due > now)
    assert nxt >= due
    if now >= due:
        anchor = max(planned, due)
        assert (nxt - anchor) % REMINDER_REPEAT == timedelta(0)
        assert nxt - now <= REMINDER_REPEAT or nxt == anchor


def test_a_reminder_goes_out_once_per_plan_and_only_when_the_drill_is_due() -> None:
    due = T0 + DRILL_INTERVAL
    assert reminder_due(due_at=due, planned=due, last_reminded_at=None, now=due)
    assert not reminder_due(due_at=due, planned=T0, last_reminded_at=None, now=due - timedelta(1))
    # The same plan run again after it sent: nothing more.
    assert not reminder_due(due_at=due, planned=due, last_reminded_at=due, now=due)
    week = due + REMINDER_REPEAT
    assert reminder_due(due_at=due, planned=week, last_reminded_at=due, now=week)


# --- how a drill went ----------------------------------------------------------------


def test_the_targets_scale_with_the_severitys_response_target() -> None:
    assert targets_minutes(30) == {
        Measure.ACKNOWLEDGE: 30,
        Measure.ASSEMBLE: 60,
        Measure.RESOLVE: 120,
    }


def test_a_scripted_drill_measures_exactly() -> None:
    facts = DrillFacts(
        response_target_minutes=30,
        started_at=T0,
        acknowledged_at=minutes(4),
        assembled_at=minutes(6),
        resolved_at=minutes(20),
        finished=True,
        checklist_done=frozenset({1, 3, 5, 7, 8}),
    )
    report = drill_report(facts, now=minutes(600))
    assert [(f.measure, f.minutes, f.outcome) for f in report.figures] == [
        (Measure.ACKNOWLEDGE, 4, Outcome.MET),
        (Measure.ASSEMBLE, 6, Outcome.MET),
        (Measure.RESOLVE, 20, Outcome.MET),
    ]
    assert report.checklist.compliance == 0.5
    assert report.summary == "All targets met"


def test_a_running_drill_is_pending_until_its_target_passes() -> None:
    facts = DrillFacts(response_target_minutes=15, started_at=T0, acknowledged_at=minutes(20))
    report = drill_report(facts, now=minutes(25))
    ack, assemble, resolve = report.figures
    assert (ack.outcome, ack.minutes) == (Outcome.MISSED, 20)
    assert (assemble.outcome, assemble.waited_minutes) == (Outcome.PENDING, 25)
    assert resolve.outcome is Outcome.PENDING
    assert report.summary == "Running: 0 of 3 targets met so far"
    later = drill_report(facts, now=minutes(31))
    assert later.figures[1].outcome is Outcome.MISSED
    assert later.summary == "Running: 0 of 3 targets met so far"


def test_what_never_happened_in_a_finished_drill_is_missed() -> None:
    facts = DrillFacts(
        response_target_minutes=120, started_at=T0, resolved_at=minutes(10), finished=True
    )
    report = drill_report(facts, now=minutes(1000))
    ack, assemble, resolve = report.figures
    assert (ack.outcome, ack.waited_minutes) == (Outcome.MISSED, 10)
    assert assemble.outcome is Outcome.MISSED
    assert (resolve.outcome, resolve.minutes) == (Outcome.MET, 10)
    assert report.summary == "1 of 3 targets met"


optional_minutes = st.none() | st.integers(min_value=0, max_value=10_000)


@given(
    target=st.sampled_from([15.0, 30.0, 120.0, 1440.0]),
    ack=optional_minutes,
    assembled=optional_minutes,
    resolved=optional_minutes,
    now=st.integers(min_value=0, max_value=20_000),
)
def test_every_figure_is_met_exactly_when_it_happened_within_its_target(
    target: float, ack: int | None, assembled: int | None, resolved: int | None, now: int
) -> None:
    facts = DrillFacts(
        response_target_minutes=target,
        started_at=T0,
        acknowledged_at=minutes(ack) if ack is not None else None,
        assembled_at=minutes(assembled) if assembled is not None else None,
        resolved_at=minutes(resolved) if resolved is not None else None,
        finished=resolved is not None,
    )
    report = drill_report(facts, now=minutes(max(now, resolved or 0)))
    targets = targets_minutes(target)
    for figure, happened in zip(report.figures, (ack, assembled, resolved), strict=True):
        assert figure.target_minutes == targets[figure.measure]
        if happened is not None:
            assert figure.minutes == happened
            assert (figure.outcome is Outcome.MET) == (happened <= figure.target_minutes)
        else:
            assert figure.outcome is not Outcome.MET
            if facts.finished:
                assert figure.outcome is Outcome.MISSED
    met = report.count(Outcome.MET)
    assert met + report.count(Outcome.MISSED) + report.count(Outcome.PENDING) == 3
    assert (report.summary == "All targets met") == (met == 3)


def test_responders_are_the_paged_then_whoever_else_took_part() -> None:
    people = responders(
        pages=[("bob", minutes(5)), ("ann", minutes(0)), ("bob", minutes(10))],
        acknowledged_by="bob",
        roles={"incident_commander": "cat", "tech_lead": "bob"},
    )
    assert [(p.handle, p.pages, p.acknowledged, p.roles) for p in people] == [
        ("ann", 1, False, ()),
        ("bob", 2, True, ("tech_lead",)),
        ("cat", 0, False, ("incident_commander",)),
    ]
    assert people[1].paged_at == minutes(5)
    assert people[2].paged_at is None
