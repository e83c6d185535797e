"""Acknowledge links from pages: `/ack/<token>` works from a phone without signing in.

GET only shows what the link would do (mail and chat link scanners fetch every URL in
a message, so a GET that acknowledged would acknowledge pages nobody read); the button
POSTs to the same address, which acknowledges through `do_acknowledge` as the paged
user, exactly as the API, CLI and incident page do.

No CSRF token: CSRF abuses an ambient credential (a cookie the browser adds by itself),
and this route reads none; the session cookie is ignored. The only credential is the
signed token in the URL, which a forged cross-site form would have to contain, and
whoever holds the token may acknowledge anyway. The token is single-incident, names its
user and expires (warroom.paging.ack_links)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from warroom.domain.lifecycle import Status
from warroom.errors import NotFound
from warroom.incidents import actions, repository
from warroom.incidents.models import Incident
from warroom.paging import ack_links
from warroom.users.models import User, UserRole
from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import PageCtx, PageRoute, error_of, render

router = APIRouter(prefix="/ack", route_class=PageRoute)

Token = Annotated[str, Path(max_length=200)]


class _Refused(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _grant(ctx: AppContext, token: str, now: datetime) -> ack_links.AckGrant:
    key = ack_links.signing_key(ctx.db, ctx.settings, now=now)
    try:
        return ack_links.read_token(key, token, now=now)
    except ack_links.BadLink as exc:
        raise _Refused(410 if exc.expired else 403, exc.message) from None


def _holder(session_user: User | None) -> User:
    if session_user is None:
        raise _Refused(403, "This acknowledge link's user no longer exists.")
    if not session_user.role.allows(UserRole.RESPONDER):
        raise _Refused(
            403, f"@{session_user.handle} is a {session_user.role}: only responders acknowledge."
        )
    return session_user


def _answered(incident: Incident) -> str | None:
    """Why nothing is left to acknowledge, or None."""
    if incident.status is Status.CLOSED:
        return "is closed"
    if incident.status is Status.RESOLVED:
        return "is already resolved"
    if incident.acknowledged_now or incident.status is not Status.TRIGGERED:
        return "is already acknowledged"
    return None


def _page(request: Request, incident: Incident, handle: str, **context: Any) -> Response:
    return render(
        request,
        "ack.html",
        who=None,
        incident_id=incident.id,
        incident_title=incident.title,
        severity=str(incident.severity),
        handle=handle,
        **context,
    )


def _refusal(request: Request, exc: _Refused) -> Response:
    return render(
        request,
        "error.html",
        who=None,
        status_code=exc.status_code,
        title="This link does not work",
        message=exc.message,
    )


@router.get("/{token}")
def confirm(request: Request, ctx: PageCtx, token: Token) -> Response:
    """Shows the question and the button; changes nothing."""
    now = ctx.clock.now()
    try:
        grant = _grant(ctx, token, now)
        with ctx.db.read() as session:
            user = _holder(session.get(User, grant.user_id))
            incident = repository.get_incident(session, grant.incident_id)
            return _page(
                request,
                incident,
                user.handle,
                answered=_answered(incident),
                done=False,
                action=request.url.path,
            )
    except _Refused as exc:
        return _refusal(request, exc)


@router.post("/{token}")
def acknowledge(request: Request, ctx: PageCtx, token: Token) -> Response:
    now = ctx.clock.now()
    try:
        grant = _grant(ctx, token, now)
        with ctx.db.write() as session:
            user = _holder(session.get(User, grant.user_id))
            incident = repository.get_incident(session, grant.incident_id, for_update=True)
            answered = _answered(incident)
            if answered is None:
                incident = actions.do_acknowledge(
                    session, incident_id=incident.id, actor=user.handle, now=now
                )
            return _page(
                request,
                incident,
                user.handle,
                answered=answered,
                done=answered is None,
                action=request.url.path,
            )
    except _Refused as exc:
        return _refusal(request, exc)
    except NotFound:
        raise
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        return _refusal(request, _Refused(status_code, message))
