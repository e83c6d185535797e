"""Grafana alerting's webhook contact point (payload version "1"): Alertmanager's shape
plus a title, state and message for the group, and per alert the query values and links
to its dashboard, panel, silence form and image."""

from typing import Annotated, Any, Literal

from pydantic import Field

from warroom.domain.alerts import AlertEvent, AlertSource
from warroom.integrations.alertmanager import AlertmanagerAlert, AlertmanagerPayload, to_events


class GrafanaAlert(AlertmanagerAlert):
    values: dict[str, Annotated[float, Field(allow_inf_nan=False)] | None] | None = None
    value_string: str = Field(default="", alias="valueString")
    dashboard_url: str = Field(default="", alias="dashboardURL")
    panel_url: str = Field(default="", alias="panelURL")
    silence_url: str = Field(default="", alias="silenceURL")
    image_url: str = Field(default="", alias="imageURL")


class GrafanaPayload(AlertmanagerPayload):
    version: Literal["1"]  # type: ignore[assignment]  # Grafana's own numbering
    title: str = ""
    state: str = ""
    message: str = ""
    org_id: int | None = Field(default=None, alias="orgId")
    alerts: list[GrafanaAlert]  # type: ignore[assignment]  # the richer alert shape


def _extra(alert: AlertmanagerAlert) -> tuple[dict[str, Any], list[dict[str, str]]]:
    if not isinstance(alert, GrafanaAlert):
        return {}, []
    details: dict[str, Any] = {}
    if alert.values is not None:
        details["values"] = alert.values
    if alert.value_string:
        details["valueString"] = alert.value_string
    links = [
        {"href": href, "text": text}
        for href, text in (
            (alert.dashboard_url, "Dashboard"),
            (alert.panel_url, "Panel"),
            (alert.silence_url, "Silence"),
            (alert.image_url, "Image"),
        )
        if href
    ]
    return details, links


def parse(body: Any) -> list[AlertEvent]:
    payload = GrafanaPayload.model_validate(body)
    return to_events(
        payload, source=AlertSource.GRAFANA, prefix="grafana:", external="Grafana", extra=_extra
    )
