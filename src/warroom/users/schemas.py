from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from warroom.schemas import Handle, In, Name, Out, TimeZone
from warroom.users.models import UserRole

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
    contacts: list[str]
    created_at: datetime


class TokenIn(In):
    user: Handle | None = Field(default=None, description="defaults to the caller")
    role: UserRole | None = Field(default=None, description="defaults to the user's role")
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class TokenOut(Out):
    id: int
    token: str = Field(description="shown once; only its hash is stored")
    user: str
    role: UserRole
    prefix: str
    name: str
    created_at: datetime
