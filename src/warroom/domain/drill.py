"""Drills: the reference practice's "practise incident response quarterly". What a drill
is called and says, when a team's next one is due and its reminders go out, and how a
drill went against its severity's targets. Pure: plain values in, time passed in.

Targets. Acknowledging has the severity's response target (SPEC §2, as stored with the
incident). A drill also measures two things the severity table does not time, so their
targets are derived from the same number and scale with it (and with any configured
targets): assembling the team (an incident commander and one more role, checklist item
3) within twice the response target, so whoever acknowledges gets one more such window
to pull people in; and resolving within four times the response target (SEV-2: 30 min to
acknowledge, 1 h to assemble, 2 h to resolve), which keeps a practice run to one sitting.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.checklist import ChecklistReport, report

DRILL_MARK = "[DRILL]"
# "Practise incident response quarterly".
DRILL_INTERVAL = timedelta(days=90)
# Once a drill is overdue its team is reminded again this often until one starts.
REMINDER_REPEAT = timedelta(days=7)
ASSEMBLE_FACTOR = 2
RESOLVE_FACTOR = 4
# Incident titles hold 300 characters, descriptions are shown whole on the page.
MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
SCENARIO_TITLE_CHARS = 120


# --- what a drill is called and says -------------------------------------------------


def drill_title(title: str) -> str:
    """The incident's title, carrying the mark itself so that every page, message, email
    subject, room and API answer that shows the title says DRILL with no special case."""
    title = " ".join(title.split())
    if not title.upper().startswith(DRILL_MARK):
        title = f"{DRILL_MARK} {title}"
    return title[:MAX_TITLE]


def scenario_title(scenario: str) -> str:
    """A title from a free-text scenario: its first line, shortened."""
    first = next((line.strip() for line in scenario.splitlines() if line.strip()), "")
    if len(first) > SCENARIO_TITLE_CHARS:
        first = first[: SCENARIO_TITLE_CHARS - 1].rstrip() + "…"
    return first


def drill_description(
    *, scenario: str, issue: str | None = None, symptoms: Sequence[str] = ()
) -> str:
    """What responders read on the incident: that it is practice, and the scenario with
    the runbook issue's symptoms (its diagnosis and resolution are for them to find)."""
    lines = [
        "DRILL: a practice incident. Nothing is broken. Respond as you would to a real "
        "one: acknowledge, take the roles, work the checklist, resolve.",
        "",
        f"Scenario: {scenario.strip()}",
    ]
    if issue is not None and issue.strip() != scenario.strip():
        lines.append(f"Runbook issue: {issue.strip()}")
    if symptoms:
        lines += ["", "Symptoms:", *(f"- {s.strip()}" for s in symptoms if s.strip())]
    text = "\n".join(lines)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def find_issue(wanted: str, titles: Iterable[str]) -> str | None:
    """The runbook issue a person named: the same title in any case and spacing."""

    def key(text: str) -> str:
        return " ".join(text.split()).casefold()

    return next((t for t in titles if key(t) == key(wanted)), None)


# --- when a team drills next -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrillStanding:
    """Where a team stands against the quarterly practice."""

    due_at: datetime
    overdue: bool
    # Whole days since the last drill, None when the team has never drilled.
    days_since: int | None


def next_drill_due(*, team_created_at: datetime, last_drill_at: datetime | None) -> datetime:
    """90 days after the team's last drill (on any of its services), or after the team
    was created when it has never drilled."""
    return (last_drill_at or team_created_at) + DRILL_INTERVAL


def drill_standing(
    *, team_created_at: datetime, last_drill_at: datetime | None, now: datetime
) -> DrillStanding:
    due = next_drill_due(team_created_at=team_created_at, last_drill_at=last_drill_at)
    since = (now - last_drill_at).days if last_drill_at is not None else None
    return DrillStanding(due_at=due, overdue=now >= due, days_since=since)


def reminder_due(
    *, due_at: datetime, planned: datetime, last_reminded_at: datetime | None, now: datetime
) -> bool:
    """Whether the reminder planned for `planned` goes out at `now`: the drill is due, and
    no reminder went out at or after that planned time (a second run of the same plan, or
    a stray duplicate of it, sends nothing)."""
    return now >= due_at and (last_reminded_at is None or last_reminded_at < planned)


