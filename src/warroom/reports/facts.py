"""Facts about an incident's neighbours, stored with it so that a SQLite report never
pairs a million incidents (ADR 0006).

For MTTF, SPEC §2 pairs each incident with the one before it: the service's previous
incident (of the same drill kind) in order of start, then trigger, then id. Each incident
keeps when that previous one was triggered and the time from its resolution to this
one's start (NULL when it was never resolved or they overlapped), and the same within
the service's incidents of its severity. A report sums the stored gaps of the incidents
whose previous one is in the period too; gaps.py corrects the few pairs that period
boundaries make. For repeats, each incident keeps whether it repeats an earlier one.

Only SQLite keeps these. Its writes are serialised (BEGIN IMMEDIATE), so the neighbour a
fact names is always the one committed; PostgreSQL has concurrent writers, two of which
could each insert an incident unseen by the other; it pairs incidents with window
functions at report time instead (gaps.py).

Three things change the facts, and each calls refresh_facts: an incident is declared
(its start may lie before others' starts), resolved or reopened (its resolution moves),
or re-graded (it moves between severity sequences). rebuild_facts computes every
incident's facts at once, for the migration and for rows written in bulk.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    FromClause,
    Select,
    Update,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from warroom.domain.metrics import REPEAT_WINDOW
from warroom.domain.severity import Severity
from warroom.incidents.models import Incident
from warroom.reports.sql import Dialect, incidents, instant

SECONDS_PER_DAY = 86400.0
REPEAT_DAYS = REPEAT_WINDOW.total_seconds() / SECONDS_PER_DAY
SQLITE = Dialect(sqlite=True)


def keeps_facts(session: Session | Connection) -> bool:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "sqlite"


def order_key(table: FromClause) -> tuple[ColumnElement[Any], ...]:
    """The order SPEC §2 pairs a service's incidents in, as the report indexes hold it."""
    return (instant(table.c.started_at), instant(table.c.triggered_at), table.c.id)


def comes_after(key: Sequence[Any], other: Sequence[Any]) -> ColumnElement[bool]:
    """`key` > `other` in order (order_key columns against values or columns). Written
    out rather than as a row value, which SQLite cannot seek an index on expressions
    with; the leading `>=` is the range it seeks."""
    return _ordered(key, other, greater=True)


def comes_before(key: Sequence[Any], other: Sequence[Any]) -> ColumnElement[bool]:
    """`key` < `other` in order; see comes_after."""
    return _ordered(key, other, greater=False)


def _ordered(key: Sequence[Any], other: Sequence[Any], *, greater: bool) -> ColumnElement[bool]:
    def strictly(a: Any, b: Any) -> ColumnElement[bool]:
        return a > b if greater else a < b  # type: ignore[no-any-return]

    (first, *rest), (first_other, *rest_other) = key, other
    if not rest:
        return strictly(first, first_other)
    at_least = first >= first_other if greater else first <= first_other
    tie = and_(first == first_other, _ordered(rest, rest_other, greater=greater))
    return and_(at_least, or_(strictly(first, first_other), tie))


def sequence_of(table: FromClause, other: FromClause, *, by_severity: bool) -> list[Any]:
    """`other` is in the same sequence as `table`: same drill kind and service (and
    severity)."""
    same = [other.c.drill == table.c.drill, other.c.service_id == table.c.service_id]
    if by_severity:
        same.append(other.c.severity == table.c.severity)
    return same


def gap_seconds(started: ColumnElement[float], resolved: ColumnElement[float]) -> Any:
    """From a previous incident's resolution to this one's start (julianday values), in
    seconds; NULL when it was not resolved or they overlapped."""
    return case((started >= resolved, (started - resolved) * SECONDS_PER_DAY))


# Built once: an alias of the incidents table proxies all its columns, which costs more
# than the queries the write path runs with it.
_EARLIER = incidents.alias("earlier")
_PREVIOUS = incidents.alias("previous")


def repeats_earlier(dialect: Dialect, i: FromClause) -> ColumnElement[bool]:
    """SPEC §2: `i` has an alert key, and an incident of its service (and drill kind)
    with the same key was resolved in the 7 days before it started."""
    earlier = _EARLIER
    return and_(
        i.c.dedup_key.is_not(None),
        select(literal(1))
        .where(
            earlier.c.service_id == i.c.service_id,
            earlier.c.dedup_key == i.c.dedup_key,
            earlier.c.drill == i.c.drill,
            dialect.within_before(earlier.c.resolved_at, i.c.started_at, REPEAT_WINDOW),
            earlier.c.id != i.c.id,
        )
        .exists(),
    )


_COLUMNS = {
    False: ("previous_triggered_at", "gap_after_previous_seconds"),
    True: ("previous_of_severity_triggered_at", "gap_after_previous_of_severity_seconds"),
}


