"""Signing in with an API token, and out again."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from warroom.web.auth import COOKIE, resolve_principal
from warroom.web.pages.base import (
    PageCtx,
    PageRoute,
    Viewer,
    csrf_ok,
    redirect,
    render,
    safe_next,
)

router = APIRouter(route_class=PageRoute)

# The cookie is the token itself; it lasts as long as the token unless revoked sooner.
COOKIE_MAX_AGE = 14 * 24 * 3600


@router.get("/")
def home() -> Response:
    return redirect("/incidents")


@router.get("/login")
def login_form(
    request: Request,
    ctx: PageCtx,
    next: Annotated[str, Query(max_length=500)] = "",
    signed_out: bool = False,
) -> Response:
    raw = request.cookies.get(COOKIE)
    if raw and resolve_principal(ctx, raw) is not None:
        return redirect(safe_next(next))
    return render(
        request,
        "login.html",
        who=None,
        next=safe_next(next),
        notice="You are signed out." if signed_out else None,
    )


@router.post("/login")
def login(
    request: Request,
    ctx: PageCtx,
    token: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    raw = token.strip()
    principal = resolve_principal(ctx, raw)
    if principal is None:
        return render(
            request,
            "login.html",
            who=None,
            status_code=401,
            next=safe_next(next),
            error="That token is not valid, or it has been revoked. "
            "Check that you pasted all of it.",
        )
    response = redirect(safe_next(next))
    response.set_cookie(
        COOKIE,
        raw,
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.base_url.startswith("https://"),
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    ctx: PageCtx,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    raw = request.cookies.get(COOKIE)
    principal = resolve_principal(ctx, raw)
    if raw and principal is not None and not csrf_ok(raw, csrf):
        # Someone else's page must not be able to sign people out either.
        return render(
            request,
            "error.html",
            who=Viewer(principal, raw),
            status_code=403,
            title="Not allowed",
            message="This form has expired. Reload the page and sign out again.",
        )
    response = redirect("/login?signed_out=1")
    response.delete_cookie(COOKIE, path="/")
    return response
