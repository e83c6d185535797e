"""Alertmanager, Grafana and generic webhook intake over HTTP.

Public routes: the integration key is the credential, in the path or as
`Authorization: Bearer <key>` (or the password of Basic auth, for senders that only
offer that). Every alert of one request is committed in one transaction, or none is.
Alertmanager and Grafana retry only on 5xx, so overload and a database that cannot write
answer 503; a payload they will never get right answers 400 and is dropped."""

import base64
import binascii
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from warroom.alerts.actions import IngestResult, Outcome
from warroom.domain.alerts import AlertEvent
from warroom.errors import NotFound
from warroom.integrations import alertmanager, grafana, webhook
from warroom.integrations.api import IntakeUnavailable, read_json, resolve_key, submit
from warroom.integrations.keys import ResolvedKey
from warroom.web.context import AppContext, get_context

router = APIRouter(tags=["integrations"])

Parser = Callable[[Any], list[AlertEvent]]
# Deeper than any real payload; deep enough nesting would overflow the JSON encoder's
# stack when the alert is stored.


# --- shared ------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>`, or from Basic auth's password."""
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password or user or None
    return None


def _unauthorized(message: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unauthorized", "message": message},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="warroom integrations"'},
    )


def _invalid(message: str, errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse(
        {"status": "invalid", "message": message, "errors": errors}, status_code=400
    )


def _unavailable(message: str, *, status: int, retry_after: float) -> JSONResponse:
    return JSONResponse(
        {"status": "throttled" if status == 429 else "unavailable", "message": message},
        status_code=status,
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "body"


async def _receive(
    request: Request, secret: str | None, parse: Parser, *, what: str
) -> tuple[AppContext, ResolvedKey, list[AlertEvent]] | JSONResponse:
    """The sender's key and its events, or the answer that refuses them."""
    ctx = get_context(request)
    if not secret:
        return _unauthorized(
            "missing integration key: put it in the URL or send 'Authorization: Bearer <key>'"
        )
    key = await resolve_key(ctx, secret)
    if key is None:
        return _unauthorized("unknown integration key")
    body, problem = await read_json(request, limit=alertmanager.MAX_BODY_BYTES)
    if problem is not None:
        return _invalid(f"{what} is invalid: {problem}", [{"field": "body", "message": problem}])
    try:
        events = parse(body)
    except ValidationError as exc:
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        shown = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return _invalid(f"{what} is invalid: {shown}{more}", errors)
    return ctx, key, events


async def _ingest(
    ctx: AppContext, key: ResolvedKey, events: list[AlertEvent], *, throttle_status: int
) -> list[IngestResult] | JSONResponse:
    if not events:
        return []
    # A payload larger than the whole minute's allowance still gets in once the window is
    # empty; refusing it forever would make the sender retry it forever.
    wait = ctx.limiter.allow(key.key_id, count=min(len(events), max(1, ctx.limiter.per_minute)))
    if wait is not None:
        return _unavailable(
            "alerts for this integration key are arriving too quickly; retry later",
            status=throttle_status,
            retry_after=wait,
        )
    try:
        return await submit(ctx, key, events)
    except (IntakeUnavailable, NotFound):
        return _unavailable("the alerts could not be stored now; retry", status=503, retry_after=1)


def _inline(model: type[BaseModel] | TypeAdapter[Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` inlined: an operation's request body in
    OpenAPI cannot point into a `$defs` of its own."""
    schema = model.json_schema() if isinstance(model, TypeAdapter) else model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            rest = {k: resolve(v) for k, v in node.items() if k != "$ref"}
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return {**resolve(defs[ref.removeprefix("#/$defs/")]), **rest}
            return rest
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _doc(schema: dict[str, Any], responses: dict[str, str]) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {code: {"description": text} for code, text in responses.items()},
    }


_REFUSALS = {
    "400": '{"status": "invalid", "message", "errors": [{"field", "message"}]}; nothing stored',
    "401": '{"status": "unauthorized", "message"}: no integration key, or an unknown one',
    "413": "body larger than 1 MB",
}


# --- Alertmanager and Grafana ----------------------------------------------------------


def _summary(events: list[AlertEvent], results: list[IngestResult]) -> JSONResponse:
    counts = Counter(result.outcome for result in results)
    return JSONResponse(
        {
            "status": "ok",
            "alerts": len(events),
            **{outcome.value: counts.get(outcome, 0) for outcome in Outcome},
            "incidents": sorted({r.incident_id for r in results if r.incident_id is not None}),
        }
    )


def _group_route(name: str, parse: Parser, what: str, model: type[BaseModel]) -> None:
    async def with_key(integration_key: str, request: Request) -> JSONResponse:
        return await receive(request, integration_key)

    async def with_bearer(request: Request) -> JSONResponse:
        return await receive(request, _bearer(request))

    async def receive(request: Request, secret: str | None) -> JSONResponse:
        received = await _receive(request, secret, parse, what=what)
        if isinstance(received, JSONResponse):
            return received
        ctx, key, events = received
        results = await _ingest(ctx, key, events, throttle_status=503)
        if isinstance(results, JSONResponse):
            return results
        return _summary(events, results)

    doc = _doc(
        _inline(model),
        {
            "200": '{"status": "ok", "alerts": N, "<outcome>": count for each outcome, '
            '"incidents": [ids]}',
            **_REFUSALS,
            "503": "rate limited or the database is unavailable; Retry-After says when to "
            "retry (the sender retries 5xx)",
        },
    )
    for path, endpoint, suffix in (
        (f"/integrations/{name}/{{integration_key}}", with_key, ""),
        (f"/integrations/{name}", with_bearer, " (key as Bearer token)"),
    ):
        router.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            summary=f"{what}{suffix}",
            openapi_extra=doc,
            response_class=JSONResponse,
            operation_id=f"{name}_webhook{'_bearer' if suffix else ''}",
        )


_group_route(
    "alertmanager",
    alertmanager.parse,
    "Alertmanager webhook (version 4)",
    alertmanager.AlertmanagerPayload,
)
_group_route("grafana", grafana.parse, "Grafana webhook (version 1)", grafana.GrafanaPayload)


# --- generic webhook -------------------------------------------------------------------

_WEBHOOK_BODY: TypeAdapter[webhook.WebhookEvent | webhook.WebhookBatch] = TypeAdapter(
    webhook.WebhookEvent | webhook.WebhookBatch
)
_WEBHOOK_DOC = _doc(
    _inline(_WEBHOOK_BODY),
    {
        "202": '{"status": "accepted", "results": [{"dedup_key", "outcome", "incident_id"}]}',
        **_REFUSALS,
        "429": "rate limited; Retry-After says when to retry",
        "503": "the database is unavailable; retry",
    },
)


async def _generic(request: Request, secret: str | None) -> JSONResponse:
    received = await _receive(request, secret, webhook.parse, what="webhook event")
    if isinstance(received, JSONResponse):
        return received
    ctx, key, events = received
    results = await _ingest(ctx, key, events, throttle_status=429)
    if isinstance(results, JSONResponse):
        return results
    return JSONResponse(
        {
            "status": "accepted",
            "results": [
                {"dedup_key": r.alert_key, "outcome": r.outcome.value, "incident_id": r.incident_id}
                for r in results
            ],
        },
        status_code=202,
    )


async def webhook_with_key(integration_key: str, request: Request) -> JSONResponse:
    return await _generic(request, integration_key)


async def webhook_with_bearer(request: Request) -> JSONResponse:
    return await _generic(request, _bearer(request))


router.add_api_route(
    "/integrations/webhook/{integration_key}",
    webhook_with_key,
    methods=["POST"],
    status_code=202,
    summary="Generic JSON webhook",
    openapi_extra=_WEBHOOK_DOC,
    response_class=JSONResponse,
)
router.add_api_route(
    "/integrations/webhook",
    webhook_with_bearer,
    methods=["POST"],
    status_code=202,
    summary="Generic JSON webhook (key as Bearer token)",
    openapi_extra=_WEBHOOK_DOC,
    response_class=JSONResponse,
)