def rebuild_facts(session: Session | Connection) -> None:
    """Every incident's facts, from scratch: two window passes and one EXISTS each."""
    if not keeps_facts(session):
        return
    i = incidents
    partitions = {
        by_severity: (i.c.drill, i.c.service_id, *((i.c.severity,) if by_severity else ()))
        for by_severity in (False, True)
    }
    ordered = select(
        i.c.id,
        *(
            column
            for by_severity, partition in partitions.items()
            for column in (
                func.lag(i.c.triggered_at)
                .over(partition_by=partition, order_by=order_key(i))
                .label(f"triggered_{by_severity}"),
                func.lag(instant(i.c.resolved_at))
                .over(partition_by=partition, order_by=order_key(i))
                .label(f"resolved_{by_severity}"),
            )
        ),
    ).subquery("ordered")
    values: dict[str, Any] = {}
    for by_severity, (triggered_column, gap_column) in _COLUMNS.items():
        values[triggered_column] = ordered.c[f"triggered_{by_severity}"]
        values[gap_column] = gap_seconds(
            instant(i.c.started_at), ordered.c[f"resolved_{by_severity}"]
        )
    session.execute(update(i).where(i.c.id == ordered.c.id).values(**values))
    session.execute(update(i).values(is_repeat=repeats_earlier(SQLITE, i)))


@dataclass(frozen=True, slots=True)
class Before:
    """What an incident was before a change: the sequences and repeats it affected."""

    severity: Severity
    resolved_at: datetime | None


def refresh_facts(session: Session, incident: Incident, *, before: Before | None = None) -> None:
    """After `incident` was declared (before=None), resolved, reopened or re-graded: its
    own facts, those of the incidents after it in each sequence it left or joined, and
    the repeat flags its resolution decides."""
    if not keeps_facts(session):
        return
    session.flush()
    severities = {incident.severity} | ({before.severity} if before is not None else set())
    sequence = {"p_drill": incident.drill, "p_service": incident.service_id, "p_id": incident.id}
    following = {
        found
        for severity in (None, *severities)
        if (
            found := session.scalar(
                _NEXT_OF_SERVICE if severity is None else _NEXT_OF_SEVERITY,
                sequence | {"p_severity": severity},
            )
        )
        is not None
    }
    session.execute(_REFRESH_GAPS, {"p_ids": sorted({incident.id} | following)})
    if incident.dedup_key is None:
        return
    resolutions = [incident.resolved_at, before.resolved_at if before else None]
    session.execute(
        _REFRESH_REPEATS,
        sequence
        | {"p_key": incident.dedup_key, "p_resolved": resolutions[0], "p_was": resolutions[1]},
    )


def _next_in_sequence(*, by_severity: bool) -> Select[tuple[int]]:
    """The incident right after incident :p_id in its service's sequence (or in that of
    :p_severity, which may be one it just left)."""
    i = incidents
    conditions = [i.c.drill == bindparam("p_drill"), i.c.service_id == bindparam("p_service")]
    if by_severity:
        conditions.append(i.c.severity == bindparam("p_severity", type_=i.c.severity.type))
    own = select(*order_key(i)).where(i.c.id == bindparam("p_id")).subquery()
    return (
        select(i.c.id)
        .where(*conditions, comes_after(order_key(i), list(own.c)))
        .order_by(*order_key(i))
        .limit(1)
    )


def _refresh_gaps() -> Update:
    """Each of incidents :p_ids gets its previous incident's trigger and gap, in both
    sequences."""
    i, previous = incidents, _PREVIOUS
    values: dict[str, Any] = {}
    for by_severity, (triggered_column, gap_column) in _COLUMNS.items():
        before = (
            select()
            .where(
                *sequence_of(i, previous, by_severity=by_severity),
                comes_before(order_key(previous), order_key(i)),
            )
            .order_by(*(column.desc() for column in order_key(previous)))
            .limit(1)
        )
        values[triggered_column] = before.add_columns(previous.c.triggered_at).scalar_subquery()
        values[gap_column] = before.add_columns(
            gap_seconds(instant(i.c.started_at), instant(previous.c.resolved_at))
        ).scalar_subquery()
    return update(i).where(i.c.id.in_(bindparam("p_ids", expanding=True))).values(**values)


def _refresh_repeats() -> Update:
    """The repeat flags of incident :p_id and of the incidents with its key that started
    within the repeat window after its resolution now (:p_resolved) or before (:p_was)."""
    i = incidents

    def after(moment: str) -> ColumnElement[bool]:
        resolved = instant(bindparam(moment, type_=i.c.resolved_at.type))
        return instant(i.c.started_at).between(resolved, resolved + REPEAT_DAYS)

    return (
        update(i)
        .where(
            i.c.service_id == bindparam("p_service"),
            i.c.dedup_key == bindparam("p_key"),
            i.c.drill == bindparam("p_drill"),
            or_(i.c.id == bindparam("p_id"), after("p_resolved"), after("p_was")),
        )
        .values(is_repeat=repeats_earlier(SQLITE, i))
    )


# The write path's statements, built once and cached by SQLAlchemy as compiled SQL.
_NEXT_OF_SERVICE = _next_in_sequence(by_severity=False)
_NEXT_OF_SEVERITY = _next_in_sequence(by_severity=True)
_REFRESH_GAPS = _refresh_gaps()
_REFRESH_REPEATS = _refresh_repeats()
