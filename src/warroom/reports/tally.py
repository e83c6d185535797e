"""The report's one grouped scan: per (service, severity), the sums and counts SPEC §2's
figures are made of. Sums and counts add up exactly, so the overall, per-severity,
per-service and per-team figures are rolled up from these groups in Python (never an
average of averages)."""

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from warroom.domain.lifecycle import Phase, Status, phase_of
from warroom.domain.postmortem import PostmortemStatus
from warroom.incidents.models import Incident
from warroom.incidents.phase_time import PHASE_COLUMNS
from warroom.postmortems.models import Postmortem
from warroom.reports.facts import keeps_facts, repeats_earlier
from warroom.reports.sql import TOLERANCE_SECONDS, Dialect, Selection, incidents, instant

GroupKey = tuple[int, str]  # (service id, severity)


@dataclass(slots=True)
class Tally:
    """One group's sums (seconds) and counts; `+` merges two groups exactly."""

    incidents: int = 0
    acknowledge_seconds: float = 0.0  # triggered -> acknowledged
    acknowledged: int = 0
    detect_seconds: float = 0.0  # started -> detected, every incident
    repair_seconds: float = 0.0  # started -> resolved
    resolved: int = 0
    fix_seconds: float = 0.0  # acknowledged -> resolved
    acknowledged_and_resolved: int = 0
    met_target: int = 0
    target_decided: int = 0  # acknowledged, or unacknowledged and past the target now
    repeats: int = 0
    improvement: int = 0  # resolved, its postmortem published, action items still open
    gap_seconds: float = 0.0  # between failures (gaps.py fills these in)
    gaps: int = 0
    # SQLite's stored facts (facts.py): the gaps after a previous incident that is in the
    # period too, in the service's sequence and in its severity's; gaps.py adds the pairs
    # period boundaries make.
    chained_gap_seconds: float = 0.0
    chained_gaps: int = 0
    chained_severity_gap_seconds: float = 0.0
    chained_severity_gaps: int = 0
    by_status: dict[Status, int] = field(default_factory=dict)
    # Seconds spent in each phase, up to now (closed counts none).
    phase_seconds: dict[Phase, float] = field(default_factory=dict)

    def __add__(self, other: "Tally") -> "Tally":
        merged = Tally(**{name: getattr(self, name) + getattr(other, name) for name in _SUMMED})
        merged.by_status = dict(Counter(self.by_status) + Counter(other.by_status))
        merged.phase_seconds = {
            phase: self.phase_seconds.get(phase, 0.0) + other.phase_seconds.get(phase, 0.0)
            for phase in self.phase_seconds.keys() | other.phase_seconds.keys()
        }
        return merged


_SUMMED = tuple(f.name for f in fields(Tally) if f.name not in {"by_status", "phase_seconds"})


