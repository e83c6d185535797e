"""The report queries: SQL aggregates over indexed columns, never incidents loaded one by
one into Python. The definitions are SPEC §2's (warroom.domain.metrics); tests compare
these figures with that module's on the same incidents."""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.domain.severity import Severity
from warroom.reports.gaps import gaps_between_failures
from warroom.reports.load import oncall_load_rows
from warroom.reports.rollup import report_of
from warroom.reports.schemas import ReportOut
from warroom.reports.sql import (
    dialect_of,
    incidents,
    resolve_scope,
    select_incidents,
    whole,
)
from warroom.reports.tally import tally_groups
from warroom.services.models import Service
from warroom.teams.models import Team

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Incidents triggered in [since, until), optionally of one service or team; drills
    are left out unless `drill` is True (then only drills are counted)."""

    since: datetime
    until: datetime
    service: str | None = None
    team: str | None = None
    drill: bool = False


@dataclass(frozen=True, slots=True)
class WeekPoint:
    week_start: date  # the Monday (UTC) the week starts on
    incidents: int
    by_severity: dict[str, int]
    mtta_minutes: float | None
    mttr_minutes: float | None


@dataclass(frozen=True, slots=True)
class PersonLoad:
    handle: str
    name: str
    time_zone: str
    pages: int  # pages sent to the person in the period
    incidents: int  # distinct incidents they were paged for
    sleep_pages: int  # sent 22:00-08:00 in the person's own time zone
    off_hours_pages: int  # outside Mon-Fri 08:00-18:00 local (sleep pages included)


def incident_report(session: Session, *, where: ReportFilter, now: datetime) -> ReportOut:
    """SPEC §3's report: one grouped scan for the sums and counts (tally.py), the time
    between failures (gaps.py), rolled up overall and by severity, service and team."""
    dialect = dialect_of(session)
    scope = resolve_scope(session, service=where.service, team=where.team)
    selection = select_incidents(
        session,
        dialect=dialect,
        scope=scope,
        since=where.since,
        until=where.until,
        drill=where.drill,
    )
    groups = tally_groups(session, dialect=dialect, selection=selection, now=now)
    gaps = gaps_between_failures(session, dialect=dialect, selection=selection, groups=groups)
    names = {
        service_id: (service, team)
        for service_id, service, team in session.execute(
            select(Service.id, Service.name, Team.name)
            .outerjoin(Team, Team.id == Service.team_id)
            .where(Service.id.in_({service_id for service_id, _ in groups}))
        )
    }
    return report_of(
        since=where.since,
        until=where.until,
        drills=where.drill,
        groups=groups,
        gaps=gaps,
        services=names,
    )


def _monday(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(), tzinfo=UTC)


def weekly_trend(session: Session, *, where: ReportFilter, now: datetime) -> list[WeekPoint]:
    """One point per week (Monday 00:00 UTC) from the week of `since` to the week of
    `until`, or of now when the period runs on past now: how many incidents were
    triggered in it, by severity, and their MTTA and MTTR."""
    end = min(where.until, now) if now > where.since else where.until
    if end <= where.since:
        return []
    first = _monday(where.since)
    weeks = math.ceil((end - first) / WEEK)
    dialect = dialect_of(session)
    scope = resolve_scope(session, service=where.service, team=where.team)
    i = incidents
    week = whole(
        dialect.seconds(i.c.triggered_at, dialect.param(first)) / WEEK.total_seconds()
    ).label("week")
    ack = dialect.seconds(i.c.acknowledged_at, i.c.triggered_at)
    repair = dialect.seconds(i.c.resolved_at, i.c.started_at)
    query = (
        select(
            week,
            i.c.severity,
            func.count(),
            func.sum(ack),
            func.count(ack),
            func.sum(repair),
            func.count(repair),
        )
        .where(
            select_incidents(
                session,
                dialect=dialect,
                scope=scope,
                since=where.since,
                until=end,
                drill=where.drill,
            ).where
        )
        .group_by(week, i.c.severity)
    )
    counts = [dict.fromkeys((str(s) for s in Severity), 0) for _ in range(weeks)]
    sums = [[0.0, 0, 0.0, 0] for _ in range(weeks)]
    for week_n, severity, n_incidents, ack_sum, acked, repair_sum, repaired in session.execute(
        query
    ):
        # SQLite's julianday() keeps milliseconds: an incident in the last half
        # millisecond before a Monday `until` can round into the week after the last.
        n = min(week_n, weeks - 1)
        counts[n][str(severity)] += n_incidents
        totals = sums[n]
        totals[0] += float(ack_sum or 0.0)
        totals[1] += acked
        totals[2] += float(repair_sum or 0.0)
        totals[3] += repaired
    return [
        WeekPoint(
            week_start=(first + n * WEEK).date(),
            incidents=sum(counts[n].values()),
            by_severity=counts[n],
            mtta_minutes=totals[0] / totals[1] / 60 if totals[1] else None,
            mttr_minutes=totals[2] / totals[3] / 60 if totals[3] else None,
        )
        for n, totals in enumerate(sums)
    ]


def oncall_load(session: Session, *, where: ReportFilter) -> list[PersonLoad]:
    """Pages sent per person in [since, until) for the filter's incidents, most paged
    first, with those that reached them asleep or off hours in their own time zone."""
    counts = oncall_load_rows(
        session,
        dialect=dialect_of(session),
        scope=resolve_scope(session, service=where.service, team=where.team),
        since=where.since,
        until=where.until,
        drill=where.drill,
    )
    loads = [
        PersonLoad(
            handle=c.person.handle,
            name=c.person.name,
            time_zone=c.person.time_zone,
            pages=c.pages,
            incidents=c.incidents,
            sleep_pages=c.sleep_pages,
            off_hours_pages=c.off_hours_pages,
        )
        for c in counts
    ]
    return sorted(loads, key=lambda load: (-load.pages, load.handle))
