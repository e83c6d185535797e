"""The public status page's rules: what a component says, what the page's indicator says,
how an incident's impact follows its severity, how a maintenance moves through its states,
and how 90 days of component history become uptime bars. Pure: facts in, answers out.

The vocabulary is Atlassian Statuspage's (its v2 JSON is what status-page readers and
aggregators speak), so the enums' values are its strings exactly.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from warroom.domain.components import FOR_SEVERITY, ComponentStatus, worse
from warroom.domain.errors import DomainError
from warroom.domain.severity import Severity


class Impact(StrEnum):
    """An incident's public impact, and the page's overall indicator (same four words)."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


_IMPACT_ORDER = list(Impact)

IMPACT_FOR_SEVERITY: dict[Severity, Impact] = {
    Severity.SEV1: Impact.CRITICAL,
    Severity.SEV2: Impact.MAJOR,
    Severity.SEV3: Impact.MINOR,
    Severity.SEV4: Impact.NONE,
}

# How often stakeholders hear from an open incident unless the update says otherwise:
# the worse the incident, the shorter the wait.
UPDATE_CADENCE_MINUTES: dict[Severity, int] = {
    Severity.SEV1: 30,
    Severity.SEV2: 60,
    Severity.SEV3: 120,
    Severity.SEV4: 240,
}


# What a public update says of the impact when the author gives no words of their own:
# the internal description is for responders, never for the public page.
IMPACT_SENTENCE: dict[Impact, str] = {
    Impact.NONE: "We do not expect customers to be affected.",
    Impact.MINOR: "Some customers may see slower responses or occasional errors.",
    Impact.MAJOR: "Some features are unavailable for some customers.",
    Impact.CRITICAL: "The service is unavailable for many customers.",
}


_TITLE_FOR_IMPACT: dict[Impact, str] = {
    Impact.NONE: "Issue",
    Impact.MINOR: "Degraded performance",
    Impact.MAJOR: "Partial outage",
    Impact.CRITICAL: "Outage",
}


def default_public_title(impact: Impact, components: Sequence[str]) -> str:
    """A public title for an incident nobody has named for the public yet. Built from
    public facts only: internal titles come from alerts and responders ("HighErrorRate
    checkout-api prod-eu-3") and are not written for customers."""
    if not components:
        return f"{_TITLE_FOR_IMPACT[impact]} under investigation"
    names = ", ".join(components[:3]) + (" and more" if len(components) > 3 else "")
    return f"{_TITLE_FOR_IMPACT[impact]} affecting {names}"


def impact_of(severity: Severity, chosen: Impact | None = None) -> Impact:
    """The impact an incident shows: the one chosen for it, else its severity's."""
    return chosen if chosen is not None else IMPACT_FOR_SEVERITY[severity]