def next_reminder_at(*, planned: datetime, due_at: datetime, now: datetime) -> datetime:
    """When the team's reminder runs next, after the run planned for `planned` ran at
    `now`: at the drill's due time while that is ahead; after it, every REMINDER_REPEAT
    from the plan (never from when a run happened, so lateness does not add up), the
    first such time after `now` (an engine that was down sends one reminder, not a burst).
    """
    if now < due_at:
        return due_at
    anchor = max(planned, due_at)
    if anchor > now:
        return anchor
    return anchor + ((now - anchor) // REMINDER_REPEAT + 1) * REMINDER_REPEAT


def reminder_message(
    *,
    team: str,
    services: Sequence[str],
    last_drill_at: datetime | None,
    now: datetime,
    drills_url: str,
    team_url: str,
) -> tuple[str, str]:
    """The reminder's title and body, for each member of the team."""
    if last_drill_at is None:
        title = f"Drill due: team {team} has not practised incident response yet"
        since = f"Team {team} has not run a drill yet."
    else:
        days = (now - last_drill_at).days
        title = f"Drill due: team {team} last practised incident response {days} days ago"
        since = (
            f"Team {team}'s last drill was on {last_drill_at.date().isoformat()} ({days} days ago)."
        )
    owned = ", ".join(services) if services else "none yet (give the team a service first)"
    body = "\n".join(
        [
            since,
            f"The practice is a drill every quarter ({DRILL_INTERVAL.days} days).",
            "",
            f"Services the team owns: {owned}",
            f"Start a drill, with a scenario from a service's runbook: {drills_url}",
            "A drill pages the service's real escalation policy, is marked DRILL "
            "everywhere, and is left out of the incident metrics.",
            "",
            f"This reminder comes again every {REMINDER_REPEAT.days} days until a drill starts.",
            f"Team: {team_url}",
        ]
    )
    return title, body


# --- how a drill went ----------------------------------------------------------------


class Measure(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSEMBLE = "assemble"
    RESOLVE = "resolve"


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    # Not happened yet, and the drill is still running within the target.
    PENDING = "pending"


def targets_minutes(response_target_minutes: float) -> dict[Measure, float]:
    """Each measure's target, from the severity's response target (module docstring)."""
    return {
        Measure.ACKNOWLEDGE: response_target_minutes,
        Measure.ASSEMBLE: response_target_minutes * ASSEMBLE_FACTOR,
        Measure.RESOLVE: response_target_minutes * RESOLVE_FACTOR,
    }


@dataclass(frozen=True, slots=True)
class DrillFacts:
    """What happened on a drill's incident, as plain values."""

    response_target_minutes: float
    started_at: datetime
    acknowledged_at: datetime | None = None
    # When checklist item 3 ("Assemble response team") was completed.
    assembled_at: datetime | None = None
    # Set only once the incident is resolved or closed (a reopened one is running again).
    resolved_at: datetime | None = None
    # Resolved or closed: what has not happened by then never will.
    finished: bool = False
    checklist_done: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Figure:
    measure: Measure
    outcome: Outcome
    target_minutes: float
    # How long it took; None when it has not happened.
    minutes: float | None
    # When it has not happened: how long the drill has run without it (to its end, for a
    # finished drill).
    waited_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class DrillReport:
    figures: list[Figure]
    checklist: ChecklistReport

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.figures if f.outcome is outcome)

    @property
    def summary(self) -> str:
        """One line for a list of drills: '3 of 3 targets met', 'Running: 1 of 3 met so far'."""
        met, total = self.count(Outcome.MET), len(self.figures)
        if self.count(Outcome.PENDING):
            return f"Running: {met} of {total} targets met so far"
        return "All targets met" if met == total else f"{met} of {total} targets met"


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def _figure(
    measure: Measure,
    target: float,
    *,
    start: datetime,
    happened_at: datetime | None,
    finished: bool,
    ended_at: datetime,
) -> Figure:
    if happened_at is not None:
        took = _minutes(start, happened_at)
        return Figure(measure, Outcome.MET if took <= target else Outcome.MISSED, target, took)
    waited = _minutes(start, ended_at)
    late = finished or waited > target
    return Figure(measure, Outcome.MISSED if late else Outcome.PENDING, target, None, waited)


def drill_report(facts: DrillFacts, *, now: datetime) -> DrillReport:
    targets = targets_minutes(facts.response_target_minutes)
    ended_at = facts.resolved_at if facts.finished and facts.resolved_at is not None else now
    happened: Mapping[Measure, datetime | None] = {
        Measure.ACKNOWLEDGE: facts.acknowledged_at,
        Measure.ASSEMBLE: facts.assembled_at,
        Measure.RESOLVE: facts.resolved_at if facts.finished else None,
    }
    figures = [
        _figure(
            measure,
            targets[measure],
            start=facts.started_at,
            happened_at=happened[measure],
            finished=facts.finished,
            ended_at=ended_at,
        )
        for measure in Measure
    ]
    return DrillReport(figures=figures, checklist=report(facts.checklist_done))


# --- who responded -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Responder:
    handle: str
    # When the escalation policy first paged them, and how many pages they got.
    paged_at: datetime | None
    pages: int
    acknowledged: bool
    roles: tuple[str, ...]


def responders(
    *,
    pages: Iterable[tuple[str, datetime]],
    acknowledged_by: str | None,
    roles: Mapping[str, str],
) -> list[Responder]:
    """Everyone who took part: paged (in the order first paged), then whoever acknowledged
    or took a role without being paged. `roles` maps each role to its holder."""
    first: dict[str, datetime] = {}
    count: dict[str, int] = {}
    for handle, at in sorted(pages, key=lambda p: p[1]):
        first.setdefault(handle, at)
        count[handle] = count.get(handle, 0) + 1
    people = list(first)
    for other in [acknowledged_by, *roles.values()]:
        if other and other not in people:
            people.append(other)
    return [
        Responder(
            handle=h,
            paged_at=first.get(h),
            pages=count.get(h, 0),
            acknowledged=h == acknowledged_by,
            roles=tuple(role for role, holder in roles.items() if holder == h),
        )
        for h in people
    ]
