"""The reports page (/reports): how incidents were handled over a period, against the
period of the same length before it, by severity (next to the response targets), by
service and by team, with weekly charts and the on-call load; /reports.csv downloads the
same figures. Everything is read through warroom.reports.queries (SQL aggregates)."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from warroom.reports.queries import ReportFilter, incident_report, oncall_load, weekly_trend
from warroom.reports.schemas import ReportOut
from warroom.reports.text import count_text, hours_text, minutes_text, report_rows, share_text
from warroom.services.repository import list_services
from warroom.teams.repository import list_teams
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, render
from warroom.web.pages.reports_view import by_load, charts, headlines, severity_rows

router = APIRouter(route_class=PageRoute)

Choice = Annotated[str, Query(max_length=100)]
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days"}
DEFAULT_PERIOD = "30"
# A custom period longer than this is almost certainly a typo in the year.
MAX_DAYS = 3 * 366
_YES, _NO = ("1", "on", "only", "true", "yes"), ("", "0", "off", "exclude", "false", "no")


@dataclass(frozen=True, slots=True)
class Asked:
    """The query string as it came: the period is a preset (period=7|30|90) or, when
    since (and maybe until) is given, the days from since to until, both included, in
    the reader's time zone."""

    period: str = DEFAULT_PERIOD
    since: str = ""
    until: str = ""
    service: str = ""
    team: str = ""
    drill: str = ""


def asked(
    period: Choice = DEFAULT_PERIOD,
    since: Choice = "",
    until: Choice = "",
    service: Choice = "",
    team: Choice = "",
    drill: Choice = "",
) -> Asked:
    return Asked(period, since.strip(), until.strip(), service, team, drill.strip().lower())


@dataclass(frozen=True, slots=True)
class Choices:
    """What the reader asked for, once checked: the filter, the one for the period
    before, the form's values, and what was wrong (shown; the rest uses a default)."""

    where: ReportFilter
    previous: ReportFilter
    form: dict[str, str]
    label: str  # "the last 30 days", "2026-03-01 to 2026-03-31"
    before: str  # "the 30 days before"
    problems: list[str]


# The period before is compared too, and a day's end is the next day's start: dates
# near year 1 or 9999 have neither.
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(9000, 12, 31)