def worst_status(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    result = ComponentStatus.OPERATIONAL
    for status in statuses:
        if worse(status, result):
            result = status
    return result


def component_status(
    *,
    manual: ComponentStatus,
    incident_statuses: Iterable[ComponentStatus],
    in_maintenance: bool,
) -> ComponentStatus:
    """What a component says now: the worst of what was set by hand, what each open
    incident on it says, and under_maintenance while a maintenance runs on it. Worked out
    from the facts each time, so a resolved incident or a finished maintenance gives the
    component back without anyone remembering to."""
    candidates = [manual, *incident_statuses]
    if in_maintenance:
        candidates.append(ComponentStatus.UNDER_MAINTENANCE)
    return worst_status(candidates)


def incident_component_status(
    severity: Severity, chosen: ComponentStatus | None
) -> ComponentStatus:
    """What an open incident says about a component it affects: the status an update
    chose for it, else the one its severity implies."""
    return chosen if chosen is not None else FOR_SEVERITY[severity]


@dataclass(frozen=True, slots=True)
class Indicator:
    indicator: Impact
    description: str


def page_indicator(
    components: Iterable[ComponentStatus], open_impacts: Iterable[Impact] = ()
) -> Indicator:
    """The page's overall state, the way Statuspage words it: the worst component decides
    the description; an open incident's impact can raise the indicator (an incident that
    touches no component still says something is wrong)."""
    statuses = list(components)
    worst = worst_status(statuses)
    from_components = {
        ComponentStatus.OPERATIONAL: Impact.NONE,
        ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
        ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
        ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
        ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
    }[worst]
    indicator = from_components
    for impact in open_impacts:
        if _IMPACT_ORDER.index(impact) > _IMPACT_ORDER.index(indicator):
            indicator = impact
    description = _DESCRIPTIONS[indicator]
    if indicator is Impact.NONE and worst is ComponentStatus.UNDER_MAINTENANCE:
        description = "Service Under Maintenance"
    return Indicator(indicator, description)


_DESCRIPTIONS: dict[Impact, str] = {
    Impact.NONE: "All Systems Operational",
    Impact.MINOR: "Minor Service Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.CRITICAL: "Major System Outage",
}


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


MAINTENANCE_MOVES: dict[MaintenanceStatus, frozenset[MaintenanceStatus]] = {
    MaintenanceStatus.SCHEDULED: frozenset(
        {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED}
    ),
    MaintenanceStatus.IN_PROGRESS: frozenset(
        {MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED}
    ),
    MaintenanceStatus.VERIFYING: frozenset(
        {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED}
    ),
    MaintenanceStatus.COMPLETED: frozenset(),
}

# While a maintenance is in these states its components are under_maintenance and its
# services' alerts open no incident.
MAINTENANCE_ACTIVE = frozenset({MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING})


def move_maintenance(current: MaintenanceStatus, wanted: MaintenanceStatus) -> MaintenanceStatus:
    """The new status, or DomainError naming the allowed moves. Completing a scheduled
    maintenance is how it is called off."""
    if wanted not in MAINTENANCE_MOVES[current]:
        allowed = sorted(MAINTENANCE_MOVES[current])
        raise DomainError(
            f"a maintenance cannot go from '{current}' to '{wanted}'; "
            + (f"allowed: {', '.join(allowed)}" if allowed else "it is completed")
        )
    return wanted


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: ComponentStatus


@dataclass(frozen=True, slots=True)
class UptimeDay:
    day: date
    # Share of the day (0.0-1.0) the component was not in an outage; None before the
    # component existed (the bar shows "no data", not a perfect day).
    uptime: float | None
    worst: ComponentStatus | None
    # Seconds spent in each outage status that day.
    outage_seconds: dict[ComponentStatus, float]


# Statuspage's uptime counts partial outages at 30% weight and major ones in full;
# degraded performance and maintenance do not count against uptime.
_DOWN_WEIGHT: dict[ComponentStatus, float] = {
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
    ComponentStatus.MAJOR_OUTAGE: 1.0,
}


def uptime_days(
    changes: Sequence[StatusChange],
    *,
    created_at: datetime,
    first_day: date,
    days: int,
    now: datetime,
) -> list[UptimeDay]:
    """One entry per day from `first_day` (in `now`'s time zone), from the component's
    history of status changes (sorted by time; the status before the first change is
    operational). Days are cut at midnight in that zone; the current day counts up to
    `now` only."""
    tz = now.tzinfo
    result: list[UptimeDay] = []
    ordered = sorted(changes, key=lambda c: c.at)
    # One pass over the history: `index` is the first change after the day's start, and
    # `status` what held at that start, both carried from one day to the next.
    index = 0
    status = ComponentStatus.OPERATIONAL
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        end = min(start + timedelta(days=1), now)
        begin = max(start, created_at)
        while index < len(ordered) and ordered[index].at <= begin:
            status = ordered[index].status
            index += 1
        if begin >= end:
            result.append(UptimeDay(day, None, None, {}))
            continue
        seconds: dict[ComponentStatus, float] = {}
        worst = status
        cursor = begin
        while index < len(ordered) and ordered[index].at < end:
            change = ordered[index]
            seconds[status] = seconds.get(status, 0.0) + (change.at - cursor).total_seconds()
            cursor, status = change.at, change.status
            if worse(status, worst):
                worst = status
            index += 1
        seconds[status] = seconds.get(status, 0.0) + (end - cursor).total_seconds()
        total = (end - begin).total_seconds()
        down = sum(seconds.get(s, 0.0) * w for s, w in _DOWN_WEIGHT.items())
        outage = {s: v for s, v in seconds.items() if s in _DOWN_WEIGHT and v > 0}
        result.append(UptimeDay(day, max(0.0, 1.0 - down / total), worst, outage))
    return result


def uptime_percent(days: Sequence[UptimeDay]) -> float | None:
    """Uptime over the days with data, weighted equally per day."""
    known = [d.uptime for d in days if d.uptime is not None]
    if not known:
        return None
    return 100.0 * sum(known) / len(known)
