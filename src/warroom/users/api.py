from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlalchemy.orm import Session

from warroom.domain import notification
from warroom.errors import Forbidden
from warroom.notify.base import redact
from warroom.paging import ack_links, notices
from warroom.schemas import Cursor, Handle, Limit, ListOut, list_out
from warroom.users import actions, contact_actions, contacts, repository
from warroom.users.actions import Principal
from warroom.users.models import User, UserRole
from warroom.users.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    ContactMethodPatch,
    RuleIn,
    RuleOut,
    RulesOut,
    TokenIn,
    TokenInfoOut,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1", tags=["users"])


MethodId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def is_private_to(user: User, who: Principal) -> bool:
    """May `who` see `user`'s contact URLs? Apprise URLs often carry credentials (webhook
    secrets, passwords): only the user and admins."""
    return who.role is UserRole.ADMIN or who.user.id == user.id


def present(user: User, who: Principal) -> UserOut:
    return UserOut.of(user, private=is_private_to(user, who))


def _changeable(session: Session, handle: str, who: Principal) -> User:
    """The user `handle` names (NotFound if none), if `who` may change how they are paged."""
    user = repository.get_user(session, handle)
    _check_owner(user.handle, who)
    return user


def _check_owner(handle: str, who: Principal) -> None:
    if who.role is UserRole.ADMIN:
        return
    if who.user.handle != handle:
        raise Forbidden(f"only @{handle} or an admin can change how @{handle} is paged")
    if not who.role.allows(UserRole.RESPONDER):
        # A viewer (or a viewer token of a responder): reading is all it may do.
        raise Forbidden(f"a {who.role} cannot change how they are paged")


def owner_or_admin(handle: Handle, who: Viewer) -> Principal:
    """Checked before the body is read, so a stranger learns nothing from validation."""
    _check_owner(handle, who)
    return who


Owner = Annotated[Principal, Depends(owner_or_admin)]


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, who: Admin, ctx: Ctx) -> UserOut:
    with ctx.db.write() as session:
        user = actions.do_create_user(session, **body.model_dump(), now=ctx.clock.now())
        return present(user, who)


@router.get("/users", response_model=ListOut[UserOut])
def list_users(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[UserOut]:
    with ctx.db.read() as session:
        page = repository.page_users(session, limit=limit, cursor=cursor)
        return list_out(page, lambda u: present(u, who))


@router.get("/users/{handle}", response_model=UserOut)
def get_user(handle: Handle, who: Viewer, ctx: Ctx) -> UserOut:
    with ctx.db.read() as session:
        return present(repository.get_user(session, handle), who)


@router.get("/me", response_model=UserOut)
def me(who: Viewer, ctx: Ctx) -> UserOut:
    with ctx.db.read() as session:
        # The principal's user row is detached; its contact methods are loaded here.
        return present(repository.get_user(session, who.handle), who)


@router.post("/tokens", status_code=201, response_model=TokenOut)
def create_token(body: TokenIn, who: Viewer, ctx: Ctx) -> TokenOut:
    with ctx.db.write() as session:
        user = repository.get_user(session, body.user or who.handle)
        issued = actions.do_create_token(
            session,
            user=user,
            role=body.role,
            name=body.name,
            now=ctx.clock.now(),
            issued_by=who,
        )
        return TokenOut(**TokenInfoOut.of(issued.token).model_dump(), token=issued.secret)


@router.get("/tokens", response_model=ListOut[TokenInfoOut])
def list_tokens(
    who: Viewer, ctx: Ctx, user: Annotated[Handle | None, Query()] = None
) -> ListOut[TokenInfoOut]:
    """Your own tokens; an admin may name another user. Secrets are never shown again."""
    with ctx.db.read() as session:
        owner = repository.get_user(session, user) if user else who.user
        if owner.id != who.user.id and who.role is not UserRole.ADMIN:
            raise Forbidden("only an admin can list another user's tokens")
        items = [TokenInfoOut.of(t) for t in repository.list_tokens(session, owner.id)]
    return ListOut[TokenInfoOut](items=items, total=len(items), next=None)


@router.delete("/tokens/{token_id}", response_model=TokenInfoOut)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: Viewer, ctx: Ctx
) -> TokenInfoOut:
    """Revoke one of your tokens (an admin: anyone's). It stops working at once."""
    with ctx.db.write() as session:
        token = actions.do_revoke_token(
            session, token_id=token_id, now=ctx.clock.now(), revoked_by=who
        )
        return TokenInfoOut.of(token)