def _total(value: Any) -> float:
    # A SUM over no rows is NULL.
    return float(value) if value is not None else 0.0


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def tally_groups(
    session: Session, *, dialect: Dialect, selection: Selection, now: datetime
) -> dict[GroupKey, Tally]:
    """Sums and counts per (service id, severity) of the selected incidents, ordered by
    service id then severity (the order gaps.py relies on).

    One scan, grouped by status too: on SQLite, migration 0021's index holds every value
    read here in that order, so the groups stream off it and statuses and the current
    phase's time cost no expression per incident."""
    i = incidents
    # In the database's own unit (days on SQLite), scaled to seconds once per group in
    # Python: a million rows then cost a subtraction each, not a multiplication too.
    started, detected, triggered = (
        instant(c) for c in (i.c.started_at, i.c.detected_at, i.c.triggered_at)
    )
    acknowledged, resolved = instant(i.c.acknowledged_at), instant(i.c.resolved_at)
    ack, fix = acknowledged - triggered, resolved - acknowledged
    unit = dialect.seconds_per_unit
    target = i.c.response_target_minutes * (60 / unit) + TOLERANCE_SECONDS / unit
    sums: dict[str, ColumnElement[Any]] = {
        "incidents": func.count(),
        "acknowledge_seconds": func.sum(ack),
        "acknowledged": func.count(acknowledged),
        "detect_seconds": func.sum(detected - started),
        "repair_seconds": func.sum(resolved - started),
        "resolved": func.count(resolved),
        "fix_seconds": func.sum(fix),
        "acknowledged_and_resolved": func.count(fix),
        "met_target": _count_if(ack <= target),
        "target_decided": _count_if(
            or_(acknowledged.is_not(None), dialect.at(now) - triggered > target)
        ),
        # Time by phase: each phase's stored seconds (PHASE_COLUMNS, kept up to
        # phase_since), and the current phase's stretch, for the groups of statuses still
        # counting time; a resolved incident is in improvement instead of analysis when
        # its postmortem is published and an item is open (_improving moves those).
        "ongoing": func.sum(_running(dialect, now)),
        **{
            f"stored_{phase.value}": func.sum(i.c[column])
            for phase, column in PHASE_COLUMNS.items()
        },
    }
    if keeps_facts(session):
        sums["repeats"] = _count_if(i.c.is_repeat)
        for name, previous, gap in (
            ("chained", i.c.previous_triggered_at, i.c.gap_after_previous_seconds),
            (
                "chained_severity",
                i.c.previous_of_severity_triggered_at,
                i.c.gap_after_previous_of_severity_seconds,
            ),
        ):
            # A gap needs a previous incident: with no bound to test, the gap alone.
            chained = case((selection.in_period(previous), gap)) if selection.bounded else gap
            sums[f"{name}_gap_seconds"] = func.sum(chained)
            sums[f"{name}_gaps"] = func.count(chained)
    else:
        sums["repeats"] = _count_if(repeats_earlier(dialect, i))
    query = (
        select(
            i.c.service_id,
            i.c.severity,
            i.c.status,
            *(expr.label(name) for name, expr in sums.items()),
        )
        .where(selection.where)
        .group_by(i.c.service_id, i.c.severity, i.c.status)
        .order_by(i.c.service_id, i.c.severity)
    )
    groups: dict[GroupKey, Tally] = {}
    for row in session.execute(query).mappings():
        status = Status(row["status"])
        phase_seconds = {phase: _total(row[f"stored_{phase.value}"]) for phase in PHASE_COLUMNS}
        if status is not Status.CLOSED:
            phase_seconds[phase_of(status)] += _total(row["ongoing"]) * unit
        tally = Tally(
            incidents=row["incidents"],
            acknowledge_seconds=_total(row["acknowledge_seconds"]) * unit,
            acknowledged=row["acknowledged"],
            detect_seconds=_total(row["detect_seconds"]) * unit,
            repair_seconds=_total(row["repair_seconds"]) * unit,
            resolved=row["resolved"],
            fix_seconds=_total(row["fix_seconds"]) * unit,
            acknowledged_and_resolved=row["acknowledged_and_resolved"],
            met_target=row["met_target"],
            target_decided=row["target_decided"],
            repeats=row["repeats"],
            chained_gap_seconds=_total(row.get("chained_gap_seconds")),
            chained_gaps=row.get("chained_gaps") or 0,
            chained_severity_gap_seconds=_total(row.get("chained_severity_gap_seconds")),
            chained_severity_gaps=row.get("chained_severity_gaps") or 0,
            by_status={status: row["incidents"]},
            phase_seconds=phase_seconds,
        )
        key = (row["service_id"], str(row["severity"]))
        groups[key] = groups[key] + tally if key in groups else tally
    for key, (count, seconds) in _improving(session, dialect, selection, now=now).items():
        # Counted as analysis above: resolved, its postmortem published, items open.
        moved = seconds * unit
        groups[key].improvement += count
        groups[key].phase_seconds[Phase.ANALYSIS] -= moved
        groups[key].phase_seconds[Phase.IMPROVEMENT] += moved
    return groups


def _running(dialect: Dialect, now: datetime) -> ColumnElement[float]:
    """How long each incident has been in its current phase, in the database's unit."""
    # Never negative: a write may commit a phase_since just after this report's now.
    return dialect.not_negative(dialect.at(now) - instant(incidents.c.phase_since))


def _improving(
    session: Session, dialect: Dialect, selection: Selection, *, now: datetime
) -> dict[GroupKey, tuple[int, float]]:
    """Per group, the resolved incidents in improvement and their time in it so far (in
    the database's unit): found from the published postmortems, which are few."""
    i = incidents
    query = (
        select(
            i.c.service_id,
            i.c.severity,
            func.count(),
            func.sum(_running(dialect, now)),
        )
        .select_from(Postmortem)
        .join(i, i.c.id == Postmortem.incident_id)
        .where(
            Postmortem.status == PostmortemStatus.PUBLISHED,
            i.c.status == Status.RESOLVED,
            selection.where,
            Incident.has_open_action_items.expression,  # the model's own definition
        )
        .group_by(i.c.service_id, i.c.severity)
    )
    return {
        (service_id, str(severity)): (count, _total(seconds))
        for service_id, severity, count, seconds in session.execute(query)
    }
