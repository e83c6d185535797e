from datetime import datetime
from typing import Any

from warroom.alerts.models import Alert
from warroom.domain.alerts import AlertSource, AlertStatus
from warroom.schemas import Out


class AlertOut(Out):
    id: int
    service: str
    incident_id: int | None
    source: AlertSource
    status: AlertStatus
    alert_key: str
    incident_key: str
    summary: str
    severity: str
    source_name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    details: dict[str, Any]
    links: list[dict[str, str]]
    suppressed_by: str | None
    started_at: datetime
    received_at: datetime
    last_event_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    event_count: int

    @classmethod
    def of(cls, alert: Alert) -> "AlertOut":
        return cls.model_validate(
            {
                **{c: getattr(alert, c) for c in cls.model_fields if c != "service"},
                "service": alert.service.name,
            }
        )
