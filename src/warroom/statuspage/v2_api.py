"""Statuspage v2 compatible JSON (public, no token): what status widgets, aggregators and
Statuspage clients read. Every answer comes from the page cache (warroom.statuspage.cache);
the documents themselves are built in warroom.statuspage.v2 from the public read model."""

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.statuspage import public, v2
from warroom.statuspage.cache import fast_path, page_cache
from warroom.web.context import AppContext, get_context

router = APIRouter(prefix="/api/v2", tags=["status page"])

MEDIA_TYPE = "application/json"

Document = Callable[[Session, AppContext], dict[str, Any]]


def _page(session: Session, ctx: AppContext) -> public.PublicPage:
    return public.load_page(session, settings=ctx.settings, now=ctx.clock.now())


def _info(session: Session, ctx: AppContext) -> public.PageInfo:
    return public.page_info(session, settings=ctx.settings, now=ctx.clock.now())


def _incidents(session: Session, ctx: AppContext) -> dict[str, Any]:
    return v2.incidents_document(
        _info(session, ctx), public.load_incidents(session, settings=ctx.settings)
    )


def _unresolved(session: Session, ctx: AppContext) -> dict[str, Any]:
    return v2.incidents_document(
        _info(session, ctx), public.load_unresolved(session, settings=ctx.settings)
    )


def _maintenances(which: Any) -> Document:
    def build(session: Session, ctx: AppContext) -> dict[str, Any]:
        found = public.load_maintenances(session, settings=ctx.settings, which=which)
        return v2.maintenances_document(_info(session, ctx), found)

    return build


DOCUMENTS: dict[str, Document] = {
    "summary.json": lambda s, ctx: v2.summary_document(_page(s, ctx)),
    "status.json": lambda s, ctx: v2.status_document(_page(s, ctx)),
    "components.json": lambda s, ctx: v2.components_document(_page(s, ctx)),
    "incidents.json": _incidents,
    "incidents/unresolved.json": _unresolved,
    "scheduled-maintenances.json": _maintenances("all"),
    "scheduled-maintenances/upcoming.json": _maintenances("upcoming"),
    "scheduled-maintenances/active.json": _maintenances("active"),
}


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


async def _serve(request: Request, name: str) -> Response:
    ctx = get_context(request)
    cache = page_cache(request.app)
    key = ("v2", name)
    entry = cache.fresh(key)
    if entry is None:
        make = DOCUMENTS[name]

        def build(session: Session) -> tuple[bytes, str]:
            return encode(make(session, ctx)), MEDIA_TYPE

        entry = await run_in_threadpool(cache.get, key, build, cors=True)
    return cache.response(entry, request)


def _route(name: str, summary: str) -> None:
    async def endpoint(request: Request) -> Response:
        return await _serve(request, name)

    path = f"/{name}"
    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        summary=summary,
        response_class=Response,
        responses={200: {"content": {MEDIA_TYPE: {}}}, 304: {"description": "Not modified"}},
        name=f"statuspage_v2_{name.replace('/', '_').removesuffix('.json')}",
    )
    fast_path(f"/api/v2{path}", ("v2", name))


_route("summary.json", "Page, indicator, components, unresolved incidents, maintenances")
_route("status.json", "The page's overall indicator")
_route("components.json", "Every public component and group")
_route("incidents.json", "The 50 most recent public incidents")
_route("incidents/unresolved.json", "Public incidents not yet resolved")
_route("scheduled-maintenances.json", "The 50 most recent scheduled maintenances")
_route("scheduled-maintenances/upcoming.json", "Maintenances still scheduled")
_route("scheduled-maintenances/active.json", "Maintenances in progress or verifying")
