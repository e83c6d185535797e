"""Postmortems as the API, the pages and the exports read them."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.db.pagination import Page
from warroom.domain.lifecycle import phase_of
from warroom.domain.postmortem import PostmortemStatus, fill_action_items
from warroom.incidents.repository import get_incident
from warroom.markdown import render_markdown
from warroom.postmortems import repository
from warroom.postmortems.models import Postmortem
from warroom.postmortems.prefill import item_entries
from warroom.postmortems.render import standalone_html
from warroom.postmortems.schemas import PostmortemOut, PostmortemRowOut
from warroom.schemas import ListOut


def postmortem_out(session: Session, incident_id: int, *, now: datetime) -> PostmortemOut:
    incident = get_incident(session, incident_id)
    postmortem = repository.get_postmortem(session, incident_id)
    items = repository.items_of(session, incident_id)
    document = fill_action_items(postmortem.markdown, item_entries(items, now=now))
    return PostmortemOut.of(
        postmortem,
        incident_title=incident.title,
        phase=phase_of(
            incident.status,
            postmortem_published=postmortem.status is PostmortemStatus.PUBLISHED,
            open_action_items=sum(1 for i in items if i.status in repository.OPEN),
        ),
        document=document,
        html=render_markdown(document),
        items=items,
        now=now,
    )


def export_html(out: PostmortemOut, *, incident_url: str | None) -> str:
    status = str(out.status).replace("_", " ")
    where = f" ({incident_url})" if incident_url else ""
    return standalone_html(
        title=f"Postmortem: {out.incident_title}",
        body_html=out.html,
        footer=f"Incident #{out.incident_id} · postmortem {status} · exported from warroom{where}",
    )


def postmortem_rows(
    session: Session, page: Page[Postmortem], *, now: datetime
) -> ListOut[PostmortemRowOut]:
    ids = [p.incident_id for p in page.items]
    incidents = repository.incidents_by_id(session, ids)
    open_items = repository.open_items_of(session, ids)
    rows = []
    for p in page.items:
        incident = incidents[p.incident_id]
        items = open_items[p.incident_id]
        rows.append(
            PostmortemRowOut(
                incident_id=incident.id,
                incident_title=incident.title,
                severity=str(incident.severity),
                service=incident.service.name,
                drill=incident.drill,
                status=p.status,
                meeting_at=p.meeting_at,
                published_at=p.published_at,
                created_at=p.created_at,
                open_action_items=len(items),
                overdue_action_items=sum(1 for i in items if i.overdue(now)),
            )
        )
    return ListOut[PostmortemRowOut](items=rows, total=page.total, next=page.next)
