from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def find_token(session: Session, raw: str, *, now: datetime) -> ApiToken | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or (token.revoked_at is not None and token.revoked_at <= now):
        return None
    return token
