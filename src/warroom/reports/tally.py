"""The report's one grouped scan: per (service, severity), the sums and counts SPEC §2's
figures are made of. Sums and counts add up exactly, so the overall, per-severity,
per-service and per-team figures are rolled up from these groups in Python (never an
average of averages)."""

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from warroom.domain.action_items import FINISHED
from warroom.domain.lifecycle import Status
from warroom.domain.metrics import REPEAT_WINDOW
from warroom.domain.postmortem import PostmortemStatus
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.reports.sql import TOLERANCE_SECONDS, Dialect, incidents, instant

# Counted one by one; "closed" is what is left of the total.
COUNTED_STATUSES = tuple(s for s in Status if s is not Status.CLOSED)

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
    by_status: dict[Status, int] = field(default_factory=dict)

    def __add__(self, other: "Tally") -> "Tally":
        merged = Tally(**{name: getattr(self, name) + getattr(other, name) for name in _SUMMED})
        merged.by_status = dict(Counter(self.by_status) + Counter(other.by_status))
        return merged


_SUMMED = tuple(f.name for f in fields(Tally) if f.name != "by_status")


def _total(value: Any) -> float:
    # A SUM over no rows is NULL.
    return float(value) if value is not None else 0.0


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def tally_groups(
    session: Session, *, dialect: Dialect, where: ColumnElement[bool], now: datetime
) -> dict[GroupKey, Tally]:
    """Sums and counts per (service id, severity) of the incidents `where` selects,
    ordered by service id then severity (the order gaps.py relies on)."""
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
    earlier = incidents.alias("earlier")
    repeat = (
        select(literal(1))
        .where(
            earlier.c.service_id == i.c.service_id,
            earlier.c.dedup_key == i.c.dedup_key,
            earlier.c.drill == i.c.drill,
            dialect.within_before(earlier.c.resolved_at, i.c.started_at, REPEAT_WINDOW),
            earlier.c.id != i.c.id,
        )
        .exists()
    )
    published = (
        select(literal(1))
        .where(Postmortem.incident_id == i.c.id, Postmortem.status == PostmortemStatus.PUBLISHED)
        .exists()
    )
    open_items = (
        select(literal(1))
        .where(ActionItem.incident_id == i.c.id, ActionItem.status.not_in(FINISHED))
        .exists()
    )
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
        "repeats": _count_if(and_(i.c.dedup_key.is_not(None), repeat)),
        "improvement": _count_if(and_(i.c.status == Status.RESOLVED, published, open_items)),
    }
    statuses: dict[str, ColumnElement[Any]] = {
        f"status_{s.value}": _count_if(i.c.status == s) for s in COUNTED_STATUSES
    }
    query = (
        select(
            i.c.service_id,
            i.c.severity,
            *(expr.label(name) for name, expr in (sums | statuses).items()),
        )
        .where(where)
        .group_by(i.c.service_id, i.c.severity)
        .order_by(i.c.service_id, i.c.severity)
    )
    groups: dict[GroupKey, Tally] = {}
    for row in session.execute(query).mappings():
        by_status: dict[Status, int] = {s: row[f"status_{s.value}"] for s in COUNTED_STATUSES}
        by_status[Status.CLOSED] = row["incidents"] - sum(by_status.values())
        groups[(row["service_id"], str(row["severity"]))] = Tally(
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
            improvement=row["improvement"],
            by_status={s: n for s, n in by_status.items() if n},
        )
    return groups
