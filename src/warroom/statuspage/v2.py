"""Atlassian Statuspage v2 JSON, built from the public read model (statuspage.public).

Field names and enums are Statuspage's public API as documented at
<page>/api (e.g. metastatuspage.com/api/v2): `page`, `status{indicator,description}`,
components (groups are components with `group: true` and the ids of their members),
incidents with `incident_updates` and `affected_components`, and scheduled maintenances
(incidents with impact `maintenance`, statuses scheduled|in_progress|verifying|completed,
`scheduled_for`/`scheduled_until`). Ids are the public codes, never row numbers.
"""

from datetime import UTC, datetime
from typing import Any

from warroom.statuspage.public import (
    PageInfo,
    PublicComponent,
    PublicGroup,
    PublicIncident,
    PublicMaintenance,
    PublicPage,
    PublicUpdate,
)

JSON = dict[str, Any]


def timestamp(at: datetime | None) -> str | None:
    """Statuspage's form: ISO 8601 with milliseconds, in UTC, with a Z."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_object(info: PageInfo) -> JSON:
    return {
        "id": info.id,
        "name": info.name,
        "url": info.url,
        "time_zone": info.time_zone,
        "updated_at": timestamp(info.updated_at),
    }


def component_object(component: PublicComponent, page: PageInfo) -> JSON:
    return {
        "id": component.code,
        "name": component.name,
        "status": str(component.status),
        "created_at": timestamp(component.created_at),
        "updated_at": timestamp(component.updated_at),
        "position": component.position,
        "description": component.description or None,
        "showcase": True,
        "start_date": component.created_at.astimezone(UTC).date().isoformat(),
        "group_id": component.group_code,
        "page_id": page.id,
        "group": False,
        "only_show_if_degraded": False,
    }


def group_object(group: PublicGroup, page: PageInfo) -> JSON:
    return {
        "id": group.code,
        "name": group.name,
        "status": str(group.status),
        "created_at": timestamp(group.created_at),
        "updated_at": timestamp(group.updated_at),
        "position": group.position,
        "description": group.description or None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page.id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.code for c in group.components],
    }


def components_list(page: PublicPage) -> list[JSON]:
    """Every public component and group in page order: a group, then its members."""
    groups = {g.code: g for g in page.groups}
    listed: list[JSON] = []
    seen_groups: set[str] = set()
    for component in page.components:
        code = component.group_code
        if code is not None and code not in seen_groups and code in groups:
            seen_groups.add(code)
            listed.append(group_object(groups[code], page.info))
        listed.append(component_object(component, page.info))
    return listed


def _update_object(update: PublicUpdate, *, incident_code: str) -> JSON:
    return {
        "id": update.id,
        "status": update.status,
        "body": update.body,
        "incident_id": incident_code,
        "created_at": timestamp(update.created_at),
        "updated_at": timestamp(update.created_at),
        "display_at": timestamp(update.created_at),
        "affected_components": [dict(a) for a in update.affected_components],
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_object(incident: PublicIncident, page: PageInfo) -> JSON:
    """One incident as Statuspage shows it (also the body of Statuspage-shaped webhooks)."""
    return {
        "id": incident.code,
        "name": incident.name,
        "status": incident.status,
        "created_at": timestamp(incident.created_at),
        "updated_at": timestamp(incident.updated_at),
        "monitoring_at": timestamp(incident.monitoring_at),
        "resolved_at": timestamp(incident.resolved_at),
        "impact": str(incident.impact),
        "shortlink": incident.shortlink,
        "started_at": timestamp(incident.started_at),
        "page_id": page.id,
        "incident_updates": [
            _update_object(u, incident_code=incident.code) for u in incident.updates
        ],
        "components": [component_object(c, page) for c in incident.components],
    }


def maintenance_object(maintenance: PublicMaintenance, page: PageInfo) -> JSON:
    """A scheduled maintenance: Statuspage's incident shape with impact `maintenance`."""
    return {
        "id": maintenance.code,
        "name": maintenance.name,
        "status": str(maintenance.status),
        "created_at": timestamp(maintenance.created_at),
        "updated_at": timestamp(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": timestamp(maintenance.completed_at),
        "impact": "maintenance",
        "shortlink": maintenance.shortlink,
        "started_at": timestamp(maintenance.started_at or maintenance.scheduled_for),
        "page_id": page.id,
        "incident_updates": [
            _update_object(u, incident_code=maintenance.code) for u in maintenance.updates
        ],
        "components": [component_object(c, page) for c in maintenance.components],
        "scheduled_for": timestamp(maintenance.scheduled_for),
        "scheduled_until": timestamp(maintenance.scheduled_until),
    }


def status_document(page: PublicPage) -> JSON:
    return {
        "page": page_object(page.info),
        "status": {
            "indicator": str(page.indicator.indicator),
            "description": page.indicator.description,
        },
    }


def components_document(page: PublicPage) -> JSON:
    return {"page": page_object(page.info), "components": components_list(page)}


def summary_document(page: PublicPage) -> JSON:
    return {
        "page": page_object(page.info),
        "components": components_list(page),
        "incidents": [incident_object(i, page.info) for i in page.unresolved],
        "scheduled_maintenances": [
            maintenance_object(m, page.info) for m in [*page.active, *page.upcoming]
        ],
        "status": {
            "indicator": str(page.indicator.indicator),
            "description": page.indicator.description,
        },
    }


def incidents_document(info: PageInfo, incidents: list[PublicIncident]) -> JSON:
    return {"page": page_object(info), "incidents": [incident_object(i, info) for i in incidents]}


def maintenances_document(info: PageInfo, maintenances: list[PublicMaintenance]) -> JSON:
    return {
        "page": page_object(info),
        "scheduled_maintenances": [maintenance_object(m, info) for m in maintenances],
    }
