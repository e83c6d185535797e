"""What a component says, kept true: every change to one of its inputs (the status set by
hand, an incident affecting it opening or resolving or changing severity, a maintenance
starting or ending) calls `refresh_components`, which works the status out again from
the facts, appends to the component's history when it changes, and bumps the page's
revision."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.components import ComponentStatus
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.domain.statuspage import (
    MAINTENANCE_ACTIVE,
    component_status,
    incident_component_status,
)
from warroom.incidents.models import Incident
from warroom.statuspage.models import (
    Component,
    ComponentStatusChange,
    IncidentComponent,
    Maintenance,
    MaintenanceComponent,
)
from warroom.statuspage.revision import bump


@dataclass(frozen=True, slots=True)
class ComponentChange:
    component: Component
    old_status: ComponentStatus
    new_status: ComponentStatus

    def affected(self) -> dict[str, str]:
        """As Statuspage's `affected_components` entries."""
        return {
            "code": self.component.code,
            "name": self.component.name,
            "old_status": str(self.old_status),
            "new_status": str(self.new_status),
        }


def refresh_components(
    session: Session, component_ids: Iterable[int], *, now: datetime
) -> list[ComponentChange]:
    """Work out each component's status again; the changes made. Rows are locked in id
    order so two writers refreshing overlapping sets cannot deadlock."""
    ids = sorted(set(component_ids))
    if not ids:
        return []
    components = session.scalars(
        select(Component)
        .where(Component.id.in_(ids))
        .order_by(Component.id)
        # OF: the joined group is an outer join, which PostgreSQL will not lock. KEY SHARE
        # (FOR NO KEY UPDATE): intake inserting an incident_components row that references
        # the component must not wait for (or deadlock with) a refresh.
        .with_for_update(of=Component, key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    # Two queries for the whole set, not two per component.
    open_on: dict[int, list[ComponentStatus]] = defaultdict(list)
    for component_id, chosen, severity in session.execute(
        select(IncidentComponent.component_id, IncidentComponent.status, Incident.severity)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(IncidentComponent.component_id.in_(ids), Incident.status.in_(OPEN_STATUSES))
    ):
        open_on[component_id].append(incident_component_status(severity, chosen))
    in_maintenance = set(
        session.scalars(
            select(MaintenanceComponent.component_id)
            .join(Maintenance, Maintenance.id == MaintenanceComponent.maintenance_id)
            .where(
                MaintenanceComponent.component_id.in_(ids),
                Maintenance.status.in_(MAINTENANCE_ACTIVE),
            )
        )
    )
    changes: list[ComponentChange] = []
    for component in components:
        wanted = component_status(
            manual=component.manual_status,
            incident_statuses=open_on[component.id],
            in_maintenance=component.id in in_maintenance,
        )
        if wanted != component.status:
            changes.append(ComponentChange(component, component.status, wanted))
            session.add(ComponentStatusChange(component_id=component.id, status=wanted, at=now))
            component.status = wanted
            component.status_changed_at = now
            component.updated_at = now
    if changes:
        bump(session, now=now)
    return changes


def affect_component(
    session: Session,
    *,
    incident_id: int,
    component_id: int,
    status: ComponentStatus | None,
    source: str,
    now: datetime,
) -> None:
    """Record that the incident affects the component (status None: as its severity
    implies); the caller refreshes. A pin by an update or a person is not undone by
    automation."""
    row = session.get(IncidentComponent, (incident_id, component_id))
    if row is None:
        session.add(
            IncidentComponent(
                incident_id=incident_id,
                component_id=component_id,
                status=status,
                source=source,
                added_at=now,
            )
        )
    elif source != "automatic" or row.source == "automatic":
        row.status = status
        row.source = source


def components_of_incident(session: Session, incident_id: int) -> list[int]:
    return list(
        session.scalars(
            select(IncidentComponent.component_id).where(
                IncidentComponent.incident_id == incident_id
            )
        )
    )


def public_component_names(
    session: Session, *, incident_id: int, among: Iterable[str] | None = None
) -> list[str]:
    """The public components a public update may name: those of `among` that are public,
    or, when none are named, the public components the incident affects."""
    query = select(Component.name).where(Component.public.is_(True))
    names = list(among or [])
    if names:
        query = query.where(Component.name.in_(names))
    else:
        query = query.join(IncidentComponent, IncidentComponent.component_id == Component.id).where(
            IncidentComponent.incident_id == incident_id
        )
    return sorted(session.scalars(query))
