"""Drills, for everyone signed in: past drills with how each went, a drill's report, and
(for responders) the form that starts one on a service with a scenario from its runbook
or in free text."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.drill import targets_minutes
from warroom.domain.severity import Severity
from warroom.drills import actions, report
from warroom.drills.models import Drill
from warroom.drills.schemas import MAX_ISSUE, MAX_SCENARIO
from warroom.errors import Invalid, NotFound
from warroom.services.repository import list_services
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, Writer, redirect, render
from warroom.web.pages.forms import ItemId, Ok, Short, submit
from warroom.web.pages.views import version_of

PAGE = "/drills"
router = APIRouter(prefix=PAGE, route_class=PageRoute)

Scenario = Annotated[str, Form(max_length=MAX_SCENARIO)]
Issue = Annotated[str, Form(max_length=MAX_ISSUE)]
ServiceQuery = Annotated[str, Query(max_length=100)]
SHOWN = 100

NOTICES: Mapping[str, str] = {
    "started": "Drill started: the service's escalation policy is paging its on-call people "
    "now, marked DRILL. This report fills in as they respond.",
}


def _severity(text: str) -> Severity:
    try:
        return Severity(text)
    except ValueError:
        raise Invalid(f"choose a severity ({', '.join(Severity)})") from None


def list_page(request: Request, ctx: AppContext, who: PageUser, *, notice: str | None) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = report.page_drills(session, limit=SHOWN, cursor=None)
        drills = report.drills_out(session, page.items, now=now)
    return render(
        request,
        "drills.html",
        who=who,
        version=version_of(drills),
        refresh_url=PAGE,
        drills=drills,
        total=page.total,
        notice=notice,
    )


def _choices(session: Session) -> list[tuple[str, list[str]]]:
    """Each service, with the titles of its runbook's common issues."""
    return [
        (s.name, [i.title for i in actions.common_issues(session, s)])
        for s in list_services(session)
    ]


def new_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    *,
    form: Mapping[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.read() as session:
        services = _choices(session)
    chosen = form.get("service", "")
    targets = ctx.settings.response_targets_minutes
    return render(
        request,
        "drill_new.html",
        who=who,
        status_code=status_code,
        services=services,
        # Only the chosen service's issues once one is chosen; every service's otherwise.
        issue_groups=[g for g in services if g[0] == chosen] or services,
        severities=list(Severity),
        targets={str(s): targets_minutes(targets[s]) for s in Severity},
        form={"severity": str(Severity.SEV3), **form},
        error=error,
    )


@router.get("")
def drill_list(request: Request, ctx: PageCtx, who: SignedIn) -> Response:
    return list_page(request, ctx, who, notice=None)


@router.get("/new")
def drill_form(
    request: Request, ctx: PageCtx, who: SignedIn, service: ServiceQuery = ""
) -> Response:
    return new_page(request, ctx, who, form={"service": service})


@router.post("/new")
def start(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    service: Short = "",
    severity: Short = "",
    common_issue: Issue = "",
    scenario: Scenario = "",
) -> Response:
    def write(session: Session) -> str:
        if not service:
            raise Invalid("choose the service to drill on")
        drill = actions.do_start_drill(
            session,
            service=service,
            severity=_severity(severity),
            common_issue=common_issue or None,
            scenario=scenario or None,
            actor=who.handle,
            created_by_id=who.principal.user.id,
            now=ctx.clock.now(),
            targets=ctx.settings.response_targets_minutes,
        )
        return f"{PAGE}/{drill.id}?ok=started"

    def refused(*, error: str, status_code: int) -> Response:
        typed = {
            "service": service,
            "severity": severity,
            "common_issue": common_issue,
            "scenario": scenario,
        }
        return new_page(request, ctx, who, form=typed, error=error, status_code=status_code)

    return submit(ctx, write, refused)


@router.get("/incident/{incident_id}")
def drill_of_incident(ctx: PageCtx, who: SignedIn, incident_id: ItemId) -> Response:
    """The drill report of a drill incident (the incident page's banner links here)."""
    with ctx.db.read() as session:
        found = session.scalar(select(Drill.id).where(Drill.incident_id == incident_id))
    if found is None:
        raise NotFound(f"incident {incident_id} is not a drill started from the drills page")
    return redirect(f"{PAGE}/{found}")


@router.get("/{drill_id}")
def drill_detail(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    drill_id: ItemId,
    ok: Ok = "",
) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        out = report.drill_report(session, report.get_drill(session, drill_id), now=now)
    return render(
        request,
        "drill.html",
        who=who,
        version=version_of(out),
        refresh_url=f"{PAGE}/{drill_id}",
        r=out,
        d=out.drill,
        notice=NOTICES.get(ok),
    )
