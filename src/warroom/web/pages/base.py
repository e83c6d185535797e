"""What every page shares: templates, the signed-in person, CSRF, and error pages.

Pages never answer with JSON: anything that goes wrong inside a page route (a refused
sign-in, a bad form, an action's error) becomes an HTML page or a redirect.
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from warroom import __version__
from warroom.domain.roles import ROLE_TITLES
from warroom.domain.severity import MEANING
from warroom.incidents.presentation import format_clock, format_duration
from warroom.users.actions import Principal
from warroom.users.models import UserRole
from warroom.web.auth import COOKIE, resolve_principal
from warroom.web.context import AppContext, get_context
from warroom.web.errors import REFUSALS, refusal_of, summarise

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CSRF_FIELD = "csrf"
# Keyed by the sign-in token itself, so a page can only be posted by someone who holds it.
_CSRF_LABEL = b"warroom web form v1"
# Pages carry the CSRF token and personal data: never keep them in a shared cache.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.undefined = jinja2.StrictUndefined
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


class PageExit(Exception):
    """Raised anywhere under a page route to answer with `response` instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PageRoute(APIRoute):
    """Turns what would be JSON errors into pages: a dependency's redirect to sign-in,
    a malformed path or query, and any action error nobody handled closer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except PageExit as exc:
                return exc.response
            except RequestValidationError as exc:
                errors = list(exc.errors())
                where = summarise(errors, for_people=True)
                sent_form = any(e.get("loc", ("",))[0] == "body" for e in errors)
                message = f"This {'form' if sent_form else 'address'} is not valid ({where})."
                return await run_in_threadpool(error_page, request, 400, message)
            except REFUSALS as exc:
                status, message = error_of(exc)
                return await run_in_threadpool(error_page, request, status, message)

        return handler


def error_of(exc: Exception) -> tuple[int, str]:
    """The HTTP status and a sentence for the page, for any error an action raises."""
    refusal = refusal_of(exc, for_people=True)
    return (refusal.status, refusal.message) if refusal else (400, str(exc))


# --- who is asking -------------------------------------------------------------------


def csrf_token(raw_token: str) -> str:
    return hmac.new(raw_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_ok(raw_token: str, submitted: str) -> bool:
    return hmac.compare_digest(csrf_token(raw_token).encode(), submitted.encode())


def safe_next(target: str | None, default: str = "/incidents") -> str:
    """Only local paths: a `next` pointing elsewhere would make sign-in an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\r\n\\") or len(target) > 500:
        return default
    return target


# The pages a form posts from, so a sign-in in between lands back on them.
_FORM_PAGE = re.compile(r"^/(?:incidents/\d+|services/[^/]+|alerts/\d+)")


def login_redirect(request: Request) -> RedirectResponse:
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        # After signing in again, land on the page the form was on, not its endpoint.
        found = _FORM_PAGE.match(request.url.path)
        back = found.group(0) if found else "/incidents"
    return RedirectResponse(f"/login?next={quote(safe_next(back), safe='/')}", status_code=303)


class PageUser:
    """The signed-in person on a page, with the raw token their forms are keyed by."""

    __slots__ = ("principal", "token")

    def __init__(self, principal: Principal, token: str) -> None:
        self.principal = principal
        self.token = token

    @property
    def handle(self) -> str:
        return self.principal.handle

    @property
    def can_write(self) -> bool:
        return self.principal.role.allows(UserRole.RESPONDER)

    @property
    def can_admin(self) -> bool:
        return self.principal.role.allows(UserRole.ADMIN)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.principal.user.time_zone)


def signed_in(request: Request, ctx: Annotated[AppContext, Depends(get_context)]) -> PageUser:
    raw = request.cookies.get(COOKIE)
    principal = resolve_principal(ctx, raw)
    if principal is None or raw is None:
        raise PageExit(login_redirect(request))
    return PageUser(principal, raw)


def writer(
    request: Request,
    who: Annotated[PageUser, Depends(signed_in)],
    csrf: Annotated[str, Form()] = "",
) -> PageUser:
    """A responder posting a form this server rendered for them."""
    if not csrf_ok(who.token, csrf):
        raise PageExit(
            error_page(
                request,
                403,
                "This form has expired or did not come from warroom. "
                "Reload the page and try again.",
                who=who,
            )
        )
    if not who.can_write:
        raise PageExit(
            error_page(
                request,
                403,
                f"Your role is {who.principal.role}: you can follow incidents but not "
                "change them. Ask an admin for the responder role.",
                who=who,
            )
        )
    return who


def admin_writer(request: Request, who: Annotated[PageUser, Depends(writer)]) -> PageUser:
    """An admin posting a form this server rendered for them."""
    if not who.can_admin:
        raise PageExit(
            error_page(
                request,
                403,
                f"Your role is {who.principal.role}: only admins can do this.",
                who=who,
            )
        )
    return who


SignedIn = Annotated[PageUser, Depends(signed_in)]
Writer = Annotated[PageUser, Depends(writer)]
AdminWriter = Annotated[PageUser, Depends(admin_writer)]
PageCtx = Annotated[AppContext, Depends(get_context)]


# --- rendering -----------------------------------------------------------------------


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@jinja2.pass_context
def _when(
    context: Any, at: datetime | None, fmt: str = "%Y-%m-%d %H:%M", *, zone: bool = True
) -> str:
    """A moment in the reader's own time zone, with the zone named unless told not to."""
    if at is None:
        return "—"
    return format_clock(at, zone=context.get("zone") or ZoneInfo("UTC"), fmt=fmt, named=zone)


@jinja2.pass_context
def _ago(context: Any, at: datetime | None) -> str:
    if at is None:
        return "—"
    now: datetime = context["now"]
    delta = (now - at).total_seconds()
    if abs(delta) < 30:
        return "just now"
    return f"{format_duration(delta)} ago" if delta > 0 else f"in {format_duration(delta)}"


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def _label(value: object) -> str:
    return str(value).replace("_", " ")


templates.env.filters.update(
    when=_when, ago=_ago, span=format_duration, percent=_percent, label=_label
)
templates.env.globals.update(
    version=__version__,
    role_titles={str(k): v for k, v in ROLE_TITLES.items()},
    severity_meaning={str(k): v for k, v in MEANING.items()},
)


def render(
    request: Request,
    name: str,
    *,
    who: PageUser | None,
    status_code: int = 200,
    version: str = "",
    **context: Any,
) -> Response:
    ctx: AppContext = request.app.state.ctx
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return templates.TemplateResponse(
        request,
        name,
        {
            "who": who,
            "csrf": who.csrf if who else "",
            "now": ctx.clock.now(),
            "zone": who.zone if who else ZoneInfo("UTC"),
            "refresh_seconds": ctx.settings.live_refresh_seconds,
            "data_version": version,
            **context,
        },
        status_code=status_code,
        headers=_PAGE_HEADERS,
    )


def error_page(
    request: Request, status_code: int, message: str, *, who: PageUser | None = None
) -> Response:
    if who is None:
        ctx: AppContext = request.app.state.ctx
        raw = request.cookies.get(COOKIE)
        principal = resolve_principal(ctx, raw)
        who = PageUser(principal, raw) if principal and raw else None
    titles = {403: "Not allowed", 404: "Not found", 409: "Conflict"}
    return render(
        request,
        "error.html",
        who=who,
        status_code=status_code,
        title=titles.get(status_code, "Something is not right"),
        message=message,
    )


def redirect(url: str) -> RedirectResponse:
    """POST/redirect/GET: a reload never posts the form twice."""
    return RedirectResponse(url, status_code=303)