@router.patch("/users/{handle}", response_model=UserOut)
def update_user(handle: Handle, body: UserPatch, who: Owner, ctx: Ctx) -> UserOut:
    """Name, time zone and waking hours (`{"start": "08:00", "end": "22:00"}` in the
    user's zone, or null: SEV-3/SEV-4 pages then go out at any hour)."""
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        waking: tuple[str, str] | Literal["keep"] | None = "keep"
        if "waking_hours" in body.model_fields_set:
            hours = body.waking_hours
            waking = (hours.start, hours.end) if hours is not None else None
        contact_actions.do_update_user(
            session,
            user=user,
            name=body.name,
            time_zone=body.time_zone,
            waking_hours=waking,
        )
        return present(user, who)


@router.get("/users/{handle}/contact-methods", response_model=ListOut[ContactMethodOut])
def list_contact_methods(handle: Handle, who: Viewer, ctx: Ctx) -> ListOut[ContactMethodOut]:
    """Everyone signed in sees kinds, redacted URLs and verification; the URLs themselves
    only the user and admins."""
    with ctx.db.read() as session:
        user = repository.get_user(session, handle)
        private = is_private_to(user, who)
        items = [
            ContactMethodOut.of(m, private=private)
            for m in contacts.contact_methods_of(session, user.id)
        ]
    return ListOut[ContactMethodOut](items=items, total=len(items), next=None)


@router.post("/users/{handle}/contact-methods", status_code=201, response_model=ContactMethodOut)
def add_contact_method(
    handle: Handle, body: ContactMethodIn, who: Owner, ctx: Ctx
) -> ContactMethodOut:
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        method = contact_actions.do_add_contact_method(
            session,
            user=user,
            url=body.url,
            label=body.label,
            throttle_per_minute=body.throttle_per_minute,
            delay_minutes=body.delay_minutes,
            now=ctx.clock.now(),
        )
        return ContactMethodOut.of(method, private=True)


@router.patch("/users/{handle}/contact-methods/{method_id}", response_model=ContactMethodOut)
def update_contact_method(
    handle: Handle, method_id: MethodId, body: ContactMethodPatch, who: Owner, ctx: Ctx
) -> ContactMethodOut:
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        method = contact_actions.do_update_contact_method(
            session,
            user=user,
            method_id=method_id,
            url=body.url,
            label=body.label,
            throttle_per_minute=body.throttle_per_minute,
        )
        return ContactMethodOut.of(method, private=True)


@router.delete("/users/{handle}/contact-methods/{method_id}", status_code=204)
def delete_contact_method(handle: Handle, method_id: MethodId, who: Owner, ctx: Ctx) -> None:
    """The method and its notification rules go; pages already sent keep their history."""
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        contact_actions.do_delete_contact_method(session, user=user, method_id=method_id)


@router.post(
    "/users/{handle}/contact-methods/{method_id}/test",
    status_code=202,
    response_model=ContactMethodOut,
)
def test_contact_method(
    handle: Handle, method_id: MethodId, who: Owner, ctx: Ctx
) -> ContactMethodOut:
    """Send a test page to this one method; its link, followed, verifies the method."""
    now = ctx.clock.now()
    key = ack_links.signing_key(ctx.db, ctx.settings, now=now)
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        method = contacts.get_contact_method(session, user, method_id)
        notices.send_test_page(
            session, user=user, method=method, key=key, base_url=ctx.settings.base_url, now=now
        )
        return ContactMethodOut.of(method, private=True)


def _rules_out(session: Session, user: User) -> RulesOut:
    stored = contacts.rules_of(session, user.id)
    items = [
        RuleOut(
            contact_method=rule.contact_method_id,
            kind=str(notification.contact_kind(rule.contact_method.url)),
            redacted_url=redact(rule.contact_method.url),
            delay_minutes=rule.delay_minutes,
        )
        for rule in stored
    ]
    return RulesOut(items=items, all_methods_at_once=not stored)


@router.get("/users/{handle}/notification-rules", response_model=RulesOut)
def get_notification_rules(handle: Handle, who: Viewer, ctx: Ctx) -> RulesOut:
    with ctx.db.read() as session:
        return _rules_out(session, repository.get_user(session, handle))


@router.put("/users/{handle}/notification-rules", response_model=RulesOut)
def set_notification_rules(
    handle: Handle,
    body: Annotated[list[RuleIn], Body(max_length=contact_actions.MAX_RULES)],
    who: Owner,
    ctx: Ctx,
) -> RulesOut:
    """Replace the rules: `[{"contact_method": id, "delay_minutes": 0}, …]`. An empty list
    pages every method at once."""
    with ctx.db.write() as session:
        user = _changeable(session, handle, who)
        contact_actions.do_set_notification_rules(
            session,
            user=user,
            wanted=[contact_actions.RuleIn(r.contact_method, r.delay_minutes) for r in body],
        )
        return _rules_out(session, user)
