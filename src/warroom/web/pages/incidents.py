"""The incident list, the declare form, and the incident page."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from warroom.domain.lifecycle import OPEN_STATUSES, Status
from warroom.domain.severity import Severity
from warroom.errors import WarroomError
from warroom.incidents import actions, repository
from warroom.incidents.schemas import IncidentId, IncidentIn, IncidentOut
from warroom.services.repository import list_services
from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import (
    PageCtx,
    PageRoute,
    PageUser,
    SignedIn,
    Writer,
    error_of,
    redirect,
    render,
)
from warroom.web.pages.views import NOTICES, incident_page, list_version, rows_of

router = APIRouter(route_class=PageRoute)


PAGE_SIZE = 50
Choice = Annotated[str, Query(max_length=100)]

STATUS_CHOICES = [
    ("open", "Open"),
    ("all", "All"),
    *((str(s), str(s).capitalize()) for s in Status),
]
DRILL_CHOICES = [("", "Incidents and drills"), ("exclude", "No drills"), ("only", "Drills only")]


@router.get("/incidents")
def incident_list(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    status: Choice = "open",
    severity: Choice = "",
    service: Choice = "",
    drill: Choice = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
    ok: Choice = "",
) -> Response:
    problems: list[str] = []
    statuses: list[Status] | None = None
    if status == "open":
        statuses = list(OPEN_STATUSES)
    elif status in {str(s) for s in Status}:
        statuses = [Status(status)]
    elif status != "all":
        problems.append(f"'{status}' is not a status; showing open incidents")
        status, statuses = "open", list(OPEN_STATUSES)
    severities: list[Severity] | None = None
    if severity in {str(s) for s in Severity}:
        severities = [Severity(severity)]
    elif severity:
        problems.append(f"'{severity}' is not a severity; showing every severity")
        severity = ""
    drills = {"exclude": False, "only": True}.get(drill)
    now = ctx.clock.now()
    with ctx.db.read() as session:
        services = [s.name for s in list_services(session)]
        query = repository.IncidentFilter(
            status=statuses, severity=severities, service=service or None, drill=drills
        )
        try:
            page = repository.list_incidents(session, query, limit=PAGE_SIZE, cursor=cursor or None)
        except WarroomError as exc:
            problems.append(exc.message)
            cursor = ""
            page = repository.list_incidents(session, query, limit=PAGE_SIZE, cursor=None)
        items = [IncidentOut.of(i, now=now) for i in page.items]
    rows = rows_of(items)
    filters = {"status": status, "severity": severity, "service": service, "drill": drill}
    return render(
        request,
        "incidents.html",
        who=who,
        status_code=400 if problems else 200,
        version=list_version(rows, page.total),
        refresh_url=_without_notice(request),
        rows=rows,
        total=page.total,
        next_cursor=page.next,
        cursor=cursor,
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        services=services,
        status_choices=STATUS_CHOICES,
        severity_choices=[str(s) for s in Severity],
        drill_choices=DRILL_CHOICES,
        notice=NOTICES.get(ok),
        error="; ".join(problems) or None,
    )


def _without_notice(request: Request) -> str:
    url = request.url.remove_query_params("ok")
    return url.path + (f"?{url.query}" if url.query else "")


def _declare_form(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    *,
    form: Mapping[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.read() as session:
        services = [s.name for s in list_services(session)]
    return render(
        request,
        "declare.html",
        who=who,
        status_code=status_code,
        services=services,
        severities=[str(s) for s in Severity],
        targets={str(k): v for k, v in ctx.settings.response_targets_minutes.items()},
        form=dict(form),
        error=error,
    )


@router.get("/incidents/new")
def declare_form(request: Request, ctx: PageCtx, who: SignedIn, service: Choice = "") -> Response:
    if not who.can_write:
        return render(
            request,
            "error.html",
            who=who,
            status_code=403,
            title="Not allowed",
            message=f"Your role is {who.principal.role}: only responders and admins "
            "can declare incidents.",
        )
    return _declare_form(
        request, ctx, who, form={"severity": str(Severity.SEV2), "service": service}
    )


@router.post("/incidents/new")
def declare(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    title: Annotated[str, Form(max_length=1000)] = "",
    severity: Annotated[str, Form(max_length=20)] = "",
    service: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    form = {"title": title, "severity": severity, "service": service, "description": description}
    now = ctx.clock.now()
    try:
        body = IncidentIn(
            title=title.strip(),
            severity=severity,
            service=service,
            description=description.strip(),
        )
        with ctx.db.write() as session:
            incident = actions.do_declare(
                session,
                title=body.title,
                severity=body.severity,
                service=body.service,
                description=body.description,
                actor=who.handle,
                created_by_id=who.principal.user.id,
                now=now,
                targets=ctx.settings.response_targets_minutes,
            )
            new_id = incident.id
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        return _declare_form(request, ctx, who, form=form, error=message, status_code=status_code)
    return redirect(f"/incidents/{new_id}?ok=declared")


@router.get("/incidents/{incident_id}")
def incident_detail(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    incident_id: IncidentId,
    compose: Choice = "",
    ok: Choice = "",
) -> Response:
    return incident_page(
        request, ctx, who, incident_id, compose=compose or None, notice=NOTICES.get(ok)
    )
