from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from warroom.users.actions import Principal, authenticate, do_note_token_use
from warroom.users.models import UserRole
from warroom.users.repository import find_user
from warroom.web.context import AppContext, get_context

COOKIE = "warroom_token"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def resolve_principal(ctx: AppContext, raw: str | None) -> Principal | None:
    if not raw or len(raw) > 200:
        return None
    with ctx.db.read() as session:
        return authenticate(session, raw, now=ctx.clock.now())


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def _local_principal(ctx: AppContext, handle: str) -> Principal:
    with ctx.db.read() as session:
        user = find_user(session, handle)
    if user is None:
        raise _unauthorized(
            f"no user '{handle}' in this database: create one with "
            f"`warroom token create --user {handle} --role admin`, or act as "
            "another user with --as HANDLE (or WARROOM_USER)"
        )
    return Principal(user=user, role=user.role)


def require(role: UserRole) -> Callable[..., Principal]:
    """A dependency: the caller's principal, refused unless their role reaches `role`."""

    def dependency(request: Request, ctx: Annotated[AppContext, Depends(get_context)]) -> Principal:
        raw = bearer_token(request)
        if raw is None and ctx.acting_as is not None:
            principal = _local_principal(ctx, ctx.acting_as)
        elif raw is None:
            raise _unauthorized("missing token: send 'Authorization: Bearer <token>'")
        else:
            found = resolve_principal(ctx, raw)
            if found is None:
                raise _unauthorized("invalid or revoked token")
            principal = found
            now = ctx.clock.now()
            if principal.token_use_is_stale(now) and principal.token_id is not None:
                with ctx.db.write() as session:
                    do_note_token_use(session, token_id=principal.token_id, now=now)
        if not principal.role.allows(role):
            raise HTTPException(
                403, f"this needs the {role} role; {principal.handle} has {principal.role}"
            )
        return principal

    return dependency


Viewer = Annotated[Principal, Depends(require(UserRole.VIEWER))]
Responder = Annotated[Principal, Depends(require(UserRole.RESPONDER))]
Admin = Annotated[Principal, Depends(require(UserRole.ADMIN))]
Ctx = Annotated[AppContext, Depends(get_context)]
