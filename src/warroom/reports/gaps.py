"""Time between failures (MTTF) in SQL: each service's incidents in order of start
(then trigger, then id), and the gap from one's resolution to the next one's start when
the next started after it (SPEC §2, warroom.domain.metrics.mttf_hours). Pairs are taken
within the report's incidents; per severity (as domain.metrics.report does), within each
(service, severity).

PostgreSQL pairs neighbours with LAG(). SQLite's window functions cost about a
microsecond a row (each partition goes through a temporary b-tree), which alone would
spend the report's second on a million incidents; there, the incidents are copied in
order, straight off an index that is already in that order, into a temporary table whose
rowids are their positions, and neighbours are rowid n and n - 1: a join SQLite runs in
a tenth of the time.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    Table,
    case,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from warroom.reports.sql import Dialect, incidents, instant

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
    where: ColumnElement[bool],
    sizes: Sequence[tuple[GroupKey, int]],
) -> Gaps:
    """`sizes`: how many incidents `where` selects per (service id, severity), in
    service id then severity order (tally.tally_groups' answer)."""
    if dialect.sqlite:
        return _by_position(session, where=where, sizes=sizes)
    return _by_window(session, where=where)


# Each service's incidents in order of start, then trigger, then id (the domain's
# stable sort keeps insertion order, which ids follow).
_ORDER = (incidents.c.started_at, incidents.c.triggered_at, incidents.c.id)
# The same order as _ORDER, as the report indexes of migration 0017 hold it.
_ORDER_SQLITE = (
    instant(incidents.c.started_at),
    instant(incidents.c.triggered_at),
    incidents.c.id,
)


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
