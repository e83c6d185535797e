"""What the public status page shows, read from the database: Session in, frozen
dataclasses out. Both renderings (the HTML page and the Statuspage v2 JSON) and the
subscribers' webhooks are built from these objects only.

Nothing internal ever enters them: only public components, only public non-drill
incidents, only public updates, no internal titles, notes or descriptions, and responder
names only when the incident chose to show them (then the incident commander's display
name only). Keeping the filter here, in one place, is what makes the no-leak property
test meaningful.

Queries are batched (a handful per page however many incidents or components there are).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from warroom.domain.comms import UpdateStatus
from warroom.domain.components import ComponentStatus
from warroom.domain.roles import Role
from warroom.domain.statuspage import (
    MAINTENANCE_ACTIVE,
    Impact,
    Indicator,
    MaintenanceStatus,
    UptimeDay,
    impact_of,
    page_indicator,
    worst_status,
)
from warroom.incidents.models import Incident, IncidentRole, StakeholderUpdate
from warroom.settings import Settings
from warroom.statuspage.models import (
    Component,
    ComponentGroup,
    IncidentComponent,
    Maintenance,
    MaintenanceComponent,
    StatusPageRevision,
)
from warroom.statuspage.uptime import with_uptime
from warroom.users.models import User

# Statuspage's words for an incident that is over.
_DONE = frozenset({UpdateStatus.RESOLVED.value, UpdateStatus.POSTMORTEM.value})


@dataclass(frozen=True)
class PageInfo:
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: datetime


@dataclass(frozen=True)
class PublicComponent:
    code: str
    name: str
    description: str
    status: ComponentStatus
    position: int
    group_code: str | None
    created_at: datetime
    updated_at: datetime
    uptime: list[UptimeDay] = field(default_factory=list)  # [] unless asked for


@dataclass(frozen=True)
class PublicGroup:
    code: str
    name: str
    description: str
    position: int
    status: ComponentStatus
    components: list[PublicComponent]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PublicUpdate:
    id: str
    status: str
    body: str
    created_at: datetime
    affected_components: list[dict[str, str]]


@dataclass(frozen=True)
class PublicIncident:
    code: str
    name: str
    status: str
    impact: Impact
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    shortlink: str
    components: list[PublicComponent]
    updates: list[PublicUpdate]  # newest first
    responders: list[str]

    @property
    def resolved(self) -> bool:
        return self.status in _DONE


@dataclass(frozen=True)
class PublicMaintenance:
    code: str
    name: str
    status: MaintenanceStatus
    scheduled_for: datetime
    scheduled_until: datetime
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    shortlink: str
    components: list[PublicComponent]
    updates: list[PublicUpdate]  # newest first


@dataclass(frozen=True)
class PublicPage:
    info: PageInfo
    indicator: Indicator
    groups: list[PublicGroup]
    components: list[PublicComponent]  # every public component, in page order
    ungrouped: list[PublicComponent]
    unresolved: list[PublicIncident]
    upcoming: list[PublicMaintenance]
    active: list[PublicMaintenance]


# --- the page -------------------------------------------------------------------------


def page_info(session: Session, *, settings: Settings, now: datetime) -> PageInfo:
    changed = session.scalar(
        select(StatusPageRevision.changed_at).where(StatusPageRevision.id == 1)
    )
    return PageInfo(
        # Statuspage pages have a short opaque id; ours is stable per address.
        id=opaque_id("page", settings.status_page_url),
        name=_title(settings),
        url=settings.status_page_url,
        time_zone=_time_zone_name(settings),
        updated_at=changed or now,
    )


def load_page(
    session: Session, *, settings: Settings, now: datetime, uptime_days: int = 0
) -> PublicPage:
    info = page_info(session, settings=settings, now=now)
    components, groups = _load_components(session)
    if uptime_days > 0:
        components = with_uptime(session, components, settings=settings, now=now, days=uptime_days)
    by_code = {c.code: c for c in components}
    public_groups = [
        PublicGroup(
            code=g.code,
            name=g.name,
            description=g.description or "",
            position=g.position,
            status=worst_status(c.status for c in members),
            components=members,
            created_at=g.created_at,
            updated_at=g.updated_at,
        )
        for g in groups
        if (members := [c for c in components if c.group_code == g.code])
    ]
    unresolved = _unresolved(session, settings=settings, components=by_code)
    upcoming = load_maintenances(session, settings=settings, which="upcoming")
    active = load_maintenances(session, settings=settings, which="active")
    return PublicPage(
        info=info,
        indicator=page_indicator((c.status for c in components), (i.impact for i in unresolved)),
        groups=public_groups,
        components=components,
        ungrouped=[c for c in components if c.group_code is None],
        unresolved=unresolved,
        upcoming=upcoming,
        active=active,
    )


def load_incidents(
    session: Session, *, settings: Settings, limit: int = 50
) -> list[PublicIncident]:
    """The latest public incidents, newest first, resolved ones included."""
    return _load_incidents(session, settings=settings, where=[], limit=limit)


def load_unresolved(session: Session, *, settings: Settings) -> list[PublicIncident]:
    """Public incidents not yet resolved (publicly or inside), newest first."""
    return _unresolved(session, settings=settings, components=None)


def _unresolved(
    session: Session, *, settings: Settings, components: dict[str, PublicComponent] | None
) -> list[PublicIncident]:
    found = _load_incidents(
        session,
        settings=settings,
        where=[Incident.resolved_at.is_(None)],
        limit=None,
        components=components,
    )
    return [i for i in found if not i.resolved]


def load_incident(session: Session, code: str, *, settings: Settings) -> PublicIncident | None:
    found = _load_incidents(
        session, settings=settings, where=[Incident.public_code == code], limit=1
    )
    return found[0] if found else None


def load_history(
    session: Session, *, settings: Settings, now: datetime, days: int = 14
) -> list[PublicIncident]:
    """Incidents created or resolved in the last `days`, newest first."""
    since = now - timedelta(days=days)
    return _load_incidents(
        session,
        settings=settings,
        where=[or_(Incident.triggered_at >= since, Incident.resolved_at >= since)],
        limit=None,
    )


def load_maintenances(
    session: Session,
    *,
    settings: Settings,
    which: Literal["all", "upcoming", "active"],
    limit: int = 50,
) -> list[PublicMaintenance]:
    """upcoming: scheduled, soonest first; active: in progress or verifying, soonest first;
    all: every maintenance, latest scheduled first."""
    query = select(Maintenance).where(_shown_publicly())
    if which == "upcoming":
        query = query.where(Maintenance.status == MaintenanceStatus.SCHEDULED).order_by(
            Maintenance.scheduled_for, Maintenance.id
        )
    elif which == "active":
        query = query.where(Maintenance.status.in_(MAINTENANCE_ACTIVE)).order_by(
            Maintenance.scheduled_for, Maintenance.id
        )
    else:
        query = query.order_by(Maintenance.scheduled_for.desc(), Maintenance.id.desc())
    rows = session.scalars(query.limit(limit)).all()
    base = settings.status_page_url.rstrip("/")
    return [_public_maintenance(m, base=base) for m in rows]


def load_maintenance(
    session: Session, code: str, *, settings: Settings
) -> PublicMaintenance | None:
    """One maintenance by its public code (a unique-index lookup plus the two selectin
    loads), for its page and its subscribers' webhooks: however many maintenances
    there are, none is missed and no list is read."""
    found = session.scalar(select(Maintenance).where(Maintenance.code == code))
    if found is None or not found.public:
        return None
    return _public_maintenance(found, base=settings.status_page_url.rstrip("/"))


def public_name(incident: Incident) -> str:
    """What the public calls the incident: its public title, never the internal one."""
    return incident.public_title or "Service disruption"


def _shown_publicly() -> ColumnElement[bool]:
    """Maintenance.public in SQL: no components at all, or at least one public one."""
    touches = MaintenanceComponent.maintenance_id == Maintenance.id
    return or_(
        ~exists().where(touches),
        exists().where(
            touches,
            Component.id == MaintenanceComponent.component_id,
            Component.public.is_(True),
        ),
    )


def _public_maintenance(m: Maintenance, *, base: str) -> PublicMaintenance:
    return PublicMaintenance(
        code=m.code,
        name=m.name,
        status=m.status,
        scheduled_for=m.scheduled_for,
        scheduled_until=m.scheduled_until,
        created_at=m.created_at,
        updated_at=m.updated_at,
        started_at=m.started_at,
        completed_at=m.completed_at,
        shortlink=f"{base}/maintenances/{m.code}",
        components=[_public_component(c) for c in m.components if c.public],
        updates=[
            PublicUpdate(
                id=opaque_id("maintenance-update", str(u.id)),
                status=str(u.status),
                body=u.body,
                created_at=u.created_at,
                affected_components=[],
            )
            for u in m.updates
        ],
    )


def opaque_id(kind: str, key: str) -> str:
    """A short stable id that says nothing about row numbers or counts."""
    return hashlib.sha256(f"warroom:{kind}:{key}".encode()).hexdigest()[:12]


# --- pieces ---------------------------------------------------------------------------


def _title(settings: Settings) -> str:
    return settings.status_page_title


def _time_zone_name(settings: Settings) -> str:
    return settings.status_page_time_zone


def _public_component(c: Component) -> PublicComponent:
    return PublicComponent(
        code=c.code,
        name=c.name,
        description=c.description or "",
        status=c.status,
        position=c.position,
        group_code=c.group.code if c.group is not None else None,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _load_components(session: Session) -> tuple[list[PublicComponent], list[ComponentGroup]]:
    """Public components in page order (groups by position, then members by position;
    ungrouped components sit among the groups by their own position)."""
    rows = session.scalars(select(Component).where(Component.public.is_(True))).unique().all()
    groups = {c.group.id: c.group for c in rows if c.group is not None}

    def place(c: Component) -> tuple[int, int, int, int]:
        if c.group is not None:
            return (c.group.position, c.group.id, c.position, c.id)
        return (c.position, 0, -1, c.id)

    ordered = sorted(rows, key=place)
    return (
        [_public_component(c) for c in ordered],
        sorted(groups.values(), key=lambda g: (g.position, g.id)),
    )


def _load_incidents(
    session: Session,
    *,
    settings: Settings,
    where: Sequence[object],
    limit: int | None,
    components: dict[str, PublicComponent] | None = None,
) -> list[PublicIncident]:
    """Public, non-drill incidents matching `where`, newest first, with their public
    updates, public components and (when chosen) commander, in four queries."""
    query = (
        select(Incident)
        .where(Incident.public.is_(True), Incident.drill.is_(False), *where)  # type: ignore[arg-type]
        .order_by(Incident.triggered_at.desc(), Incident.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    incidents = session.scalars(query).unique().all()
    if not incidents:
        return []
    ids = [i.id for i in incidents]

    updates: dict[int, list[StakeholderUpdate]] = defaultdict(list)
    for u in session.scalars(
        select(StakeholderUpdate)
        .where(StakeholderUpdate.incident_id.in_(ids), StakeholderUpdate.public.is_(True))
        .order_by(StakeholderUpdate.published_at.desc(), StakeholderUpdate.id.desc())
    ):
        updates[u.incident_id].append(u)

    affected: dict[int, list[PublicComponent]] = defaultdict(list)
    for incident_id, comp in session.execute(
        select(IncidentComponent.incident_id, Component)
        .join(Component, Component.id == IncidentComponent.component_id)
        .where(IncidentComponent.incident_id.in_(ids), Component.public.is_(True))
        .order_by(Component.position, Component.id)
    ):
        affected[incident_id].append(
            components[comp.code]
            if components is not None and comp.code in components
            else _public_component(comp)
        )
    public_codes = {c.code for cs in affected.values() for c in cs}
    if any(u.component_changes for us in updates.values() for u in us):
        public_codes |= set(
            session.scalars(select(Component.code).where(Component.public.is_(True)))
        )

    wanting = [i.id for i in incidents if i.public_responders]
    commanders: dict[int, str] = {}
    if wanting:
        commanders = dict(
            session.execute(
                select(IncidentRole.incident_id, User.name)
                .join(User, User.id == IncidentRole.user_id)
                .where(
                    IncidentRole.incident_id.in_(wanting),
                    IncidentRole.role == Role.INCIDENT_COMMANDER,
                )
            ).all()
        )

    base = settings.status_page_url.rstrip("/")
    return [
        _public_incident(
            i,
            updates=updates.get(i.id, []),
            components=affected.get(i.id, []),
            public_codes=public_codes,
            commander=commanders.get(i.id),
            base=base,
        )
        for i in incidents
    ]


def _public_incident(
    incident: Incident,
    *,
    updates: list[StakeholderUpdate],
    components: list[PublicComponent],
    public_codes: set[str],
    commander: str | None,
    base: str,
) -> PublicIncident:
    code = incident.public_code or opaque_id("incident", str(incident.id))
    status = str(updates[0].status) if updates else UpdateStatus.INVESTIGATING.value
    if incident.resolved_at is not None and status not in _DONE:
        # Resolved inside without a public word: the page must not show it open forever.
        status = UpdateStatus.RESOLVED.value
    resolved_at = None
    if status in _DONE:
        done = [u.published_at for u in updates if str(u.status) in _DONE]
        resolved_at = incident.resolved_at or (min(done) if done else None)
    monitoring = [u.published_at for u in updates if u.status == UpdateStatus.MONITORING]
    created_at = incident.public_at or incident.triggered_at
    updated_at = max([created_at, *(u.published_at for u in updates)])
    if resolved_at is not None:
        updated_at = max(updated_at, resolved_at)
    return PublicIncident(
        code=code,
        name=public_name(incident),
        status=status,
        impact=impact_of(incident.severity, incident.impact),
        created_at=created_at,
        updated_at=updated_at,
        started_at=incident.started_at,
        monitoring_at=min(monitoring) if monitoring else None,
        resolved_at=resolved_at,
        shortlink=f"{base}/incidents/{code}",
        components=components,
        updates=[
            PublicUpdate(
                id=opaque_id("update", str(u.id)),
                status=str(u.status),
                body=u.body,
                created_at=u.published_at,
                affected_components=_public_changes(u.component_changes, public_codes),
            )
            for u in updates
        ],
        responders=[commander] if incident.public_responders and commander else [],
    )


def _public_changes(
    changes: Iterable[dict[str, str]] | None, public_codes: set[str]
) -> list[dict[str, str]]:
    keys = ("code", "name", "old_status", "new_status")
    return [
        {k: str(ch.get(k, "")) for k in keys}
        for ch in (changes or [])
        if ch.get("code") in public_codes
    ]
