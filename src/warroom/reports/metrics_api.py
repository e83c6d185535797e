"""Prometheus `/metrics`: live gauges and counters, and the report figures as gauges.

Behind an admin's bearer token unless WARROOM_METRICS_PUBLIC is set, for a Prometheus
on a trusted network that cannot send one (its scrape config can: `authorization:
{credentials: <token>}`)."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from warroom.reports.prometheus import registry_for
from warroom.users.models import UserRole
from warroom.web.auth import Ctx, require

router = APIRouter(tags=["meta"])

_admin = require(UserRole.ADMIN)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(request: Request, ctx: Ctx) -> Response:
    """warroom's figures in Prometheus text format, computed from the database now."""
    if not ctx.settings.metrics_public:
        await run_in_threadpool(_admin, request, ctx)
    body = await run_in_threadpool(generate_latest, registry_for(ctx.db, ctx.clock))
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)
