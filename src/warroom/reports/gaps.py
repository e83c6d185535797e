"""Time between failures (MTTF) in SQL: each service's incidents in order of start
(then trigger, then id), and the gap from one's resolution to the next one's start when
the next started after it (SPEC §2, warroom.domain.metrics.mttf_hours). Pairs are taken
within the report's incidents; per severity (as domain.metrics.report does), within each
(service, severity).

SQLite keeps each incident's gap after the previous one (facts.py) and the grouped scan
sums those whose previous incident is in the period too. What is left are the pairs a
period boundary makes: two incidents of the period with one outside it between them in
order of start. Such an outside incident was triggered before `since` (so the first of
the pair started before `since`) or after `until` (so the second started within the
longest detection lag before `until`); both are near a boundary, found on the trigger
index and paired one seek each (_boundary_pairs). If a database holds a detection lag so
long that the boundaries hold thousands of incidents, SQLite pairs the period's
incidents instead (_by_position), as exact and slower.

PostgreSQL pairs neighbours with LAG(). SQLite's window functions cost about a
microsecond a row (each partition goes through a temporary b-tree); its pairing copies
the incidents in order, straight off an index that is already in that order, into a
temporary table whose rowids are their positions, and neighbours are rowid n and n - 1.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from warroom.reports.facts import SECONDS_PER_DAY, SQLITE, comes_after, comes_before, order_key
from warroom.reports.sql import Dialect, Selection, incidents, instant
from warroom.reports.tally import Tally

GroupKey = tuple[int, str]  # (service id, severity)


@dataclass(frozen=True, slots=True)
class Span:
    seconds: float = 0.0
    count: int = 0

    def __add__(self, other: "Span") -> "Span":
        return Span(self.seconds + other.seconds, self.count + other.count)


@dataclass(frozen=True, slots=True)
class Gaps:
    by_service: dict[int, Span]  # pairs of one service's incidents
    by_severity: dict[GroupKey, Span]  # pairs of one service's incidents of one severity


def gaps_between_failures(
    session: Session,
    *,
    dialect: Dialect,
    selection: Selection,
    groups: Mapping[GroupKey, Tally],
) -> Gaps:
    """`groups`: tally.tally_groups' answer for the same selection, in service id then
    severity order."""
    if not dialect.sqlite:
        return _by_window(session, where=selection.where)
    boundary = _boundary_pairs(session, selection)
    if boundary is None:
        return _by_position(
            session,
            where=selection.where,
            sizes=[(key, tally.incidents) for key, tally in groups.items()],
        )
    by_service: dict[int, Span] = {}
    by_severity: dict[GroupKey, Span] = {}
    for (service_id, severity), t in groups.items():
        stored = Span(t.chained_gap_seconds, t.chained_gaps)
        by_service[service_id] = by_service.get(service_id, Span()) + stored
        by_severity[(service_id, severity)] = Span(
            t.chained_severity_gap_seconds, t.chained_severity_gaps
        )
    for (by_sev, service_id, severity), span in boundary.items():
        if by_sev:
            key = (service_id, severity)
            by_severity[key] = by_severity.get(key, Span()) + span
        else:
            by_service[service_id] = by_service.get(service_id, Span()) + span
    return Gaps(by_service, by_severity)


# At most this many incidents near the period's boundaries are paired one by one.
BOUNDARY_LIMIT = 2000
# julianday() counts milliseconds: the lag bound is widened by a second to stay a bound.
_MARGIN = timedelta(seconds=1)


def _boundary_pairs(
    session: Session, selection: Selection
) -> dict[tuple[bool, int, str], Span] | None:
    """The gaps of the pairs the stored facts miss, per (by severity, service id,
    severity); None when there are too many incidents near the boundaries to pair one by
    one."""
    i = incidents
    since, until, drill = selection.since, selection.until, selection.drill
    lag_days = session.scalar(select(_LAG).where(i.c.drill == drill).order_by(_LAG.desc()).limit(1))
    if lag_days is None:
        return {}
    lag = timedelta(days=max(float(lag_days), 0.0)) + _MARGIN
    try:
        # The windows below, each widened by the margin on its inner side too: a bound
        # between two milliseconds is where julianday() and the text disagree.
        before_since, after_since = since - lag, since + lag
        before_until, after_until = until - lag, until + lag
        since_in, until_in, past_until = since + _MARGIN, until - _MARGIN, until + _MARGIN
    except OverflowError:
        return None  # a period or a lag reaching the calendar's ends: pair them all

    def any_triggered(start: datetime, end: datetime) -> bool:
        return (
            session.scalar(
                select(literal(1))
                .where(i.c.drill == drill, i.c.triggered_at >= start, i.c.triggered_at < end)
                .limit(1)
            )
            is not None
        )

    # (first of a pair: pair forward) incidents of the period started before `since`;
    # (second of a pair: pair backward) those started within the lag before `until`.
    wanted: list[tuple[bool, ColumnElement[bool]]] = []
    if any_triggered(before_since, since_in):
        wanted.append(
            (
                True,
                and_(
                    i.c.triggered_at < after_since,
                    instant(i.c.started_at) < SQLITE.at(since_in),
                ),
            )
        )
    if any_triggered(until_in, after_until):
        wanted.append(
            (
                False,
                and_(
                    i.c.triggered_at >= before_until,
                    instant(i.c.started_at) >= SQLITE.at(before_until),
                ),
            )
        )
    candidates: list[tuple[bool, Any]] = []
    for forward, near in wanted:
        rows = session.execute(
            select(i.c.id, i.c.service_id, i.c.severity, *order_key(i), instant(i.c.resolved_at))
            .where(selection.where, near)
            .limit(BOUNDARY_LIMIT + 1)
        ).all()
        candidates.extend((forward, row) for row in rows)
        if len(candidates) > BOUNDARY_LIMIT:
            return None
    pairs: dict[tuple[bool, int], tuple[tuple[bool, int, str], float | None]] = {}
    for forward, row in candidates:
        for by_sev in (False, True):
            found = _neighbour_in_period(
                session,
                selection,
                row,
                forward=forward,
                by_sev=by_sev,
                walk=(SQLITE.at(before_since), SQLITE.at(past_until)),
            )
            if found is not None:
                second_id, gap = found
                pairs[(by_sev, second_id)] = ((by_sev, row.service_id, str(row.severity)), gap)
    spans: dict[tuple[bool, int, str], Span] = {}
    for key, gap in pairs.values():
        if gap is not None:
            spans[key] = spans.get(key, Span()) + Span(gap, 1)
    return spans


# From start to trigger, in days, as migration 0021's index holds it.
_LAG = instant(incidents.c.triggered_at) - instant(incidents.c.started_at)


def _neighbour_in_period(
    session: Session,
    selection: Selection,
    row: Any,
    *,
    forward: bool,
    by_sev: bool,
    walk: tuple[ColumnElement[float], ColumnElement[float]],
) -> tuple[int, float | None] | None:
    """The incident of the period next to `row` (after it when `forward`, else before
    it) in its service's (or severity's) order, when the stored facts do not already
    pair them: (the id of the later of the two, their gap in seconds or None)."""
    i = incidents
    # Bounds on the walk: an incident of the period starts no earlier than the longest
    # lag before `since`, and before `until` (with the margin).
    floor, until = walk
    same = [i.c.drill == selection.drill, i.c.service_id == row.service_id]
    if by_sev:
        same.append(i.c.severity == row.severity)
    key = order_key(i)
    own = [literal(row[n]) for n in range(3, 6)]
    previous = i.c.previous_of_severity_triggered_at if by_sev else i.c.previous_triggered_at
    if forward:
        # The later incident of the pair: its previous incident is outside the period
        # unless the stored facts counted the pair.
        after: Any = session.execute(
            select(i.c.id, instant(i.c.started_at), selection.in_period(previous))
            .where(*same, comes_after(key, own), selection.where, instant(i.c.started_at) < until)
            .order_by(*order_key(i))
            .limit(1)
        ).first()
        if after is None or after[2]:
            return None
        return after[0], _gap(after[1], row[6])
    if session.scalar(select(selection.in_period(previous)).where(i.c.id == row.id)):
        return None
    earlier: Any = session.execute(
        select(instant(i.c.resolved_at))
        .where(*same, comes_before(key, own), selection.where, instant(i.c.started_at) >= floor)
        .order_by(*(column.desc() for column in order_key(i)))
        .limit(1)
    ).first()
    if earlier is None:
        return None
    return row.id, _gap(row[3], earlier[0])


def _gap(started: float, resolved: float | None) -> float | None:
    """julianday values, as facts.gap_seconds computes them."""
    if resolved is None or started < resolved:
        return None
    return (started - resolved) * SECONDS_PER_DAY


# Each service's incidents in order of start, then trigger, then id (the domain's
# stable sort keeps insertion order, which ids follow).
_ORDER = (incidents.c.started_at, incidents.c.triggered_at, incidents.c.id)
# The same order as _ORDER, as SQLite's by_service report index holds it.
_ORDER_SQLITE = order_key(incidents)


def _by_window(session: Session, *, where: ColumnElement[bool]) -> Gaps:
    i = incidents
    resolved = instant(i.c.resolved_at)
    ordered = (
        select(
            i.c.service_id,
            i.c.severity,
            instant(i.c.started_at).label("at"),
            func.lag(resolved).over(partition_by=i.c.service_id, order_by=_ORDER).label("svc"),
            func.lag(resolved)
            .over(partition_by=(i.c.service_id, i.c.severity), order_by=_ORDER)
            .label("sev"),
        )
        .where(where)
        .subquery()
    )

    def gap(previous: ColumnElement[float]) -> ColumnElement[float]:
        return case((ordered.c.at >= previous, ordered.c.at - previous))

    query = select(
        ordered.c.service_id,
        ordered.c.severity,
        func.sum(gap(ordered.c.svc)),
        func.count(gap(ordered.c.svc)),
        func.sum(gap(ordered.c.sev)),
        func.count(gap(ordered.c.sev)),
    ).group_by(ordered.c.service_id, ordered.c.severity)
    by_service: dict[int, Span] = {}
    by_severity: dict[GroupKey, Span] = {}
    for service_id, severity, svc_sum, svc_n, sev_sum, sev_n in session.execute(query):
        by_service[service_id] = by_service.get(service_id, Span()) + Span(
            float(svc_sum or 0.0), svc_n
        )
        by_severity[(service_id, str(severity))] = Span(float(sev_sum or 0.0), sev_n)
    return Gaps(by_service, by_severity)


# Temporary tables, per connection. `position` is an alias of SQLite's rowid: 1, 2, 3 …
# in insertion order, which is the order the incidents are selected in.
_scratch = MetaData()
_rows = Table(
    "report_gap_rows",
    _scratch,
    Column("position", Integer, primary_key=True),
    Column("started", Float),
    Column("resolved", Float),
    prefixes=["TEMPORARY"],
)
# One row per run of positions that belong together (a service, or a service's
# severity); scanned in `run` order, so SQLite groups without sorting.
_runs = Table(
    "report_gap_runs",
    _scratch,
    Column("run", Integer, primary_key=True),
    Column("first", Integer),
    Column("last", Integer),
    prefixes=["TEMPORARY"],
)


def _by_position(
    session: Session, *, where: ColumnElement[bool], sizes: Sequence[tuple[GroupKey, int]]
) -> Gaps:
    i = incidents
    service_sizes: dict[int, int] = {}
    for (service_id, _), n in sizes:
        service_sizes[service_id] = service_sizes.get(service_id, 0) + n
    conn = session.connection()
    try:
        _drop(conn)
        _scratch.create_all(conn)
        # Severity runs: rows in (service, severity, start, trigger, id) order.
        per_severity = _spans(
            conn,
            where=where,
            order=(i.c.service_id, i.c.severity, *_ORDER_SQLITE),
            sizes=[n for _, n in sizes],
        )
        per_service = _spans(
            conn,
            where=where,
            order=(i.c.service_id, *_ORDER_SQLITE),
            sizes=list(service_sizes.values()),
        )
    finally:
        _drop(conn)
    return Gaps(
        by_service=dict(zip(service_sizes, per_service, strict=True)),
        by_severity={key: span for (key, _), span in zip(sizes, per_severity, strict=True)},
    )


def _spans(
    conn: Connection,
    *,
    where: ColumnElement[bool],
    order: Sequence[ColumnElement[Any]],
    sizes: Sequence[int],
) -> list[Span]:
    """The gap sums of each run of `sizes` consecutive rows, once the incidents are laid
    out in `order` (so each run is one group, in order of start)."""
    conn.execute(_rows.delete())
    conn.execute(_runs.delete())
    copy: Select[float, float] = (
        select(instant(incidents.c.started_at), instant(incidents.c.resolved_at))
        .where(where)
        .order_by(*order)
    )
    conn.execute(insert(_rows).from_select(["started", "resolved"], copy))
    runs, first = [], 1
    for run, n in enumerate(sizes):
        runs.append({"run": run, "first": first, "last": first + n - 1})
        first += n
    if runs:
        conn.execute(insert(_runs), runs)
    current, previous = _rows.alias("current"), _rows.alias("previous")
    query = (
        select(
            _runs.c.run,
            func.sum(current.c.started - previous.c.resolved),
            func.count(),
        )
        .select_from(
            _runs.join(current, current.c.position.between(_runs.c.first + 1, _runs.c.last)).join(
                previous, previous.c.position == current.c.position - 1
            )
        )
        .where(current.c.started >= previous.c.resolved)
        .group_by(_runs.c.run)
    )
    found = {run: Span(float(days) * 86400.0, n) for run, days, n in conn.execute(query)}
    return [found.get(run, Span()) for run in range(len(sizes))]


def _drop(conn: Connection) -> None:
    # Left by an earlier report on this pooled connection if its transaction committed.
    for table in (_rows, _runs):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table.name}")
