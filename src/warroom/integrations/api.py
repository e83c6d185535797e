"""Inbound alerts over HTTP. Public routes: the integration key is the credential, and
it can only ingest. A 2xx answer means the events are committed."""

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from warroom.alerts.actions import IngestResult
from warroom.domain.alerts import AlertEvent
from warroom.errors import NotFound
from warroom.integrations import events_v2
from warroom.integrations.keys import ResolvedKey
from warroom.web.context import AppContext, get_context

log = logging.getLogger(__name__)

router = APIRouter(tags=["integrations"])


class IntakeUnavailable(Exception):
    """The database could not take the events now: the sender should retry."""


MAX_DEPTH = 32


async def read_json(request: Request, *, limit: int) -> tuple[Any, str | None]:
    """The parsed body, or a sentence saying why not. Bodies over `limit` are refused
    unread; bodies no database column could hold are refused whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None, f"body is larger than {limit // 1024} KB"
    raw = await request.body()
    if len(raw) > limit:
        return None, f"body is larger than {limit // 1024} KB"
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "body is not valid JSON"
    except RecursionError:  # thousands of nested brackets
        return None, f"body is nested more than {MAX_DEPTH} levels deep"
    return body, unstorable(body)


def unstorable(body: Any) -> str | None:
    """What no database column can hold: NUL characters (PostgreSQL refuses them in text),
    NaN and infinities (not JSON, though Python's parser takes them), deep nesting."""
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"body is nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str) and "\x00" in value:
            return "strings must not contain NUL (\\u0000) characters"
        if isinstance(value, float) and not math.isfinite(value):
            return "numbers must be finite (NaN and Infinity are not JSON)"
        if isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


async def resolve_key(ctx: AppContext, secret: str) -> ResolvedKey | None:
    """The key's service: from memory when known, else from the database off the loop."""
    known = ctx.keys.cached(secret)
    if known is False:
        return await asyncio.to_thread(ctx.keys.resolve, secret)
    return known if isinstance(known, ResolvedKey) else None


async def submit(
    ctx: AppContext, key: ResolvedKey, events: Sequence[AlertEvent]
) -> list[IngestResult]:
    """Hand the events to the group-commit writer and wait for their commit."""
    future = ctx.intake.submit(
        service_id=key.service_id, integration_key_id=key.key_id, events=events
    )
    try:
        return await asyncio.wrap_future(future)
    except NotFound:
        ctx.keys.forget()  # the service went away under a cached key
        raise
    except OperationalError as exc:
        log.warning("alert intake could not write: %s", exc)
        raise IntakeUnavailable from exc
    except Exception as exc:
        # Whatever went wrong, the events are not stored: say so in the way senders
        # retry on (Alertmanager retries only 5xx), and keep the details in the log.
        log.exception("alert intake failed")
        raise IntakeUnavailable from exc


# --- PagerDuty Events API v2 ---------------------------------------------------------

_EVENTS_V2_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["routing_key", "event_action"],
                    "properties": {
                        "routing_key": {"type": "string"},
                        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
                        "dedup_key": {"type": "string", "maxLength": 255},
                        "payload": {
                            "type": "object",
                            "required": ["summary", "source", "severity"],
                            "properties": {
                                "summary": {"type": "string", "maxLength": 1024},
                                "source": {"type": "string"},
                                "severity": {"enum": ["critical", "error", "warning", "info"]},
                                "timestamp": {"type": "string", "format": "date-time"},
                                "component": {"type": "string"},
                                "group": {"type": "string"},
                                "class": {"type": "string"},
                                "custom_details": {"type": "object"},
                            },
                        },
                        "links": {"type": "array", "items": {"type": "object"}},
                        "images": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    },
    "responses": {
        "202": {"description": '{"status": "success", "message": "Event processed", "dedup_key"}'},
        "400": {"description": '{"status": "invalid event", "message", "errors": [...]}'},
        "429": {"description": "too many events for this integration key"},
    },
}


def _invalid(errors: list[str], message: str = "Event object is invalid") -> JSONResponse:
    return JSONResponse(
        {"status": "invalid event", "message": message, "errors": errors}, status_code=400
    )


async def enqueue(request: Request) -> JSONResponse:
    ctx = get_context(request)
    body, problem = await read_json(request, limit=events_v2.MAX_BODY_BYTES)
    if problem is not None:
        return _invalid([problem])
    try:
        parsed = events_v2.parse(body)
    except events_v2.InvalidEvent as exc:
        return _invalid(exc.errors)
    key = await resolve_key(ctx, parsed.routing_key)
    if key is None:
        return _invalid(["'routing_key' is not the key of any service"], "Invalid routing key")
    wait = ctx.limiter.allow(key.key_id)
    if wait is not None:
        return JSONResponse(
            {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly. "
                "Please retry later.",
            },
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    try:
        await submit(ctx, key, [parsed.event])
    except (IntakeUnavailable, NotFound):
        return JSONResponse(
            {"status": "unavailable", "message": "Try again shortly."},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": parsed.event.alert_key},
        status_code=202,
    )


router.add_api_route(
    "/integrations/events/v2/enqueue",
    enqueue,
    methods=["POST"],
    status_code=202,
    summary="PagerDuty Events API v2",
    openapi_extra=_EVENTS_V2_DOC,
    response_class=JSONResponse,
)
# A PagerDuty client whose base URL is warroom's root posts to /v2/enqueue.
router.add_api_route(
    "/v2/enqueue", enqueue, methods=["POST"], include_in_schema=False, response_class=JSONResponse
)
