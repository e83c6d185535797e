"""A person's profile page, `/users/<handle>`: how they are paged (contact methods with
their verification and last failure, notification rules, waking hours), with forms
for the person themself and admins; and `/verify/<token>`, the confirmation link of a
test page.

The verify link, like the acknowledge link (warroom.web.pages.ack), needs no sign-in and
no CSRF token: GET only shows a button (link scanners fetch every URL), POST verifies,
and the only credential is the signed, expiring token in the URL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain.notification import contact_kind
from warroom.errors import Forbidden, Invalid
from warroom.notify.base import redact
from warroom.paging import ack_links, notices
from warroom.users import contact_actions, contacts, repository, verify_links
from warroom.users.models import User
from warroom.users.schemas import ContactMethodOut
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, Writer, redirect, render
from warroom.web.pages.forms import ItemId, Ok, Short, submit

router = APIRouter(route_class=PageRoute)

HandleRef = Annotated[str, Path(min_length=1, max_length=64)]
MethodId = ItemId
Token = Annotated[str, Path(max_length=200)]

NOTICES: Mapping[str, str] = {
    "added": "Contact method added.",
    "removed": "Contact method removed.",
    "test": "Test page on its way: follow the link in it to verify this contact method.",
    "rules": "Notification rules saved.",
    "hours": "Profile saved.",
}


def _private(user: User, who: PageUser) -> bool:
    return who.can_admin or who.principal.user.id == user.id


def profile_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    handle: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.read() as session:
        user = repository.get_user(session, handle)
        private = _private(user, who)
        methods = [
            ContactMethodOut.of(m, private=private)
            for m in contacts.contact_methods_of(session, user.id)
        ]
        rules = [
            {
                "method": r.contact_method_id,
                "delay": r.delay_minutes,
                "kind": str(contact_kind(r.contact_method.url)),
                "target": redact(r.contact_method.url),
            }
            for r in contacts.rules_of(session, user.id)
        ]
        person = {
            "handle": user.handle,
            "name": user.name,
            "time_zone": user.time_zone,
            "role": str(user.role),
            "waking_start": user.waking_hours_start or "",
            "waking_end": user.waking_hours_end or "",
        }
    return render(
        request,
        "user.html",
        who=who,
        status_code=status_code,
        person=person,
        methods=methods,
        rules=rules,
        can_change=private and who.can_write,
        notice=notice,
        error=error,
    )


@router.get("/users/{handle}")
def user_page(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    handle: HandleRef,
    ok: Ok = "",
) -> Response:
    return profile_page(request, ctx, who, handle, notice=NOTICES.get(ok))


@router.get("/profile")
def my_profile(who: SignedIn) -> Response:
    return redirect(f"/users/{who.handle}")


Change = Callable[[Session, User], object]


def _act(
    request: Request, ctx: AppContext, who: PageUser, handle: str, change: Change, *, done: str
) -> Response:
    def write(session: Session) -> str:
        user = repository.get_user(session, handle)
        if not _private(user, who):
            raise Forbidden(f"only @{user.handle} or an admin can change how they are paged")
        change(session, user)
        return f"/users/{handle}?ok={done}"

    return submit(ctx, write, partial(profile_page, request, ctx, who, handle))


@router.post("/users/{handle}/contact-methods")
def add_method(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    handle: HandleRef,
    url: Annotated[str, Form(max_length=2000)],
    label: Short = "",
    delay_minutes: Short = "0",
) -> Response:
    def change(session: Session, user: User) -> None:
        delay = _minutes(delay_minutes) if delay_minutes.strip() else None
        contact_actions.do_add_contact_method(
            session,
            user=user,
            url=url,
            label=label.strip(),
            delay_minutes=delay,
            now=ctx.clock.now(),
        )

    return _act(request, ctx, who, handle, change, done="added")


@router.post("/users/{handle}/contact-methods/{method_id}/delete")
def remove_method(
    request: Request, ctx: PageCtx, who: Writer, handle: HandleRef, method_id: MethodId
) -> Response:
    def change(session: Session, user: User) -> None:
        contact_actions.do_delete_contact_method(session, user=user, method_id=method_id)

    return _act(request, ctx, who, handle, change, done="removed")


@router.post("/users/{handle}/contact-methods/{method_id}/test")
def test_method(
    request: Request, ctx: PageCtx, who: Writer, handle: HandleRef, method_id: MethodId
) -> Response:
    now = ctx.clock.now()
    key = ack_links.signing_key(ctx.db, ctx.settings, now=now)

    def change(session: Session, user: User) -> None:
        method = contacts.get_contact_method(session, user, method_id)
        notices.send_test_page(
            session, user=user, method=method, key=key, base_url=ctx.settings.base_url, now=now
        )

    return _act(request, ctx, who, handle, change, done="test")


def _minutes(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise Invalid(f"'{text}' is not a number of minutes") from None


@router.post("/users/{handle}/notification-rules")
def set_rules(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    handle: HandleRef,
    rule_method: Annotated[list[str], Form(max_length=60)],
    rule_delay: Annotated[list[str], Form(max_length=60)],
) -> Response:
    """One row per rule; a row with no method chosen is dropped."""

    def change(session: Session, user: User) -> None:
        wanted = []
        for method, delay in zip(rule_method, rule_delay, strict=False):
            if not method.strip():
                continue
            if not method.strip().isdigit():
                raise Invalid(f"'{method}' is not a contact method")
            wanted.append(
                contact_actions.RuleIn(int(method), _minutes(delay) if delay.strip() else 0.0)
            )
        contact_actions.do_set_notification_rules(session, user=user, wanted=wanted)

    return _act(request, ctx, who, handle, change, done="rules")


@router.post("/users/{handle}/profile")
def set_profile(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    handle: HandleRef,
    time_zone: Annotated[str, Form(max_length=64)],
    waking_start: Annotated[str, Form(max_length=5)] = "",
    waking_end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    def change(session: Session, user: User) -> None:
        start, end = waking_start.strip(), waking_end.strip()
        if bool(start) != bool(end):
            raise Invalid("waking hours need both a start and an end (or neither)")
        contact_actions.do_update_user(
            session,
            user=user,
            time_zone=time_zone.strip(),
            waking_hours=(start, end) if start else None,
        )

    return _act(request, ctx, who, handle, change, done="hours")


# --- the confirmation link of a test page ----------------------------------------------


def _verify_page(
    request: Request,
    *,
    status_code: int = 200,
    done: bool,
    problem: str | None,
    action: str = "",
    target: str = "",
) -> Response:
    return render(
        request,
        "verify.html",
        who=None,
        status_code=status_code,
        done=done,
        problem=problem,
        action=action,
        target=target,
    )


@router.get("/verify/{token}")
def verify_confirm(request: Request, ctx: PageCtx, token: Token) -> Response:
    now = ctx.clock.now()
    key = ack_links.signing_key(ctx.db, ctx.settings, now=now)
    try:
        verify_links.read_token(key, token, now=now)
    except verify_links.BadLink as exc:
        return _verify_page(request, status_code=403, done=False, problem=exc.message)
    return _verify_page(request, done=False, problem=None, action=request.url.path)


@router.post("/verify/{token}")
def verify(request: Request, ctx: PageCtx, token: Token) -> Response:
    now = ctx.clock.now()
    key = ack_links.signing_key(ctx.db, ctx.settings, now=now)
    try:
        grant = verify_links.read_token(key, token, now=now)
    except verify_links.BadLink as exc:
        return _verify_page(request, status_code=403, done=False, problem=exc.message)
    with ctx.db.write() as session:
        method = contact_actions.do_verify_contact_method(
            session, method_id=grant.method_id, digest=grant.url_digest, now=now
        )
        target = redact(method.url) if method is not None else ""
    if method is None:
        return _verify_page(
            request,
            status_code=410,
            done=False,
            problem="This contact method was removed or its address changed since the test "
            "page was sent: send a new test page from your profile.",
        )
    return _verify_page(request, done=True, problem=None, target=target)
