"""View models: what the incident pages show, built from the API's own output shapes so
the pages and the JSON API can never disagree about an incident."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response

from warroom.alerts.repository import alerts_of_incident
from warroom.alerts.schemas import AlertOut
from warroom.domain.comms import UpdateKind, UpdateStatus, public_status
from warroom.domain.lifecycle import Status
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.incidents import actions, repository
from warroom.incidents.presentation import format_duration, target_state
from warroom.incidents.schemas import ChecklistOut, IncidentOut, UpdateOut
from warroom.postmortems.panel import postmortem_panel
from warroom.runbooks.panel import runbook_panel
from warroom.users.repository import list_users
from warroom.web.context import AppContext
from warroom.web.pages.base import PageUser, render
from warroom.web.pages.composer import composer_view
from warroom.web.pages.escalation_view import escalation_controls
from warroom.web.pages.timeline import describe

# Success messages a redirect names by key, so no text from the URL reaches the page.
NOTICES: Mapping[str, str] = {
    "declared": "Incident declared. The response-target clock is running.",
    "acknowledged": "Acknowledged: the response-target clock has stopped.",
    "status": "Status changed.",
    "severity": "Severity recorded.",
    "role": "Roles updated.",
    "note": "Note added to the timeline.",
    "checklist": "Checklist item ticked.",
    "update": "Stakeholder update published.",
    "public": "Status-page settings saved.",
    "resolved": "Incident resolved.",
    "closed": "Incident closed.",
    "reopened": "Incident reopened: it is back in investigation.",
    "escalated": "Escalation requested: the engine pages that level now.",
    "paged": "Page requested: the engine pages them now.",
}


@dataclass(frozen=True, slots=True)
class TargetView:
    """Where the incident stands against its response target, in words.

    state is one of: running, breached (still unacknowledged and late), met, missed."""

    state: str
    headline: str
    detail: str
    # A moment the detail ends with ("due 09:30"), shown in the reader's time zone.
    at: datetime | None = None


def target_view(out: IncidentOut) -> TargetView:
    t = target_state(out.model_dump())
    target = f"target {format_duration(t.target_seconds)}"
    took = format_duration(t.seconds or 0)
    match t.state:
        case "met" if t.acknowledged:
            return TargetView("met", "Met", f"acknowledged in {took}; {target}")
        case "missed" if t.acknowledged:
            return TargetView("missed", "Missed", f"acknowledged after {took}; {target}")
        case "missed":
            return TargetView("missed", "Missed", f"never acknowledged; {target}")
        case "breached":
            return TargetView("breached", f"Breached {took} ago", f"{target}; was due", t.at)
        case "ticking":
            return TargetView("running", f"{took} left", f"{target}; acknowledge by", t.at)
    return TargetView("met", "Not needed", f"ended before it was due; {target}")


def version_of(*parts: object) -> str:
    """A short fingerprint the live-refresh script compares; any change swaps the page."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _minute_bucket(out: IncidentOut) -> str:
    left = out.response_target_seconds_left
    return "" if left is None else str(int(left // 60))


@dataclass(frozen=True, slots=True)
class Row:
    incident: IncidentOut
    target: TargetView


def rows_of(items: Sequence[IncidentOut]) -> list[Row]:
    return [Row(i, target_view(i)) for i in items]


def list_version(rows: Sequence[Row], total: int) -> str:
    return version_of(
        total,
        *(
            f"{r.incident.id}:{r.incident.updated_at.isoformat()}:{_minute_bucket(r.incident)}"
            for r in rows
        ),
    )


def default_compose(out: IncidentOut, published: int) -> UpdateKind:
    if out.status in (Status.RESOLVED, Status.CLOSED):
        return UpdateKind.RESOLUTION
    return UpdateKind.UPDATE if published else UpdateKind.INITIAL


def incident_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    incident_id: int,
    *,
    compose: str | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    """The incident page; also re-rendered, with the error and what was typed, when a
    form on it is refused."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        incident = repository.get_incident(session, incident_id)
        out = IncidentOut.of(incident, now=now)
        checklist = ChecklistOut.of(incident)
        timeline = [describe(e) for e in repository.list_timeline(session, incident_id)]
        updates = [UpdateOut.of(u) for u in repository.list_updates(session, incident_id)]
        people = [(u.handle, u.name) for u in list_users(session)]
        escalation = escalation_controls(session, incident)
        alerts = [AlertOut.of(a) for a in alerts_of_incident(session, incident_id)]
        room_url = incident.room_url
        composer = composer_view(session, incident, out)
        postmortem = postmortem_panel(session, incident, now=now)
        runbook = runbook_panel(session, incident, now=now)
        url = ctx.settings.status_page_url
        drafts = {
            # The composer starts public when the incident already is.
            str(kind): actions.draft_update(
                incident, kind, now=now, status_page_url=url, public=incident.public
            )
            for kind in UpdateKind
        }
    kinds = [str(k) for k in UpdateKind]
    kind = compose if compose in kinds else str(default_compose(out, len(updates)))
    values = dict(form or {})
    values.setdefault("body", drafts[kind])
    return render(
        request,
        "incident.html",
        who=who,
        status_code=status_code,
        version=version_of(
            out.updated_at.isoformat(),
            _minute_bucket(out),
            out.update_cadence.minutes_left,
            out.status,
            *(f"{a.id}:{a.status}:{a.event_count}" for a in alerts),
        ),
        refresh_url=f"/incidents/{out.id}",
        incident=out,
        target=target_view(out),
        checklist=checklist,
        timeline=timeline,
        updates=updates,
        people=people,
        escalation=escalation,
        alerts=alerts,
        room_url=room_url,
        postmortem_panel=postmortem,
        runbook_panel=runbook,
        roles=[str(r) for r in Role],
        severities=[str(s) for s in Severity],
        update_statuses=[str(s) for s in UpdateStatus],
        kinds=kinds,
        compose=kind,
        drafts=drafts,
        form=values,
        is_open=out.status is not Status.CLOSED,
        public_now=str(public_status(out.status)),
        notice=notice,
        error=error,
        **composer,
    )
