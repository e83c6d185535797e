"""How an incident shows on the public status page: its public settings and the
components it affects. Helpers for the actions in warroom.incidents.actions (they run
inside the caller's transaction and write no timeline events themselves)."""

import secrets
import string
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from warroom.domain.components import ComponentStatus
from warroom.domain.statuspage import Impact, impact_of
from warroom.domain.statuspage import default_public_title as public_title_for
from warroom.errors import Invalid
from warroom.incidents.models import Incident
from warroom.statuspage.components import affect_component, public_component_names
from warroom.statuspage.models import Component

# Statuspage's incident ids are short random strings; ours are too, so the public page
# says nothing about how many incidents there were or which internal id one has.
CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_LENGTH = 12
PUBLIC_TITLE_MAX = 200

# "severity": the impact follows the incident's severity (IMPACT_FOR_SEVERITY) again.
FOLLOW_SEVERITY: Literal["severity"] = "severity"
ImpactChoice = Impact | Literal["severity"]


def impact_choice(value: str | None) -> ImpactChoice | None:
    """From the API's word (validated there): an Impact, "severity", or None (keep)."""
    if value is None:
        return None
    return FOLLOW_SEVERITY if value == FOLLOW_SEVERITY else Impact(value)


def new_public_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def default_public_title(incident: Incident) -> str:
    """From the incident's impact and the public components it affects: never its
    internal title (the composer shows this default so people can word it better)."""
    session = object_session(incident)
    names = public_component_names(session, incident_id=incident.id) if session is not None else []
    impact = impact_of(incident.severity, incident.impact)
    return public_title_for(impact, names)[:PUBLIC_TITLE_MAX]


def components_named(session: Session, names: Iterable[str]) -> dict[str, Component]:
    """The components by name; Invalid naming every one that does not exist."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {
        c.name: c for c in session.scalars(select(Component).where(Component.name.in_(wanted)))
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        known = sorted(session.scalars(select(Component.name).limit(50)))
        raise Invalid(
            f"unknown component{'s' if len(missing) > 1 else ''}: "
            + ", ".join(f"'{n}'" for n in missing)
            + (f"; components are: {', '.join(known)}" if known else "; there are no components")
        )
    return found


def pin_components(
    session: Session,
    *,
    incident_id: int,
    chosen: Mapping[str, ComponentStatus | None],
    source: str,
    now: datetime,
) -> list[Component]:
    """Mark the named components as affected by the incident (None: as its severity
    implies). The caller refreshes their status."""
    components = components_named(session, chosen)
    for name, status in chosen.items():
        affect_component(
            session,
            incident_id=incident_id,
            component_id=components[name].id,
            status=ComponentStatus(status) if status is not None else None,
            source=source,
            now=now,
        )
    return list(components.values())


def apply_public_settings(
    incident: Incident,
    *,
    now: datetime,
    public: bool | None = None,
    title: str | None = None,
    impact: ImpactChoice | None = None,
    show_responders: bool | None = None,
) -> dict[str, Any]:
    """Set what was given (None: leave as it is); what changed, as timeline data.
    The first time an incident goes public it gets its code, time and title; going
    private keeps them, so making it public again shows the same incident."""
    changed: dict[str, Any] = {}
    if public is not None and public != incident.public:
        incident.public = public
        changed["public"] = public
        if public and incident.public_code is None:
            incident.public_code = new_public_code()
            incident.public_at = now
            changed["code"] = incident.public_code
    if incident.public and incident.public_title is None and title is None:
        title = default_public_title(incident)
    if title is not None:
        title = title.strip()
        if not title:
            raise Invalid("the public title cannot be empty; leave it out to keep the current one")
        if title != incident.public_title:
            incident.public_title = title[:PUBLIC_TITLE_MAX]
            changed["title"] = incident.public_title
    if impact is not None:
        chosen = None if impact == FOLLOW_SEVERITY else Impact(impact)
        if chosen != incident.impact:
            incident.impact = chosen
            changed["impact"] = str(chosen) if chosen is not None else FOLLOW_SEVERITY
    if show_responders is not None and show_responders != incident.public_responders:
        incident.public_responders = show_responders
        changed["show_responders"] = show_responders
    return changed
