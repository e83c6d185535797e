from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.errors import Conflict, Forbidden
from warroom.users import repository
from warroom.users.models import ApiToken, User, UserRole
from warroom.users.security import hash_token, new_token


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and with what authority (the lower of user and token role)."""

    user: User
    role: UserRole

    @property
    def handle(self) -> str:
        return self.user.handle


def do_create_user(
    session: Session,
    *,
    handle: str,
    name: str,
    email: str | None = None,
    time_zone: str = "UTC",
    role: UserRole = UserRole.RESPONDER,
    contacts: list[str] | None = None,
    now: datetime,
) -> User:
    if repository.find_user(session, handle) is not None:
        raise Conflict(f"a user with handle '{handle}' already exists")
    user = User(
        handle=handle,
        name=name,
        email=email,
        time_zone=time_zone,
        role=role,
        contacts=contacts or [],
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str


def do_create_token(
    session: Session,
    *,
    user: User,
    role: UserRole | None = None,
    name: str = "",
    now: datetime,
    issued_by: Principal | None = None,
) -> IssuedToken:
    if issued_by is not None:
        if issued_by.user.id != user.id and issued_by.role is not UserRole.ADMIN:
            raise Forbidden("only an admin can create tokens for another user")
        if role is not None and not issued_by.role.allows(role):
            raise Forbidden(f"a {issued_by.role} cannot create a token with role {role}")
    effective = role or user.role
    if not user.role.allows(effective):
        raise Conflict(
            f"user '{user.handle}' has role {user.role}; a token cannot grant {effective}"
        )
    secret = new_token()
    token = ApiToken(
        user=user,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        name=name,
        role=effective,
        created_at=now,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def do_bootstrap_admin(session: Session, *, now: datetime) -> IssuedToken | None:
    """On a database with no users, create `admin` and return its first token."""
    if repository.count_users(session) > 0:
        return None
    admin = do_create_user(
        session, handle="admin", name="Administrator", role=UserRole.ADMIN, now=now
    )
    return do_create_token(session, user=admin, name="bootstrap", now=now)


def authenticate(session: Session, raw: str, *, now: datetime) -> Principal | None:
    token = repository.find_token(session, raw, now=now)
    if token is None:
        return None
    role = token.role if token.user.role.allows(token.role) else token.user.role
    return Principal(user=token.user, role=role)
