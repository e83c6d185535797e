"""The public status page in HTML, and its incident-history feeds. No token, no staff
navigation, no script: server-rendered from the public read model only
(warroom.statuspage.public), so nothing internal can reach a template.

Every answer is built once and kept in the app's PageCache (warroom.statuspage.cache),
which drops it when the page revision moves; keys carry the local date (and hour) as well,
since today's uptime bar and the "past incidents" days move with the clock rather than
with any change. Answers carry an ETag and are revalidated with If-None-Match.
"""

import gzip
from collections.abc import Hashable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.types import Scope

from warroom.statuspage import feeds, html_view, public
from warroom.statuspage.cache import Builder, PageCache, accepts_gzip, fast_path, page_cache
from warroom.web.context import AppContext
from warroom.web.pages.base import templates

router = APIRouter(prefix="/status", include_in_schema=False)

HTML_TYPE = "text/html; charset=utf-8"
Code = Annotated[str, Path(min_length=1, max_length=64)]


def _security_headers(ctx: AppContext) -> dict[str, str]:
    """The public page runs no script and loads only its own stylesheet (and the logo,
    wherever it is configured to live)."""
    images = "'self' data:"
    logo = ctx.settings.status_page_logo_url
    if logo and not logo.startswith("/"):
        parts = urlsplit(logo)
        images += f" {parts.scheme}://{parts.netloc}"
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'self'; img-src {images}; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
    }


def _render(ctx: AppContext, name: str, *, now: datetime, **context: Any) -> bytes:
    site = html_view.site_of(ctx.settings)
    page = templates.env.get_template(name).render(
        site=site,
        zone=site.zone,
        now=now,
        status_words=html_view.STATUS_WORDS,
        impact_words=html_view.IMPACT_WORDS,
        moment_text=html_view.moment_text,
        **context,
    )
    return page.encode()


class _Missing(Exception):
    """A builder found nothing at this address. Raised, not cached: a cached 404 per
    guessed code would let anyone fill the cache."""


def _gzipped(build: Builder) -> Builder:
    def build_gzipped(session: Session) -> tuple[bytes, str]:
        body, media_type = build(session)
        # mtime=0: the same page compresses to the same bytes, so the same ETag.
        return gzip.compress(body, compresslevel=6, mtime=0), media_type

    return build_gzipped


def _keyed(key: Hashable, *, gzipped: bool) -> Hashable:
    return (key, "gzip") if gzipped else key


async def _answer(request: Request, key: Hashable, build: Builder) -> Response:
    """The cached answer for `key`. Compressed once per build for clients that take gzip:
    ninety labelled bars per component make a large page that compresses ~20:1, and
    compressing on every request would cost more than the cache saves. Every header
    is stored in the entry, so StatusPageFastPath can send the same answer."""
    ctx: AppContext = request.app.state.ctx
    cache: PageCache = page_cache(request.app)
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {**_security_headers(ctx), "Vary": "Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        build = _gzipped(build)
    try:
        entry = await run_in_threadpool(
            cache.get, _keyed(key, gzipped=gzipped), build, headers=headers
        )
    except _Missing:
        body = await run_in_threadpool(_not_found, ctx)
        return Response(body, 404, media_type=HTML_TYPE, headers=_security_headers(ctx))
    return cache.response(entry, request)


def _not_found(ctx: AppContext) -> bytes:
    return _render(
        ctx,
        "status/not_found.html",
        now=ctx.clock.now(),
        message="There is no incident or maintenance at this address. "
        "It may have been mistyped, or it was never published.",
    )


def _clock_key(ctx: AppContext) -> tuple[str, int]:
    """The local date and hour: the page's own sense of "today" and of today's bar."""
    local = ctx.clock.now().astimezone(html_view.site_of(ctx.settings).zone)
    return (local.date().isoformat(), local.hour)


# --- /status ---------------------------------------------------------------------------


def _build_index(ctx: AppContext, session: Session) -> tuple[bytes, str]:
    now = ctx.clock.now()
    settings = ctx.settings
    days = html_view.UPTIME_DAYS if settings.status_page_show_uptime else 0
    page = public.load_page(session, settings=settings, now=now, uptime_days=days)
    history = public.load_history(session, settings=settings, now=now, days=html_view.HISTORY_DAYS)
    maintenances = public.load_maintenances(session, settings=settings, which="all")
    site = html_view.site_of(settings)
    body = _render(
        ctx,
        "status/index.html",
        now=now,
        brand_is_heading=True,
        description=f"{site.title}: {page.indicator.description}",
        banner=html_view.banner_of(page.indicator),
        updated_at=page.info.updated_at,
        unresolved=page.unresolved,
        active=page.active,
        upcoming=page.upcoming,
        groups=page.groups,
        ungrouped=page.ungrouped,
        layout=html_view.layout_of(page),
        show_uptime=days > 0,
        legend=html_view.LEGEND,
        uptime_days=days,
        history=html_view.history_of(history, maintenances, now=now, zone=site.zone),
    )
    return body, HTML_TYPE


def _index_key(ctx: AppContext) -> Hashable:
    return ("status.html", *_clock_key(ctx))


def _fast_index_key(scope: Scope) -> Hashable:
    """The key the route below stores its answer under, from the raw request: the most
    visited page is answered from the cache before routing and the thread pool."""
    accepted = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"")
    return _keyed(
        _index_key(scope["app"].state.ctx), gzipped=accepts_gzip(accepted.decode("latin-1"))
    )


