"""warroom's own generic JSON webhook, for anything that can POST JSON: one event, or
`{"events": [...]}` with up to 100. The shape is documented in docs/integrations.md."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from warroom.domain.alerts import AlertAction, AlertEvent, AlertSource
from warroom.integrations.alertmanager import Timestamp, real_time

MAX_EVENTS = 100
MAX_KEY = 255
MAX_SUMMARY = 1024
MAX_LABELS = 100
MAX_LINKS = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookLink(_Strict):
    href: str = Field(min_length=1, max_length=2000)
    text: str | None = Field(default=None, max_length=255)


class WebhookEvent(_Strict):
    action: Literal["trigger", "acknowledge", "resolve"] = "trigger"
    dedup_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KEY,
        validate_default=True,
        description="Identifies the alert across its events; generated for a trigger "
        "without one (and returned). Required to acknowledge or resolve.",
    )
    group_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KEY,
        description="Alerts sharing it share an open incident; defaults to dedup_key.",
    )
    summary: str | None = Field(
        default=None,
        max_length=MAX_SUMMARY,
        validate_default=True,
        description="Required to trigger.",
    )
    severity: Literal["critical", "error", "warning", "info"] = "error"
    source: str = Field(default="", max_length=255, description="The host or system affected.")
    started_at: Timestamp | None = None
    labels: dict[Annotated[str, Field(max_length=255)], Annotated[str, Field(max_length=1024)]] = (
        Field(default_factory=dict, max_length=MAX_LABELS)
    )
    details: dict[str, Any] = Field(default_factory=dict)
    links: list[WebhookLink] = Field(default_factory=list, max_length=MAX_LINKS)

    # Field validators (not a model validator) so an error names the field it is about.
    @field_validator("dedup_key")
    @classmethod
    def _key_to_address_an_alert(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action")
        if value is None and action in ("acknowledge", "resolve"):
            raise ValueError(f"dedup_key is required to {action}")
        return value

    @field_validator("summary")
    @classmethod
    def _summary_to_trigger(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("action") == "trigger" and not (value or "").strip():
            raise ValueError("summary is required to trigger")
        return value

    @field_validator("started_at")
    @classmethod
    def _not_before_the_epoch(cls, value: Any) -> Any:
        if value is not None and value.year < 1970:
            raise ValueError("must be a date-time after 1970")
        return value


class WebhookBatch(_Strict):
    events: list[WebhookEvent] = Field(min_length=1, max_length=MAX_EVENTS)


def parse(body: Any) -> list[AlertEvent]:
    if isinstance(body, dict) and "events" in body:
        items = WebhookBatch.model_validate(body).events
    else:
        items = [WebhookEvent.model_validate(body)]
    return [_event(item) for item in items]


def _event(item: WebhookEvent) -> AlertEvent:
    key = item.dedup_key or uuid.uuid4().hex
    return AlertEvent(
        source=AlertSource.WEBHOOK,
        action=AlertAction(item.action),
        alert_key=key,
        incident_key=item.group_key or key,
        summary=item.summary or "",
        severity=item.severity,
        source_name=item.source,
        started_at=real_time(item.started_at),
        labels=dict(item.labels),
        details=dict(item.details),
        links=[{"href": link.href, "text": link.text or link.href[:200]} for link in item.links],
    )
