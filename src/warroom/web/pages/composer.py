"""What the incident page's stakeholder-update composer and status-page card show: the
promised next update, the incident's public settings, and the components it may affect.
Built inside the page's read transaction (warroom.web.pages.views.incident_page)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.components import ComponentStatus
from warroom.domain.statuspage import Impact
from warroom.incidents.models import Incident
from warroom.incidents.presentation import cadence_state
from warroom.incidents.public import FOLLOW_SEVERITY, default_public_title
from warroom.incidents.schemas import IncidentOut
from warroom.statuspage.models import Component, IncidentComponent

# How many components the composer lists; a page with more is managed from the API.
MAX_COMPONENTS = 200


@dataclass(frozen=True, slots=True)
class ComponentChoice:
    name: str
    public: bool
    # What the component says now, and what this incident pins it to ("" not affected,
    # "severity" affected as the severity implies).
    status: str
    chosen: str


def component_choices(session: Session, incident_id: int) -> list[ComponentChoice]:
    pinned: dict[int, str] = {
        row.component_id: str(row.status) if row.status is not None else FOLLOW_SEVERITY
        for row in session.scalars(
            select(IncidentComponent).where(IncidentComponent.incident_id == incident_id)
        )
    }
    components = session.scalars(
        select(Component).order_by(Component.position, Component.name).limit(MAX_COMPONENTS)
    )
    return [
        ComponentChoice(c.name, c.public, str(c.status), pinned.get(c.id, "")) for c in components
    ]


def composer_view(session: Session, incident: Incident, out: IncidentOut) -> dict[str, Any]:
    """The template's extra names for the composer and the status-page card."""
    return {
        "cadence": cadence_state(out.model_dump()),
        "public_settings": out.public,
        "public_title_default": incident.public_title or default_public_title(incident),
        "components": component_choices(session, incident.id),
        "component_statuses": [str(s) for s in ComponentStatus],
        "impacts": [str(i) for i in Impact],
        "default_next_minutes": out.update_cadence.default_minutes,
    }


def component_pins(names: list[str], statuses: list[str]) -> dict[str, str | None]:
    """The composer's component rows (a hidden name and a status select each, in page
    order) as {name: status}; "" is not affected, "severity" follows the severity."""
    if len(names) != len(statuses):
        # A hand-made request; the page always sends them in pairs.
        return {}
    return {
        name: (None if status == FOLLOW_SEVERITY else status)
        for name, status in zip(names, statuses, strict=True)
        if status
    }