def _day(value: str, name: str, problems: list[str]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        problems.append(f"'{value}' is not a date for {name} (use YYYY-MM-DD)")
        return None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        problems.append(f"{name} must lie between {EARLIEST_DAY} and {LATEST_DAY}")
        return None
    return day


def _custom(
    q: Asked, problems: list[str], *, now: datetime, zone: ZoneInfo
) -> tuple[date, date] | None:
    first = _day(q.since, "since", problems) if q.since else None
    last = _day(q.until, "until", problems) if q.until else now.astimezone(zone).date()
    if not q.since:
        problems.append("a custom period needs its first day (since)")
    elif first is None or last is None:
        pass  # _day said why
    elif last < first:
        problems.append(f"the period ends ({last}) before it starts ({first})")
    elif (last - first).days >= MAX_DAYS:
        problems.append(f"a period can be at most {MAX_DAYS} days long")
    else:
        return first, last
    return None


def read_choices(
    q: Asked, *, services: list[str], teams: list[str], now: datetime, zone: ZoneInfo
) -> Choices:
    problems: list[str] = []
    period = q.period
    custom = q.since or q.until or period == "custom"
    days = _custom(q, problems, now=now, zone=zone) if custom else None
    if days is not None:
        first, last = days
        start = datetime.combine(first, time(), tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
        length = (last - first).days + 1
        period, label = "custom", f"{first} to {last}"
        before = f"the {length} day{'s' if length != 1 else ''} before"
        form_days = {"since": first.isoformat(), "until": last.isoformat()}
    else:
        if period not in PERIODS:
            if period != "custom":
                problems.append(f"'{period}' is not a period; showing the last 30 days")
            period = DEFAULT_PERIOD
        start, end = now - timedelta(days=int(period)), now
        label, before = f"the last {period} days", f"the {period} days before"
        form_days = {"since": "", "until": ""}
    service, team = q.service, q.team
    if service and service not in services:
        problems.append(f"there is no service '{service}'; showing every service")
        service = ""
    if team and team not in teams:
        problems.append(f"there is no team '{team}'; showing every team")
        team = ""
    if q.drill not in _YES + _NO:
        problems.append(f"'{q.drill}' is not a drills choice; showing incidents, not drills")
    drill = q.drill in _YES
    where = ReportFilter(start, end, service=service or None, team=team or None, drill=drill)
    previous = ReportFilter(
        start - (end - start), start, service=where.service, team=where.team, drill=drill
    )
    form = {"period": period, **form_days, "service": service, "team": team}
    form["drill"] = "1" if drill else ""
    return Choices(where, previous, form, label, before, problems)


def _links(choices: Choices) -> dict[str, str]:
    where = choices.where
    api = {"since": where.since.isoformat(), "until": where.until.isoformat()}
    api |= {k: v for k, v in (("service", where.service), ("team", where.team)) if v}
    if where.drill:
        api["drill"] = "true"
    page = {k: v for k, v in choices.form.items() if v and not (k == "period" and v == "custom")}
    keep = {k: v for k, v in page.items() if k in ("service", "team", "drill")}
    return {
        "json": f"/api/v1/reports/incidents?{urlencode(api)}",
        "csv": f"/reports.csv?{urlencode(page)}",
        # The same period, for one service or team (the tables' links add which).
        "narrow": urlencode({k: v for k, v in page.items() if k not in ("service", "team")}),
        # Another preset period, with the same service, team and drills.
        "keep": urlencode(keep),
    }


@dataclass(frozen=True, slots=True)
class Read:
    choices: Choices
    report: ReportOut
    names: dict[str, list[str]]


def _read(ctx: AppContext, who: PageUser, q: Asked) -> Read:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        services = sorted(s.name for s in list_services(session))
        teams = sorted(t.name for t in list_teams(session))
        choices = read_choices(q, services=services, teams=teams, now=now, zone=who.zone)
        report = incident_report(session, where=choices.where, now=now)
    return Read(choices, report, {"services": services, "teams": teams})


AskedFor = Annotated[Asked, Depends(asked)]


@router.get("/reports")
def reports_page(request: Request, ctx: PageCtx, who: SignedIn, q: AskedFor) -> Response:
    read = _read(ctx, who, q)
    choices, report, now = read.choices, read.report, ctx.clock.now()
    with ctx.db.read() as session:
        previous = incident_report(session, where=choices.previous, now=now)
        weeks = weekly_trend(session, where=choices.where, now=now)
        load = oncall_load(session, where=choices.where)
    return render(
        request,
        "reports.html",
        who=who,
        status_code=400 if choices.problems else 200,
        # A report is read, not watched: no live refresh recomputing it every few seconds.
        refresh_seconds=0,
        choices=choices,
        form=choices.form,
        periods=PERIODS,
        report=report,
        headlines=headlines(report, previous, before=choices.before),
        severities=severity_rows(report, ctx.settings.response_targets_minutes),
        charts=charts(weeks, load, label=choices.label),
        load=by_load(load),
        links=_links(choices),
        minutes=minutes_text,
        hours=hours_text,
        share=share_text,
        count=count_text,
        error="; ".join(choices.problems) or None,
        services=read.names["services"],
        teams=read.names["teams"],
    )


@router.get("/reports.csv")
def reports_csv(request: Request, ctx: PageCtx, who: SignedIn, q: AskedFor) -> Response:
    read = _read(ctx, who, q)
    if read.choices.problems:
        return render(
            request,
            "error.html",
            who=who,
            status_code=400,
            title="Something is not right",
            message=f"This report cannot be downloaded: {'; '.join(read.choices.problems)}.",
        )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(report_rows(read.report))
    where = read.choices.where
    name = f"warroom-report-{where.since:%Y%m%d}-{where.until:%Y%m%d}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