@router.get("")
async def status_page(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    return await _answer(request, _index_key(ctx), lambda s: _build_index(ctx, s))


fast_path("/status", key_of=_fast_index_key)


# --- one incident, one maintenance --------------------------------------------------------


def _build_incident(ctx: AppContext, session: Session, code: str) -> tuple[bytes, str]:
    incident = public.load_incident(session, code, settings=ctx.settings)
    if incident is None:
        raise _Missing
    body = _render(
        ctx,
        "status/incident.html",
        now=ctx.clock.now(),
        description=f"{incident.name}: {incident.status}",
        incident=incident,
    )
    return body, HTML_TYPE


def _build_maintenance(ctx: AppContext, session: Session, code: str) -> tuple[bytes, str]:
    found = public.load_maintenance(session, code, settings=ctx.settings)
    if found is None:
        raise _Missing
    body = _render(
        ctx,
        "status/maintenance.html",
        now=ctx.clock.now(),
        description=f"{found.name}: {found.status}",
        maintenance=found,
    )
    return body, HTML_TYPE


@router.get("/incidents/{code}")
async def incident_page(request: Request, code: Code) -> Response:
    ctx: AppContext = request.app.state.ctx
    return await _answer(
        request, ("status.incident", code), lambda s: _build_incident(ctx, s, code)
    )


@router.get("/maintenances/{code}")
async def maintenance_page(request: Request, code: Code) -> Response:
    ctx: AppContext = request.app.state.ctx
    return await _answer(
        request, ("status.maintenance", code), lambda s: _build_maintenance(ctx, s, code)
    )


# --- feeds -------------------------------------------------------------------------------


def _build_feed(ctx: AppContext, session: Session, kind: str) -> tuple[bytes, str]:
    settings = ctx.settings
    now = ctx.clock.now()
    incidents = public.load_incidents(session, settings=settings, limit=feeds.FEED_LIMIT)
    maintenances = public.load_maintenances(
        session, settings=settings, which="all", limit=feeds.FEED_LIMIT
    )
    site = html_view.site_of(settings)
    info = feeds.FeedInfo(
        title=site.title,
        page_url=settings.status_page_url,
        self_url=f"{settings.status_page_url}/history.{kind}",
        updated=public.page_info(session, settings=settings, now=now).updated_at,
    )
    entries = feeds.entries_of(incidents, maintenances, zone=site.zone)
    if kind == "atom":
        return feeds.atom_feed(info, entries), feeds.ATOM_TYPE
    return feeds.rss_feed(info, entries), feeds.RSS_TYPE


@router.get("/history.atom")
async def atom_history(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    return await _answer(request, ("status.atom",), lambda s: _build_feed(ctx, s, "atom"))


@router.get("/history.rss")
async def rss_history(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    return await _answer(request, ("status.rss",), lambda s: _build_feed(ctx, s, "rss"))
