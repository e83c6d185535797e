"""The report API: SPEC §3's incident report, the weekly trend and the on-call load, for
any period (default: the last 30 days), one service or team, drills or not."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.errors import Invalid
from warroom.reports.queries import ReportFilter, incident_report, oncall_load, weekly_trend
from warroom.reports.schemas import (
    OncallLoadOut,
    PersonLoadOut,
    ReportOut,
    TrendOut,
    WeekOut,
)
from warroom.web.auth import Ctx, Viewer

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

DEFAULT_PERIOD = timedelta(days=30)
# Five years of history answers any question a report is for; a longer one is a typo.
MAX_PERIOD = timedelta(days=5 * 366)
EXAMPLE = "e.g. 2026-11-01 or 2026-11-01T09:00:00Z"

Moment = Annotated[
    str | None,
    Query(
        max_length=64,
        description=f"ISO 8601 date or date-time ({EXAMPLE}); without an offset it is UTC, "
        "a date is its midnight",
    ),
]


def _moment(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            f"{name}: '{text}' is not an ISO 8601 date or date-time ({EXAMPLE})"
        ) from None


@dataclass(frozen=True, slots=True)
class Asked:
    since: str | None
    until: str | None
    service: str | None
    team: str | None
    drill: bool


def asked(
    since: Moment = None,
    until: Moment = None,
    service: Annotated[
        str | None, Query(max_length=100, description="only this service (id or name)")
    ] = None,
    team: Annotated[
        str | None, Query(max_length=100, description="only the services of this team (id or name)")
    ] = None,
    drill: Annotated[
        bool, Query(description="true: drills only (by default drills are left out)")
    ] = False,
) -> Asked:
    return Asked(since, until, service, team, drill)


AskedFor = Annotated[Asked, Depends(asked)]


def report_filter(q: Asked, *, now: datetime) -> ReportFilter:
    """[since, until): until defaults to now, since to 30 days before until."""
    until = _moment(q.until, "until") if q.until else now
    try:
        since = _moment(q.since, "since") if q.since else until - DEFAULT_PERIOD
    except OverflowError:
        raise Invalid("until: too early to count 30 days back from; give since too") from None
    if since >= until:
        raise Invalid(
            f"since ({since.isoformat()}) must be before until ({until.isoformat()}): "
            "the period is [since, until)"
        )
    if until - since > MAX_PERIOD:
        raise Invalid(
            f"the period is at most {MAX_PERIOD.days} days (about 5 years); "
            f"this one is {(until - since).days}: ask for a shorter one"
        )
    return ReportFilter(
        since=since,
        until=until,
        service=(q.service or "").strip() or None,
        team=(q.team or "").strip() or None,
        drill=q.drill,
    )


@router.get("/incidents", response_model=ReportOut)
def report(who: Viewer, ctx: Ctx, q: AskedFor) -> ReportOut:
    """MTTA, MTTD, MTTR (minutes), MTTF (hours), response-target compliance and repeat
    incidents (SPEC §2) over the incidents triggered in [since, until): overall and by
    severity, service and team; with incidents by phase and mean minutes per stage."""
    now = ctx.clock.now()
    where = report_filter(q, now=now)
    with ctx.db.read() as session:
        return incident_report(session, where=where, now=now)


@router.get("/trend", response_model=TrendOut)
def trend(who: Viewer, ctx: Ctx, q: AskedFor) -> TrendOut:
    """Week by week (Monday 00:00 UTC): incidents by severity, MTTA and MTTR."""
    now = ctx.clock.now()
    where = report_filter(q, now=now)
    with ctx.db.read() as session:
        weeks = weekly_trend(session, where=where, now=now)
    return TrendOut(
        since=where.since.isoformat(),
        until=where.until.isoformat(),
        weeks=[WeekOut.model_validate(w, from_attributes=True) for w in weeks],
    )


@router.get("/oncall-load", response_model=OncallLoadOut)
def load(who: Viewer, ctx: Ctx, q: AskedFor) -> OncallLoadOut:
    """Pages sent per person in [since, until), most paged first: distinct incidents,
    and pages that reached them asleep (22:00-08:00) or off hours (outside Monday-Friday
    08:00-18:00) in their own time zone."""
    where = report_filter(q, now=ctx.clock.now())
    with ctx.db.read() as session:
        people = oncall_load(session, where=where)
    return OncallLoadOut(
        since=where.since.isoformat(),
        until=where.until.isoformat(),
        people=[PersonLoadOut.model_validate(p, from_attributes=True) for p in people],
    )
