"""Signing in with an API token, and out again."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from warroom.users.actions import do_create_token, do_revoke_token
from warroom.users.repository import get_user
from warroom.web.auth import COOKIE, resolve_principal
from warroom.web.pages.base import (
    PageCtx,
    PageRoute,
    PageUser,
    csrf_ok,
    redirect,
    render,
    safe_next,
)

router = APIRouter(route_class=PageRoute)

# Signing in trades the pasted token for a token of the browser's own, with the same
# role, that expires and that signing out revokes: the pasted token never sits in a
# cookie, and a lost laptop's session can be revoked without breaking anyone's scripts.
SESSION_LIFETIME = timedelta(days=14)


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
    if request.headers.get("sec-fetch-site") == "cross-site":
        # Another site's form must not sign a person in as someone else.
        return render(
            request,
            "login.html",
            who=None,
            status_code=403,
            next="/incidents",
            error="Sign in from warroom's own sign-in page.",
        )
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
    now = ctx.clock.now()
    with ctx.db.write() as session:
        issued = do_create_token(
            session,
            user=get_user(session, principal.handle),
            role=principal.role,
            name="web sign-in",
            now=now,
            issued_by=principal,
            lifetime=SESSION_LIFETIME,
        )
    response = redirect(safe_next(next))
    response.set_cookie(
        COOKIE,
        issued.secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
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
            who=PageUser(principal, raw),
            status_code=403,
            title="Not allowed",
            message="This form has expired. Reload the page and sign out again.",
        )
    if principal is not None and principal.token_id is not None:
        with ctx.db.write() as session:
            do_revoke_token(
                session,
                token_id=principal.token_id,
                now=ctx.clock.now(),
                revoked_by=principal,
                only_if_expiring=True,
            )
    response = redirect("/login?signed_out=1")
    response.delete_cookie(COOKIE, path="/")
    return response
