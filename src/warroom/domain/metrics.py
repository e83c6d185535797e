"""The incident metrics of SPEC §2, defined once over plain values.

These are the definitions the reports answer with (issue 6 computes them in SQL over
indexed columns for speed; its tests compare the SQL figures with these). Drills are
never counted here: callers leave them out or ask for them on purpose.

- MTTA: mean of acknowledged_at - triggered_at (acknowledged incidents), minutes.
- MTTD: mean of detected_at - started_at, minutes.
- MTTR: mean of resolved_at - started_at (resolved incidents), minutes.
- MTTF: mean time from the resolution of one incident of a service to the start of its
  next one, hours.
- Response-target compliance: the share of incidents acknowledged within their target,
  among those whose outcome is known (acknowledged, or unacknowledged past the target).
- Repeat incident: same service and same dedup key as an incident resolved in the 7 days
  before it started.
"""

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from warroom.domain.severity import Severity

REPEAT_WINDOW = timedelta(days=7)

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    severity: Severity
    service: str
    started_at: datetime
    detected_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    response_target_minutes: float
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    total_incidents: int
    mtta_minutes: float | None
    mttd_minutes: float | None
    mttr_minutes: float | None
    mttf_hours: float | None
    response_target_compliance: float | None
    repeat_incidents: int


@dataclass(frozen=True, slots=True)
class Report:
    overall: Figures
    by_severity: dict[Severity, Figures] = field(default_factory=dict)
    by_service: dict[str, Figures] = field(default_factory=dict)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def mtta_minutes(incidents: Iterable[IncidentTimes]) -> float | None:
    return _mean(
        _minutes(i.acknowledged_at, i.triggered_at)
        for i in incidents
        if i.acknowledged_at is not None
    )


def mttd_minutes(incidents: Iterable[IncidentTimes]) -> float | None:
    return _mean(_minutes(i.detected_at, i.started_at) for i in incidents)


def mttr_minutes(incidents: Iterable[IncidentTimes]) -> float | None:
    return _mean(
        _minutes(i.resolved_at, i.started_at) for i in incidents if i.resolved_at is not None
    )


def _by_service_in_order(
    incidents: Iterable[IncidentTimes],
) -> dict[str, list[IncidentTimes]]:
    grouped: dict[str, list[IncidentTimes]] = defaultdict(list)
    for incident in incidents:
        grouped[incident.service].append(incident)
    for items in grouped.values():
        items.sort(key=lambda i: (i.started_at, i.triggered_at))
    return grouped


def mttf_hours(incidents: Iterable[IncidentTimes]) -> float | None:
    """Each service's incidents in order of start: the gap from one's resolution to the
    next one's start. A next incident that started before the previous one was resolved
    (they overlapped), or a previous one never resolved, gives no gap."""
    gaps: list[float] = []
    for items in _by_service_in_order(incidents).values():
        for previous, following in itertools.pairwise(items):
            if previous.resolved_at is not None and following.started_at >= previous.resolved_at:
                gaps.append((following.started_at - previous.resolved_at).total_seconds() / 3600)
    return _mean(gaps)


def response_target_compliance(
    incidents: Iterable[IncidentTimes], *, now: datetime
) -> float | None:
    met = decided = 0
    for i in incidents:
        target = timedelta(minutes=i.response_target_minutes)
        if i.acknowledged_at is not None:
            decided += 1
            met += i.acknowledged_at - i.triggered_at <= target
        elif now - i.triggered_at > target:
            decided += 1
    return met / decided if decided else None


def is_repeat(incident: IncidentTimes, earlier: Iterable[IncidentTimes]) -> bool:
    if incident.dedup_key is None:
        return False
    return any(
        other is not incident
        and other.service == incident.service
        and other.dedup_key == incident.dedup_key
        and other.resolved_at is not None
        and timedelta(0) <= incident.started_at - other.resolved_at <= REPEAT_WINDOW
        for other in earlier
    )


def repeat_incidents(
    incidents: Sequence[IncidentTimes], *, history: Sequence[IncidentTimes] = ()
) -> int:
    """How many of `incidents` repeat one of `incidents` or of `history` (earlier
    incidents outside the period, which a period's first repeats point back to)."""
    candidates = [*history, *incidents]
    return sum(is_repeat(i, candidates) for i in incidents)


def figures(
    incidents: Sequence[IncidentTimes],
    *,
    now: datetime,
    history: Sequence[IncidentTimes] = (),
) -> Figures:
    return Figures(
        total_incidents=len(incidents),
        mtta_minutes=mtta_minutes(incidents),
        mttd_minutes=mttd_minutes(incidents),
        mttr_minutes=mttr_minutes(incidents),
        mttf_hours=mttf_hours(incidents),
        response_target_compliance=response_target_compliance(incidents, now=now),
        repeat_incidents=repeat_incidents(incidents, history=history),
    )


def _grouped(
    incidents: Sequence[IncidentTimes], key: Callable[[IncidentTimes], K]
) -> dict[K, list[IncidentTimes]]:
    grouped: dict[K, list[IncidentTimes]] = defaultdict(list)
    for incident in incidents:
        grouped[key(incident)].append(incident)
    return dict(grouped)


def report(
    incidents: Sequence[IncidentTimes],
    *,
    now: datetime,
    history: Sequence[IncidentTimes] = (),
) -> Report:
    """The figures overall, by severity and by service."""
    return Report(
        overall=figures(incidents, now=now, history=history),
        by_severity={
            severity: figures(items, now=now, history=history)
            for severity, items in sorted(_grouped(incidents, lambda i: i.severity).items())
        },
        by_service={
            service: figures(items, now=now, history=history)
            for service, items in sorted(_grouped(incidents, lambda i: i.service).items())
        },
    )
