"""The SQL pieces every report shares: instants and durations each database computes
itself, and the incidents a ReportFilter selects.

Durations are computed by the database, never by loading rows: on PostgreSQL from the
epoch seconds of a timestamptz, on SQLite from `julianday()` of the text UTCDateTime
stores ('2026-03-02 09:00:00.000000', which julianday reads). SQLite's date functions
count whole milliseconds, so reports there are exact to the millisecond; comparisons
against a target allow half a millisecond either way so that floating point never turns
"exactly on target" into "late".

On SQLite the report indexes of migrations 0017 and 0021 store these julianday() values
(indexes on expressions), so a report reads numbers from an index instead of parsing a
million timestamps; for that the expressions here must stay written exactly as indexed:
`julianday(<column>)`. SQLite reads such an index without the table from 3.41 on, which
is why warroom brings its own SQLite where it can (db.session.sqlite_driver).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Float, Integer, Interval, Table, and_, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from warroom.db.base import UTCDateTime
from warroom.incidents.models import Incident
from warroom.services.models import Service
from warroom.services.repository import get_service
from warroom.teams.repository import get_team

incidents = cast(Table, Incident.__table__)

# Half of SQLite's resolution, in seconds: the tolerance of "within the target".
TOLERANCE_SECONDS = 0.0005


class instant(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it renders
    """A moment as a number the database subtracts and orders: days (SQLite julianday)
    or seconds (PostgreSQL epoch). `Dialect.seconds_per_unit` converts."""

    type = Float()
    name = "instant"
    inherit_cache = True


@compiles(instant, "sqlite")
def _instant_sqlite(element: instant, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(instant, "postgresql")
def _instant_postgresql(element: instant, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part, not EXTRACT: EXTRACT answers numeric since PostgreSQL 14, slower to sum
    # and a Decimal in Python; double precision keeps microseconds at today's epochs.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


class whole(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it renders
    """The whole part of a number that is never negative (SQLite may lack floor())."""

    type = Integer()
    name = "whole"
    inherit_cache = True


@compiles(whole, "sqlite")
def _whole_sqlite(element: whole, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(whole, "postgresql")
def _whole_postgresql(element: whole, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS BIGINT)"


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the two databases, for the queries that care."""

    sqlite: bool

    @property
    def seconds_per_unit(self) -> float:
        return 86400.0 if self.sqlite else 1.0

    def units(self, span: timedelta) -> float:
        return span.total_seconds() / self.seconds_per_unit

    def param(self, moment: datetime) -> ColumnElement[datetime]:
        """A moment as a parameter, converted the way stored values are."""
        return literal(moment, UTCDateTime())

    def at(self, moment: datetime) -> ColumnElement[float]:
        return instant(self.param(moment))

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        """later - earlier in seconds; NULL when either is."""
        span = instant(later) - instant(earlier)
        return span * self.seconds_per_unit if self.sqlite else span

    def not_negative(self, value: ColumnElement[float]) -> ColumnElement[float]:
        """max(value, 0) for each row."""
        return func.max(value, 0) if self.sqlite else func.greatest(value, 0)

    def within_before(self, moment: Any, reference: Any, span: timedelta) -> ColumnElement[bool]:
        """reference - span <= moment <= reference, in the form each database's index
        on `moment` serves (julianday() on SQLite, the plain column on PostgreSQL)."""
        if self.sqlite:
            return instant(moment).between(
                instant(reference) - self.units(span), instant(reference)
            )
        return moment.between(reference - literal(span, Interval()), reference)  # type: ignore[no-any-return]


def dialect_of(session: Session) -> Dialect:
    return Dialect(sqlite=session.get_bind().dialect.name == "sqlite")


@dataclass(frozen=True, slots=True)
class Scope:
    """The services a filter names (None: all of them), resolved once per report."""

    service_ids: Sequence[int] | None


def resolve_scope(session: Session, *, service: str | None, team: str | None) -> Scope:
    """Unknown service or team names are a NotFound that says which."""
    ids: set[int] | None = None
    if service is not None:
        ids = {get_service(session, service).id}
    if team is not None:
        owned = set(
            session.scalars(select(Service.id).where(Service.team_id == get_team(session, team).id))
        )
        ids = owned if ids is None else ids & owned
    return Scope(sorted(ids) if ids is not None else None)


# On SQLite a period holding fewer than 1/16 of the incidents is read through the plain
# (drill, triggered_at) index, row by row; a longer one by scanning a report index whole,
# which costs about a sixteenth of reading every incident row by row.
NARROW_SHARE = 16


def few_incidents(session: Session, *, since: datetime, until: datetime, drill: bool) -> bool:
    """True when [since, until) holds less than 1/NARROW_SHARE of the incidents: counted
    on an index, and only up to that share, so asking costs little either way."""
    i = incidents
    cap = (session.scalar(select(func.max(i.c.id))) or 0) // NARROW_SHARE
    period = (
        select(literal(1))
        .where(i.c.drill == drill, i.c.triggered_at >= since, i.c.triggered_at < until)
        .limit(cap + 1)
        .subquery()
    )
    return (session.scalar(select(func.count()).select_from(period)) or 0) <= cap


@dataclass(frozen=True, slots=True)
class Selection:
    """A report's incidents: `where` selects them; `in_period` tests any other moment
    (a neighbour's trigger) against the same period, written the same way."""

    where: ColumnElement[bool]
    in_period: Callable[[Any], ColumnElement[bool]]
    # False when every incident of the kind is in the period (then in_period(x) is only
    # "x is not NULL").
    bounded: bool
    since: datetime
    until: datetime
    drill: bool
    scope: Scope


def select_incidents(
    session: Session,
    *,
    dialect: Dialect,
    scope: Scope,
    since: datetime,
    until: datetime,
    drill: bool,
) -> Selection:
    """The incidents of a report: triggered in [since, until), of the scope's services,
    drills or not. On SQLite, a long period is compared in julianday() (the report
    indexes hold those, so the scan never reads the table) and a short one on the text
    column (which the (drill, triggered_at) index can seek)."""
    i = incidents

    # A bound no incident of the kind lies beyond tests nothing: leaving it out spares
    # a comparison per incident (a report of the whole history has neither).
    def any_where(beyond: ColumnElement[bool]) -> bool:
        return session.scalar(select(literal(1)).where(i.c.drill == drill, beyond).limit(1)) == 1

    checks_since = any_where(i.c.triggered_at < since)
    checks_until = any_where(i.c.triggered_at >= until)
    wide = (
        dialect.sqlite
        and (checks_since or checks_until)
        and not few_incidents(session, since=since, until=until, drill=drill)
    )

    def in_period(moment: Any) -> ColumnElement[bool]:
        # julianday() on a long SQLite period, as the report indexes hold it; the column
        # itself otherwise, as the (drill, triggered_at) index holds it.
        value = instant(moment) if wide else moment
        conditions = []
        if checks_since:
            conditions.append(value >= (dialect.at(since) if wide else dialect.param(since)))
        if checks_until:
            conditions.append(value < (dialect.at(until) if wide else dialect.param(until)))
        # A bound is false for NULL already; without one, only NULL is outside.
        return and_(*conditions) if conditions else value.is_not(None)

    bounded = checks_since or checks_until
    conditions = [i.c.drill == drill]
    if bounded:
        conditions.append(in_period(i.c.triggered_at))
    if scope.service_ids is not None:
        conditions.append(i.c.service_id.in_(scope.service_ids))
    return Selection(and_(*conditions), in_period, bounded, since, until, drill, scope)
