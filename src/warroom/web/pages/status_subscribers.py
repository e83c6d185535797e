"""Subscribing to the status page, and the admin page for subscribers and audiences.

Public, no token: `/status/subscribe` (a form; also takes JSON `{email}`), the confirm link
`/status/subscribe/confirm/<secret>` and the unsubscribe link `/status/unsubscribe/<token>`.
A GET on either link only shows a button; the POST does it (mail scanners fetch every link
in a mail, so a GET that confirmed would confirm addresses nobody vouched for). The
unsubscribe POST is also RFC 8058's one-click unsubscribe that mail clients send.

No CSRF token on these: they read no ambient credential (no cookie), and the only one is
the secret in the URL, which a forged cross-site form would have to contain.

Admin only: `/statuspage/subscribers` lists subscribers and audiences, adds and removes
them (the same actions as /api/v1/subscribers and /api/v1/audiences)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from warroom.domain.severity import Severity
from warroom.domain.subscribers import mask_email
from warroom.errors import Invalid, NotFound
from warroom.paging.ack_links import signing_key
from warroom.services.repository import list_services
from warroom.statuspage import subscriptions
from warroom.statuspage.audience_api import audience_out
from warroom.statuspage.html_view import site_of
from warroom.statuspage.subscriber_schemas import SubscribeIn, SubscriberOut
from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import (
    AdminWriter,
    PageCtx,
    PageRoute,
    SignedIn,
    error_of,
    error_page,
    redirect,
    render,
    templates,
)
from warroom.web.pages.forms import ItemId, Ok

router = APIRouter(include_in_schema=False)
admin = APIRouter(prefix="/statuspage", route_class=PageRoute)

# The public form's body is one address: anything bigger is not a subscription.
MAX_SUBSCRIBE_BYTES = 4096
# Subscribe requests per client address per minute, and for everyone together (the form
# sends mail to whatever address it is given; this bounds how much).
PER_CLIENT_PER_MINUTE = 5
ALL_PER_MINUTE = 120

Token = Annotated[str, Path(min_length=1, max_length=200)]

PENDING = (
    "Thanks. If that address can subscribe, a confirmation link is on its way to it: "
    "follow it to start receiving updates."
)
MAIL_OFF = (
    "Email subscriptions are not available on this status page "
    "(its administrator has not configured a mail server: WARROOM_STATUS_PAGE_MAIL_URL)."
)

_PUBLIC_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the URL holds the link's secret
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class SubscribeLimiter:
    """At most `per_client` requests per client address and `overall` in all in any
    sliding minute, in this process."""

    def __init__(self, *, per_client: int, overall: int) -> None:
        self.per_client = per_client
        self.overall = overall
        self._seen: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self, client: str) -> float | None:
        """None if allowed (and counted), else seconds until there is room."""
        now = time.monotonic()
        with self._lock:
            for window in (self._all, *self._seen.values()):
                while window and window[0] <= now - 60:
                    window.popleft()
            self._seen = {k: v for k, v in self._seen.items() if v}
            mine = self._seen.setdefault(client, deque())
            for window, limit in ((mine, self.per_client), (self._all, self.overall)):
                if len(window) >= limit:
                    return max(1.0, window[0] + 60 - now)
            mine.append(now)
            self._all.append(now)
            return None


def _limiter(request: Request) -> SubscribeLimiter:
    state = request.app.state
    found: SubscribeLimiter | None = getattr(state, "subscribe_limiter", None)
    if found is None:
        found = state.subscribe_limiter = SubscribeLimiter(
            per_client=PER_CLIENT_PER_MINUTE, overall=ALL_PER_MINUTE
        )
    return found


def _page(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    ctx: AppContext = request.app.state.ctx
    return templates.TemplateResponse(
        request,
        name,
        {"site": site_of(ctx.settings), "error": None, "notice": None, **context},
        status_code=status_code,
        headers=_PUBLIC_HEADERS,
    )


# --- subscribe -----------------------------------------------------------------------


@router.get("/status/subscribe")
def subscribe_form(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    return _page(
        request, "status/subscribe.html", enabled=bool(ctx.settings.status_page_mail_url), email=""
    )


@router.post("/status/subscribe", response_model=None)
async def subscribe(request: Request) -> Response:
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    ctx: AppContext = request.app.state.ctx

    def answer(status_code: int, message: str, email: str = "", **headers: str) -> Response:
        if wants_json:
            body = {"status": "pending", "message": message} if status_code < 400 else None
            return JSONResponse(
                body or {"detail": message}, status_code=status_code, headers=headers
            )
        return _page(
            request,
            "status/subscribe.html",
            status_code=status_code,
            enabled=bool(ctx.settings.status_page_mail_url),
            email=email if status_code >= 400 else "",
            error=message if status_code >= 400 else None,
            notice=message if status_code < 400 else None,
        )

    if not ctx.settings.status_page_mail_url:
        return answer(403, MAIL_OFF)
    client = request.client.host if request.client else "unknown"
    wait = _limiter(request).allow(client)
    if wait is not None:
        return answer(
            429,
            f"Too many subscription requests: try again in {int(wait)} seconds.",
            **{"Retry-After": str(int(wait))},
        )
    raw = await request.body()
    if len(raw) > MAX_SUBSCRIBE_BYTES:
        return answer(413, "That request is too large: send one email address.")
    try:
        if wants_json:
            email = SubscribeIn.model_validate(json.loads(raw)).email
        else:
            values = parse_qs(raw.decode("utf-8"), max_num_fields=5).get("email", [""])
            email = SubscribeIn(email=values[0]).email
    except (ValueError, ValidationError, UnicodeDecodeError, RecursionError):
        return answer(422, "Give one email address, e.g. name@example.com.")

    def write() -> None:
        with ctx.db.write() as session:
            subscriptions.do_subscribe_email(session, address=email, now=ctx.clock.now())

    try:
        await run_in_threadpool(write)
    except Invalid as exc:
        return answer(422, exc.message, email)
    except IntegrityError:
        pass  # the same address subscribed at the same moment: that request sent the mail
    return answer(202 if wants_json else 200, PENDING)


@router.get("/status/subscribe/confirm/{secret}")
def confirm_form(request: Request, secret: Token) -> Response:
    ctx: AppContext = request.app.state.ctx
    with ctx.db.read() as session:
        subscriber = subscriptions.subscriber_by_confirm_secret(session, secret)
        if subscriber is None or subscriptions.confirm_expired(subscriber, now=ctx.clock.now()):
            return _bad_link(request, "This confirmation link is not valid any more")
        return _page(
            request,
            "status/subscribe_confirm.html",
            address=subscriber.address,
            done=subscriber.confirmed_at is not None,
            action=request.url.path,
        )


@router.post("/status/subscribe/confirm/{secret}")
def confirm(request: Request, secret: Token) -> Response:
    ctx: AppContext = request.app.state.ctx
    try:
        with ctx.db.write() as session:
            subscriber = subscriptions.do_confirm_subscriber(
                session, secret=secret, now=ctx.clock.now()
            )
            address = subscriber.address
    except (NotFound, Invalid):
        return _bad_link(request, "This confirmation link is not valid any more")
    return _page(request, "status/subscribe_confirm.html", address=address, done=True, action="")


def _bad_link(request: Request, title: str) -> Response:
    return _page(
        request,
        "status/subscribe.html",
        status_code=404,
        enabled=True,
        email="",
        error=f"{title} (a newer one may have been sent, or it expired after 7 days). "
        "Subscribe again below to get a new one.",
    )


# --- unsubscribe ---------------------------------------------------------------------


@router.get("/status/unsubscribe/{token}")
def unsubscribe_form(request: Request, token: Token) -> Response:
    ctx: AppContext = request.app.state.ctx
    key = signing_key(ctx.db, ctx.settings, now=ctx.clock.now())
    with ctx.db.read() as session:
        subscriber = subscriptions.subscriber_by_unsubscribe_token(session, key, token)
        shown = _shown(subscriber.kind, subscriber.address) if subscriber else None
    return _page(
        request,
        "status/subscribe_unsubscribe.html",
        status_code=200 if shown else 404,
        address=shown,
        done=False,
        action=request.url.path,
    )


@router.post("/status/unsubscribe/{token}")
def unsubscribe(request: Request, token: Token) -> Response:
    """Also what a mail client's one-click unsubscribe posts (body
    `List-Unsubscribe=One-Click`): 200 whether or not the subscription was still there,
    since either way it is gone now."""
    ctx: AppContext = request.app.state.ctx
    key = signing_key(ctx.db, ctx.settings, now=ctx.clock.now())
    with ctx.db.write() as session:
        subscriber = subscriptions.subscriber_by_unsubscribe_token(session, key, token)
        shown = _shown(subscriber.kind, subscriber.address) if subscriber else None
        if subscriber is not None:
            subscriptions.do_unsubscribe(session, subscriber=subscriber)
    return _page(request, "status/subscribe_unsubscribe.html", address=shown, done=True, action="")


def _shown(kind: str, address: str) -> str:
    # The link may be forwarded: show enough to recognise the address, not all of it.
    return mask_email(address) if kind == subscriptions.EMAIL else "this webhook"


# --- the admin page ------------------------------------------------------------------


def _admin_page(
    request: Request,
    ctx: AppContext,
    who: Any,
    *,
    ok: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    if not who.can_admin:
        return error_page(
            request,
            403,
            f"Your role is {who.principal.role}: only admins see subscribers.",
            who=who,
        )
    with ctx.db.read() as session:
        subscribers = [
            SubscriberOut.of(s) for s in subscriptions.list_subscribers(session, limit=500)
        ]
        counts = subscriptions.count_subscribers(session)
        audiences = [audience_out(session, a) for a in subscriptions.list_audiences(session)]
        services = [s.name for s in list_services(session)]
    return render(
        request,
        "status_subscribers.html",
        who=who,
        status_code=status_code,
        subscribers=subscribers,
        counts=counts,
        audiences=audiences,
        services=services,
        severities=[str(s) for s in Severity],
        mail_enabled=bool(ctx.settings.status_page_mail_url),
        notice=ok,
        error=error,
        form=form or {},
    )


NOTICES = {
    "subscriber-added": "Subscriber added.",
    "subscriber-removed": "Subscriber removed.",
    "audience-added": "Audience added.",
    "audience-removed": "Audience removed.",
}


@admin.get("/subscribers")
def subscribers_page(
    request: Request, ctx: PageCtx, who: SignedIn, ok: Ok | None = None
) -> Response:
    return _admin_page(request, ctx, who, ok=NOTICES.get(ok or ""))


def _admin_write(
    request: Request, ctx: AppContext, who: Any, change: Any, done: str, form: dict[str, str]
) -> Response:
    try:
        with ctx.db.write() as session:
            change(session)
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        return _admin_page(request, ctx, who, error=message, status_code=status_code, form=form)
    return redirect(f"/statuspage/subscribers?ok={done}")


@admin.post("/subscribers")
def add_subscriber(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    kind: Annotated[str, Form(max_length=16)],
    address: Annotated[str, Form(max_length=2000)],
) -> Response:
    form = {"kind": kind, "address": address}
    if kind == subscriptions.EMAIL and not ctx.settings.status_page_mail_url:
        return _admin_page(
            request,
            ctx,
            who,
            error="Email subscribers need WARROOM_STATUS_PAGE_MAIL_URL (a mail server).",
            status_code=422,
            form=form,
        )
    return _admin_write(
        request,
        ctx,
        who,
        lambda s: subscriptions.do_add_subscriber(
            s, kind=kind, address=address, now=ctx.clock.now()
        ),
        "subscriber-added",
        form,
    )


@admin.post("/subscribers/{subscriber_id}/delete")
def delete_subscriber(
    request: Request, ctx: PageCtx, who: AdminWriter, subscriber_id: ItemId
) -> Response:
    return _admin_write(
        request,
        ctx,
        who,
        lambda s: subscriptions.do_delete_subscriber(s, subscriber_id=subscriber_id),
        "subscriber-removed",
        {},
    )


@admin.post("/audiences")
def add_audience(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    name: Annotated[str, Form(max_length=100)],
    url: Annotated[str, Form(max_length=2000)],
    service: Annotated[str, Form(max_length=100)] = "",
    severities: Annotated[list[str] | None, Form(max_length=4)] = None,
) -> Response:
    form = {"name": name, "service": service}
    return _admin_write(
        request,
        ctx,
        who,
        lambda s: subscriptions.do_add_audience(
            s,
            name=name,
            url=url,
            service=service or None,
            severities=severities or [],
            now=ctx.clock.now(),
        ),
        "audience-added",
        form,
    )


@admin.post("/audiences/{audience_id}/delete")
def delete_audience(
    request: Request, ctx: PageCtx, who: AdminWriter, audience_id: ItemId
) -> Response:
    return _admin_write(
        request,
        ctx,
        who,
        lambda s: subscriptions.do_delete_audience(s, ref=str(audience_id)),
        "audience-removed",
        {},
    )


router.include_router(admin)
