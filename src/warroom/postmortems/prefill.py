"""What a postmortem draft is built from, read from the incident: its facts, its
timeline told as the incident page tells it, its roles and stakeholder updates (the
document itself is domain.postmortem.build_document's)."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.domain.postmortem import (
    IncidentFacts,
    ItemEntry,
    TimelineEntry,
    UpdateEntry,
    build_document,
)
from warroom.domain.roles import ROLE_TITLES, Role
from warroom.domain.severity import MEANING
from warroom.domain.timeline import EventType
from warroom.incidents import repository as incidents
from warroom.incidents.models import Incident
from warroom.incidents.presentation import describe_event, format_duration
from warroom.postmortems.models import ActionItem
from warroom.statuspage.components import public_component_names


def draft_markdown(session: Session, incident: Incident, *, now: datetime) -> str:
    events = incidents.list_timeline(session, incident.id)
    counts = Counter(e.type for e in events)
    holders = {r.role: r.user.handle for r in incident.roles}
    target = incident.response_target(now)
    facts = IncidentFacts(
        id=incident.id,
        title=incident.title,
        description=incident.description,
        service=incident.service.name,
        severity=str(incident.severity),
        severity_meaning=MEANING[incident.severity],
        drill=incident.drill,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        triggered_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        response_target_minutes=incident.response_target_minutes,
        response_target_missed=target.breached or incident.response_target_breached_at is not None,
        public_components=public_component_names(session, incident_id=incident.id),
        roles=[(ROLE_TITLES[role], holders[role]) for role in Role if role in holders],
        pages_sent=counts[EventType.PAGE_SENT],
        pages_failed=counts[EventType.PAGE_FAILED],
    )
    timeline = []
    for event in events:
        said = describe_event(event.type, event.data)
        timeline.append(
            TimelineEntry(
                at=event.at, type=event.type, actor=event.actor, text=said.text, detail=said.detail
            )
        )
    updates = [
        UpdateEntry(at=u.published_at, kind=u.kind, status=u.status, public=u.public, body=u.body)
        for u in incidents.list_updates(session, incident.id)
    ]
    return build_document(facts, timeline=timeline, updates=updates, span=format_duration)


def item_entries(items: Sequence[ActionItem], *, now: datetime) -> list[ItemEntry]:
    return [
        ItemEntry(
            id=i.id,
            title=i.title,
            owner=i.owner.handle if i.owner is not None else None,
            due_on=i.due_on,
            priority=str(i.priority),
            status=str(i.status),
            tracker_url=i.tracker_url,
            overdue=i.overdue(now),
        )
        for i in items
    ]
