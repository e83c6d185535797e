from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from warroom.schemas import Handle, In, Name, Out, TimeZone
from warroom.users.models import ApiToken, UserRole

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
# Apprise URLs: scheme://… (mailto://, json://, slack://, …).
ContactUrl = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9+.-]*://\S+$", max_length=2000)
]


class UserIn(In):
    handle: Handle
    name: Name
    email: Email | None = None
    time_zone: TimeZone = "UTC"
    role: UserRole = UserRole.RESPONDER
    contacts: list[ContactUrl] = Field(default_factory=list, max_length=20)


class UserOut(Out):
    id: int
    handle: str
    name: str
    email: str | None
    time_zone: str
    role: UserRole
    # Only admins and the user see contact URLs: they often carry credentials.
    contacts: list[str] | None
    created_at: datetime


class TokenIn(In):
    user: Handle | None = Field(default=None, description="defaults to the caller")
    role: UserRole | None = Field(default=None, description="defaults to the user's role")
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class TokenInfoOut(Out):
    id: int
    user: str
    role: UserRole
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> "TokenInfoOut":
        return cls(
            id=token.id,
            user=token.user.handle,
            role=token.role,
            prefix=token.prefix,
            name=token.name,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenOut(TokenInfoOut):
    token: str = Field(description="shown once; only its hash is stored")
