from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.db.pagination import Page, paginate
from warroom.errors import NotFound
from warroom.users.models import ApiToken, User
from warroom.users.security import hash_token


def find_user(session: Session, handle: str) -> User | None:
    return session.scalar(select(User).where(User.handle == handle))


def get_user(session: Session, handle: str) -> User:
    user = find_user(session, handle)
    if user is None:
        raise NotFound(f"no user with handle '{handle}'")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.handle)).all()


def page_users(session: Session, *, limit: int, cursor: str | None) -> Page[User]:
    return paginate(session, select(User), keys=[User.handle], limit=limit, cursor=cursor)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def list_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def find_token(session: Session, raw: str, *, now: datetime) -> ApiToken | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None:
        return None
    if token.revoked_at is not None and token.revoked_at <= now:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token
