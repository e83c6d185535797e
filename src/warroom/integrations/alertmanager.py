"""Prometheus Alertmanager's webhook (payload version 4), as its `webhook_configs` send it:
one payload per alert group, every alert of the group in it, firing and resolved.

Grafana's webhook is this shape plus a few fields (integrations.grafana builds on it).
Parsers raise pydantic's ValidationError for anything malformed and write nothing."""

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from warroom.domain.alerts import (
    AlertAction,
    AlertEvent,
    AlertSource,
    key_digest,
    normalise_severity,
)

MAX_BODY_BYTES = 1024 * 1024
MAX_SUMMARY = 1024
MAX_SOURCE_NAME = 255
MAX_ALERT_KEY = 255
MAX_INCIDENT_KEY = 1024


def _timestamp_text(value: Any) -> Any:
    # pydantic would take a number as Unix seconds; Alertmanager only ever sends RFC 3339.
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string with a time zone")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]
Labels = dict[str, str]


class _Shape(BaseModel):
    # Senders add fields over time; unknown ones are ignored, not refused.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class AlertmanagerAlert(_Shape):
    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    starts_at: Timestamp | None = Field(default=None, alias="startsAt")
    ends_at: Timestamp | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(default="", max_length=MAX_ALERT_KEY)


class AlertmanagerPayload(_Shape):
    version: Literal["4"]
    group_key: str = Field(alias="groupKey", min_length=1)
    truncated_alerts: int = Field(default=0, ge=0, alias="truncatedAlerts")
    status: Literal["firing", "resolved"] = "firing"
    receiver: str = ""
    group_labels: Labels = Field(default_factory=dict, alias="groupLabels")
    common_labels: Labels = Field(default_factory=dict, alias="commonLabels")
    common_annotations: Labels = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[AlertmanagerAlert]


def parse(body: Any) -> list[AlertEvent]:
    payload = AlertmanagerPayload.model_validate(body)
    return to_events(
        payload, source=AlertSource.ALERTMANAGER, prefix="alertmanager:", external="Alertmanager"
    )


def to_events(
    payload: AlertmanagerPayload,
    *,
    source: AlertSource,
    prefix: str,
    external: str,
    extra: Callable[[AlertmanagerAlert], tuple[dict[str, Any], list[dict[str, str]]]] | None = None,
) -> list[AlertEvent]:
    """Firing alerts first: resolving a group's last open alert before a newly firing one
    attached would close the incident the new one belongs to."""
    incident_key = group_incident_key(prefix, payload.group_key)
    events = []
    for alert in payload.alerts:
        details: dict[str, Any] = {
            "fingerprint": alert.fingerprint,
            "generatorURL": alert.generator_url,
            "groupKey": payload.group_key,
            "receiver": payload.receiver,
        }
        links = []
        if alert.generator_url:
            links.append({"href": alert.generator_url, "text": "Source"})
        if payload.external_url:
            links.append({"href": payload.external_url, "text": external})
        if extra is not None:
            more_details, more_links = extra(alert)
            details |= more_details
            links += more_links
        events.append(
            AlertEvent(
                source=source,
                action=AlertAction.TRIGGER if alert.status == "firing" else AlertAction.RESOLVE,
                alert_key=alert.fingerprint or labels_key(alert.labels),
                incident_key=incident_key,
                summary=summary_of(alert.labels, alert.annotations),
                severity=normalise_severity(alert.labels.get("severity")),
                source_name=(
                    alert.labels.get("instance") or alert.labels.get("job") or payload.receiver
                )[:MAX_SOURCE_NAME],
                started_at=real_time(alert.starts_at),
                labels=dict(alert.labels),
                annotations=dict(alert.annotations),
                details=details,
                links=links,
            )
        )
    events.sort(key=lambda e: e.action is AlertAction.RESOLVE)
    return events


def group_incident_key(prefix: str, group_key: str) -> str:
    key = prefix + group_key
    # Group keys hold the group's labels and have no length limit; the column has one.
    return key if len(key) <= MAX_INCIDENT_KEY else f"{prefix}sha256:{key_digest(group_key)}"


def labels_key(labels: Mapping[str, str]) -> str:
    """A stable key for an alert that came without a fingerprint: its label set, which is
    what identifies an alert to Alertmanager."""
    return "labels:" + key_digest(json.dumps(sorted(labels.items())))


def summary_of(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    text = (
        annotations.get("summary")
        or annotations.get("description")
        or labels.get("alertname")
        or "Alert without a name"
    )
    return text[:MAX_SUMMARY]


def real_time(stamp: datetime | None) -> datetime | None:
    """In UTC; None for Go's zero time (0001-01-01T00:00:00Z), which means 'not set', and
    for a time so far ahead it has no UTC equivalent (an alert cannot start in the future
    anyway: intake caps start times at now)."""
    if stamp is None or stamp.year <= 1:
        return None
    try:
        return stamp.astimezone(UTC)
    except OverflowError:
        return None
