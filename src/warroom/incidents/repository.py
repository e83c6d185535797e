from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session, joinedload, lazyload, undefer_group

from warroom.db.pagination import Page, paginate
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.errors import NotFound
from warroom.incidents.models import Incident, StakeholderUpdate, TimelineEvent
from warroom.services.models import Service
from warroom.services.repository import as_service_id


def get_incident(session: Session, incident_id: int, *, for_update: bool = False) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    if for_update:
        # Serialises concurrent actions on one incident (PostgreSQL); SQLite already
        # has a single writer.
        query = query.with_for_update(of=Incident)
    incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    return incident


def get_incident_for_paging(
    session: Session, incident_id: int, *, for_update: bool = False
) -> Incident:
    """The incident with its service and the service's escalation policy in one query,
    for the engine's paging handlers: its roles and checklist are loaded only if read
    (get_incident loads both every time, a query each)."""
    query = (
        select(Incident)
        .where(Incident.id == incident_id)
        .options(
            lazyload(Incident.roles),
            lazyload(Incident.checklist),
            joinedload(Incident.service).joinedload(Service.policy),
        )
    )
    if for_update:
        query = query.with_for_update(of=Incident)
    incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    return incident


def has_updates(session: Session, incident_id: int) -> bool:
    return bool(
        session.scalar(select(exists().where(StakeholderUpdate.incident_id == incident_id)))
    )


def list_updates(session: Session, incident_id: int) -> Sequence[StakeholderUpdate]:
    return session.scalars(
        select(StakeholderUpdate)
        .where(StakeholderUpdate.incident_id == incident_id)
        .order_by(StakeholderUpdate.published_at.desc(), StakeholderUpdate.id.desc())
    ).all()


def list_timeline(session: Session, incident_id: int) -> Sequence[TimelineEvent]:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    ).all()


def page_timeline(
    session: Session, incident_id: int, *, limit: int, cursor: str | None
) -> Page[TimelineEvent]:
    """Oldest first, like the full timeline."""
    return paginate(
        session,
        select(TimelineEvent).where(TimelineEvent.incident_id == incident_id),
        keys=[TimelineEvent.at, TimelineEvent.id],
        limit=limit,
        cursor=cursor,
    )


def page_updates(
    session: Session, incident_id: int, *, limit: int, cursor: str | None
) -> Page[StakeholderUpdate]:
    """Newest first, as stakeholders read them."""
    return paginate(
        session,
        select(StakeholderUpdate).where(StakeholderUpdate.incident_id == incident_id),
        keys=[StakeholderUpdate.published_at, StakeholderUpdate.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    status: list[Status] | None = None
    severity: list[Severity] | None = None
    service: str | None = None
    drill: bool | None = None


def _filtered(query: Select[Incident], f: IncidentFilter) -> Select[Incident]:
    if f.status:
        query = query.where(Incident.status.in_(f.status))
    if f.severity:
        query = query.where(Incident.severity.in_(f.severity))
    if f.service is not None:
        ref = f.service
        service_id = as_service_id(ref)
        if "\x00" in ref:  # no name holds it, and PostgreSQL refuses it in a query
            query = query.where(false())
        else:
            match = Service.name == ref
            if service_id is not None:
                match = match | (Service.id == service_id)
            query = query.where(Incident.service_id.in_(select(Service.id).where(match)))
    if f.drill is not None:
        query = query.where(Incident.drill.is_(f.drill))
    return query


def list_incidents(
    session: Session, f: IncidentFilter, *, limit: int, cursor: str | None
) -> Page[Incident]:
    return paginate(
        session,
        # Every listed incident shows its phase: one query, not one per incident.
        _filtered(select(Incident).options(undefer_group("learning")), f),
        keys=[Incident.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )
