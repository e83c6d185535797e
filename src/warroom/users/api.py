from fastapi import APIRouter

from warroom.schemas import Handle, ListOut
from warroom.users import actions, repository
from warroom.users.schemas import TokenIn, TokenOut, UserIn, UserOut
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, who: Admin, ctx: Ctx) -> UserOut:
    with ctx.db.write() as session:
        user = actions.do_create_user(session, **body.model_dump(), now=ctx.clock.now())
        return UserOut.model_validate(user)


@router.get("/users", response_model=ListOut[UserOut])
def list_users(who: Viewer, ctx: Ctx) -> ListOut[UserOut]:
    with ctx.db.read() as session:
        users = [UserOut.model_validate(u) for u in repository.list_users(session)]
    return ListOut[UserOut](items=users, total=len(users), next=None)


@router.get("/users/{handle}", response_model=UserOut)
def get_user(handle: Handle, who: Viewer, ctx: Ctx) -> UserOut:
    with ctx.db.read() as session:
        return UserOut.model_validate(repository.get_user(session, handle))


@router.get("/me", response_model=UserOut)
def me(who: Viewer) -> UserOut:
    return UserOut.model_validate(who.user)


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
        t = issued.token
        return TokenOut(
            id=t.id,
            token=issued.secret,
            user=user.handle,
            role=t.role,
            prefix=t.prefix,
            name=t.name,
            created_at=t.created_at,
        )
