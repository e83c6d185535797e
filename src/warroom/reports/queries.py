"""The report queries: SQL aggregates over indexed columns, never incidents loaded one by
one into Python. The definitions are SPEC §2's (warroom.domain.metrics); tests compare
these figures with that module's on the same incidents."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from warroom.reports.schemas import ReportOut


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
    raise NotImplementedError  # issue 6: the reports helper writes this


def weekly_trend(session: Session, *, where: ReportFilter, now: datetime) -> list[WeekPoint]:
    raise NotImplementedError  # issue 6: the reports helper writes this


def oncall_load(session: Session, *, where: ReportFilter) -> list[PersonLoad]:
    raise NotImplementedError  # issue 6: the reports helper writes this
