from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.errors import Conflict, Forbidden, NotFound
from warroom.users import repository
from warroom.users.contact_actions import do_add_contact_method
from warroom.users.models import DEFAULT_THROTTLE_PER_MINUTE, ApiToken, User, UserRole
from warroom.users.security import hash_token, new_token

# How stale `last_used_at` may get: recording every use would turn each read into a write.
LAST_USED_PRECISION = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and with what authority (the lower of user and token role)."""

    user: User
    role: UserRole
    # The token that authenticated this caller, if any (the CLI's local mode has none).
    token_id: int | None = None
    token_last_used_at: datetime | None = None

    def token_use_is_stale(self, now: datetime) -> bool:
        return self.token_id is not None and (
            self.token_last_used_at is None or now - self.token_last_used_at >= LAST_USED_PRECISION
        )

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
    throttle_per_minute: int = DEFAULT_THROTTLE_PER_MINUTE,
) -> User:
    if repository.find_user(session, handle) is not None:
        raise Conflict(f"a user with handle '{handle}' already exists")
    user = User(
        handle=handle,
        name=name,
        email=email,
        time_zone=time_zone,
        role=role,
        created_at=now,
    )
    session.add(user)
    session.flush()
    # Each contact is a method paged at once: what a bare list of URLs has always meant.
    for url in dict.fromkeys(c.strip() for c in contacts or [] if c.strip()):
        do_add_contact_method(
            session,
            user=user,
            url=url,
            now=now,
            delay_minutes=0.0,
            throttle_per_minute=throttle_per_minute,
        )
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
    lifetime: timedelta | None = None,
) -> IssuedToken:
    # Without a role the token gets the issuer's authority (a narrowed token never mints
    # a wider one), or the user's role when the system issues it.
    effective = role or (issued_by.role if issued_by is not None else user.role)
    if issued_by is not None:
        if issued_by.user.id != user.id and issued_by.role is not UserRole.ADMIN:
            raise Forbidden("only an admin can create tokens for another user")
        if not issued_by.role.allows(effective):
            raise Forbidden(f"a {issued_by.role} token cannot create a token with role {effective}")
    if not user.role.allows(effective):
        if role is None:
            effective = user.role
        else:
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
        expires_at=now + lifetime if lifetime is not None else None,
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
    return Principal(
        user=token.user, role=role, token_id=token.id, token_last_used_at=token.last_used_at
    )


def do_note_token_use(session: Session, *, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now


def do_revoke_token(
    session: Session,
    *,
    token_id: int,
    now: datetime,
    revoked_by: Principal,
    only_if_expiring: bool = False,
) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (
        token.user_id != revoked_by.user.id and revoked_by.role is not UserRole.ADMIN
    ):
        # Someone else's token is "not found" to a non-admin: ids reveal nothing.
        raise NotFound(f"no token with id {token_id}")
    if only_if_expiring and token.expires_at is None:
        # Signing out ends a browser session, never a long-lived token someone put in
        # the cookie by other means.
        return token
    if token.revoked_at is None:
        token.revoked_at = now
    return token
