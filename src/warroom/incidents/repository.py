import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, exists, false, func, select
from sqlalchemy.orm import Session

from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.errors import Invalid, NotFound
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


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    status: list[Status] | None = None
    severity: list[Severity] | None = None
    service: str | None = None
    drill: bool | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: Sequence[Incident]
    total: int
    next: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError(kind)
        last_id = int(value)
        # Ids are 32-bit; a larger number would overflow the database's integer.
        if not 1 <= last_id < 2**31:
            raise ValueError(value)
        return last_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not one this server handed out; drop it to start over") from exc


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


def list_incidents(session: Session, f: IncidentFilter, *, limit: int, cursor: str | None) -> Page:
    base = _filtered(select(Incident), f)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = base.order_by(Incident.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(Incident.id < decode_cursor(cursor))
    rows = session.scalars(query).all()
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items, total, encode_cursor(items[-1].id) if more and items else None)
