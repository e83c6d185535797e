"""The alert list and the alert page: what monitoring sent, and where it went."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from warroom.alerts import repository
from warroom.alerts.models import Alert
from warroom.alerts.schemas import AlertOut
from warroom.db.pagination import Page
from warroom.domain.alerts import ALERT_SEVERITIES, AlertSource, AlertStatus
from warroom.errors import NotFound, WarroomError
from warroom.incidents.repository import get_incident
from warroom.services.repository import find_service, list_services
from warroom.web.pages.base import PageCtx, PageRoute, SignedIn, render, templates
from warroom.web.pages.views import version_of

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 50
Choice = Annotated[str, Query(max_length=100)]
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1)]

SOURCE_LABELS: Mapping[str, str] = {
    AlertSource.EVENTS_V2: "Events API v2",
    AlertSource.ALERTMANAGER: "Alertmanager",
    AlertSource.GRAFANA: "Grafana",
    AlertSource.WEBHOOK: "Webhook",
}
STATUS_CHOICES = [
    ("", "Any"),
    ("open", "Open"),
    *((str(s), str(s).capitalize()) for s in AlertStatus),
]
_OPEN = [AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED]


def http_url(value: object) -> str | None:
    """The value if it is an absolute http(s) URL a browser may follow, else None.

    Anything else (javascript:, data:, relative paths, text with control characters that
    browsers strip before reading the scheme) is shown as text, never as a link."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    if value != value.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


templates.env.filters.update(http_url=http_url)
templates.env.globals.update(
    alert_sources={str(k): v for k, v in SOURCE_LABELS.items()},
    alert_severities=list(ALERT_SEVERITIES),
)


@dataclass(frozen=True, slots=True)
class LinkView:
    text: str
    # None when the address is not one a browser should follow: shown as text instead.
    href: str | None
    address: str


def links_of(links: Sequence[Mapping[str, str]]) -> list[LinkView]:
    views = []
    for link in links:
        address = str(link.get("href", ""))
        text = str(link.get("text") or address)
        views.append(LinkView(text=text, href=http_url(address), address=address))
    return views


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@router.get("/alerts")
def alert_list(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    service: Choice = "",
    status: Choice = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    problems: list[str] = []
    statuses: list[AlertStatus] | None = None
    if status == "open":
        statuses = _OPEN
    elif status in {str(s) for s in AlertStatus}:
        statuses = [AlertStatus(status)]
    elif status:
        problems.append(f"'{status}' is not an alert status; showing every status")
        status = ""
    with ctx.db.read() as session:
        services = [s.name for s in list_services(session)]
        service_id: int | None = None
        if service:
            found = find_service(session, service)
            if found is None:
                problems.append(f"there is no service '{service}'; showing every service")
                service = ""
            else:
                service_id, service = found.id, found.name

        def page(at: str | None) -> Page[Alert]:
            return repository.page_alerts(
                session, limit=PAGE_SIZE, cursor=at, service_id=service_id, status=statuses
            )

        try:
            found_page = page(cursor or None)
        except WarroomError as exc:
            problems.append(exc.message)
            cursor = ""
            found_page = page(None)
        items = [AlertOut.of(a) for a in found_page.items]
    filters = {"service": service, "status": status}
    return render(
        request,
        "alerts.html",
        who=who,
        status_code=400 if problems else 200,
        version=version_of(
            found_page.total,
            *(f"{a.id}:{a.status}:{a.event_count}:{a.incident_id}" for a in items),
        ),
        refresh_url=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        alerts=items,
        total=found_page.total,
        next_cursor=found_page.next,
        cursor=cursor,
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        services=services,
        status_choices=STATUS_CHOICES,
        error="; ".join(problems) or None,
    )


@router.get("/alerts/{alert_id}")
def alert_detail(request: Request, ctx: PageCtx, who: SignedIn, alert_id: AlertId) -> Response:
    with ctx.db.read() as session:
        alert = repository.get_alert(session, alert_id)
        out = AlertOut.of(alert)
        service_id = alert.service_id
        incident_title: str | None = None
        if out.incident_id is not None:
            try:
                incident_title = get_incident(session, out.incident_id).title
            except NotFound:
                incident_title = None
    return render(
        request,
        "alert.html",
        who=who,
        version=version_of(out.status, out.event_count, out.incident_id, out.last_event_at),
        refresh_url=f"/alerts/{out.id}",
        alert=out,
        service_id=service_id,
        incident_title=incident_title,
        links=links_of(out.links),
        details=pretty_json(out.details) if out.details else "",
    )
