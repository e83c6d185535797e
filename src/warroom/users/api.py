from typing import Annotated

from fastapi import APIRouter, Path, Query

from warroom.errors import Forbidden
from warroom.schemas import Cursor, Handle, Limit, ListOut, list_out
from warroom.users import actions, repository
from warroom.users.actions import Principal
from warroom.users.models import User, UserRole
from warroom.users.schemas import TokenIn, TokenInfoOut, TokenOut, UserIn, UserOut
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1", tags=["users"])


def present(user: User, who: Principal) -> UserOut:
    out = UserOut.model_validate(user)
    if who.role is not UserRole.ADMIN and who.user.id != user.id:
        # Apprise URLs often carry credentials (webhook secrets, passwords).
        out.contacts = None
    return out


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
def me(who: Viewer) -> UserOut:
    return present(who.user, who)


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
