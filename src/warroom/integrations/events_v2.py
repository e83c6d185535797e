"""PagerDuty Events API v2 (`POST /v2/enqueue`), as PagerDuty documents it: an
unmodified PagerDuty client pointed at warroom works."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.domain.alerts import ALERT_SEVERITIES, AlertAction, AlertEvent, AlertSource

MAX_BODY_BYTES = 512 * 1024
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_SHORT = 255


@dataclass(frozen=True, slots=True)
class Parsed:
    routing_key: str
    event: AlertEvent


class InvalidEvent(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _text(obj: dict[str, Any], name: str, errors: list[str], *, where: str, limit: int) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(f"'{where}{name}' must be a string")
        return ""
    if len(value) > limit:
        errors.append(f"'{where}{name}' is longer than {limit} characters")
    return value


def parse(body: Any) -> Parsed:
    """The event, or InvalidEvent with every problem found (not just the first)."""
    errors: list[str] = []
    if not isinstance(body, dict):
        raise InvalidEvent(["Event object is invalid: expected a JSON object"])
    routing_key = body.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key.strip():
        errors.append("'routing_key' is missing or blank")
        routing_key = ""
    action_raw = body.get("event_action")
    try:
        action = AlertAction(action_raw if isinstance(action_raw, str) else "")
    except ValueError:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
        action = None
    dedup_key = _text(body, "dedup_key", errors, where="", limit=MAX_DEDUP_KEY)
    if action in (AlertAction.ACKNOWLEDGE, AlertAction.RESOLVE) and not dedup_key:
        errors.append(f"'dedup_key' is required to {action}")

    payload = body.get("payload")
    summary = severity = source = component = group = cls = ""
    started_at: datetime | None = None
    details: dict[str, Any] = {}
    if action is AlertAction.TRIGGER:
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
            payload = {}
        summary = _text(payload, "summary", errors, where="payload.", limit=MAX_SUMMARY)
        if not summary.strip():
            errors.append("'payload.summary' is missing or blank")
        source = _text(payload, "source", errors, where="payload.", limit=MAX_SHORT)
        if not source.strip():
            errors.append("'payload.source' is missing or blank")
        severity = _text(payload, "severity", errors, where="payload.", limit=16)
        if severity not in ALERT_SEVERITIES:
            errors.append("'payload.severity' must be one of critical, error, warning, info")
        component = _text(payload, "component", errors, where="payload.", limit=MAX_SHORT)
        group = _text(payload, "group", errors, where="payload.", limit=MAX_SHORT)
        cls = _text(payload, "class", errors, where="payload.", limit=MAX_SHORT)
        stamp = payload.get("timestamp")
        if stamp is not None:
            started_at = _timestamp(stamp, errors)
        custom = payload.get("custom_details")
        if custom is not None:
            details["custom_details"] = custom
    links = _links(body, errors)
    images = body.get("images")
    if images is not None:
        if isinstance(images, list):
            details["images"] = images[:50]
        else:
            errors.append("'images' must be an array")
    for name in ("client", "client_url"):
        if isinstance(body.get(name), str):
            details[name] = body[name][:MAX_SHORT]
    if errors or action is None:
        raise InvalidEvent(errors)

    key = dedup_key or uuid.uuid4().hex
    labels = {k: v for k, v in (("component", component), ("group", group), ("class", cls)) if v}
    return Parsed(
        routing_key=routing_key.strip(),
        event=AlertEvent(
            source=AlertSource.EVENTS_V2,
            action=action,
            alert_key=key,
            incident_key=key,
            summary=summary,
            severity=severity or "error",
            source_name=source,
            started_at=started_at,
            labels=labels,
            details=details,
            links=links,
        ),
    )


def _timestamp(value: Any, errors: list[str]) -> datetime | None:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None and parsed.year > 1970:
            return parsed
    errors.append("'payload.timestamp' must be an ISO 8601 date-time with a time zone")
    return None


def _links(body: dict[str, Any], errors: list[str]) -> list[dict[str, str]]:
    raw = body.get("links")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        errors.append("'links' must be an array of objects with 'href'")
        return []
    links = []
    for item in raw[:50]:
        href = item.get("href")
        if not isinstance(href, str) or not href:
            errors.append("every link needs an 'href'")
            continue
        text = item.get("text")
        links.append({"href": href[:2000], "text": str(text)[:MAX_SHORT] if text else href[:200]})
    return links
