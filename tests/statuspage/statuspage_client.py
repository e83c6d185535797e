"""A Statuspage v2 client written against Atlassian's documented public API (the shapes at
<page>/api, e.g. metastatuspage.com/api/v2): every object is a pydantic model that forbids
unknown keys and requires the documented ones, with the documented enums as Literals. If
warroom's JSON drifts from Statuspage's (a renamed field, a new status word, a missing
key), reading it here fails."""

from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict

ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
Indicator = Literal["none", "minor", "major", "critical"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
Impact = Literal["none", "minor", "major", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(_Strict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: datetime


class Status(_Strict):
    indicator: Indicator
    description: str


class Component(_Strict):
    id: str
    name: str
    status: ComponentStatus
    created_at: datetime
    updated_at: datetime
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    # Only on groups: the ids of their members.
    components: list[str] | None = None


class AffectedComponent(_Strict):
    code: str
    name: str
    old_status: ComponentStatus
    new_status: ComponentStatus


class IncidentUpdate(_Strict):
    id: str
    status: IncidentStatus | MaintenanceStatus
    body: str
    incident_id: str
    created_at: datetime
    updated_at: datetime
    display_at: datetime
    affected_components: list[AffectedComponent] | None
    deliver_notifications: bool
    custom_tweet: str | None
    tweet_id: str | None


class Incident(_Strict):
    id: str
    name: str
    status: IncidentStatus
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    impact: Impact
    shortlink: str
    started_at: datetime
    page_id: str
    incident_updates: list[IncidentUpdate]
    components: list[Component]


class ScheduledMaintenance(_Strict):
    id: str
    name: str
    status: MaintenanceStatus
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    impact: Literal["maintenance"] | Impact
    shortlink: str
    started_at: datetime
    page_id: str
    incident_updates: list[IncidentUpdate]
    components: list[Component]
    scheduled_for: datetime
    scheduled_until: datetime


class StatusDocument(_Strict):
    page: Page
    status: Status


class ComponentsDocument(_Strict):
    page: Page
    components: list[Component]


class IncidentsDocument(_Strict):
    page: Page
    incidents: list[Incident]


class MaintenancesDocument(_Strict):
    page: Page
    scheduled_maintenances: list[ScheduledMaintenance]


class Summary(_Strict):
    page: Page
    components: list[Component]
    incidents: list[Incident]
    scheduled_maintenances: list[ScheduledMaintenance]
    status: Status


class StatuspageClient:
    """Reads a status page the way Statuspage's own widgets and aggregators do."""

    def __init__(self, http: httpx.Client | object) -> None:
        self.http = http

    def _get(self, path: str) -> bytes:
        r = self.http.get(f"/api/v2/{path}")  # type: ignore[attr-defined]
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["access-control-allow-origin"] == "*"
        content: bytes = r.content
        return content

    def summary(self) -> Summary:
        return Summary.model_validate_json(self._get("summary.json"))

    def status(self) -> StatusDocument:
        return StatusDocument.model_validate_json(self._get("status.json"))

    def components(self) -> ComponentsDocument:
        return ComponentsDocument.model_validate_json(self._get("components.json"))

    def incidents(self) -> IncidentsDocument:
        return IncidentsDocument.model_validate_json(self._get("incidents.json"))

    def unresolved(self) -> IncidentsDocument:
        return IncidentsDocument.model_validate_json(self._get("incidents/unresolved.json"))

    def maintenances(self) -> MaintenancesDocument:
        return MaintenancesDocument.model_validate_json(self._get("scheduled-maintenances.json"))

    def upcoming(self) -> MaintenancesDocument:
        return MaintenancesDocument.model_validate_json(
            self._get("scheduled-maintenances/upcoming.json")
        )

    def active(self) -> MaintenancesDocument:
        return MaintenancesDocument.model_validate_json(
            self._get("scheduled-maintenances/active.json")
        )


ENDPOINTS = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
