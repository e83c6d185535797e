from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from warroom.domain.notification import MAX_RULE_DELAY_MINUTES, contact_kind
from warroom.notify.base import redact
from warroom.schemas import Handle, In, Name, Out, TimeZone
from warroom.users.contact_actions import MAX_THROTTLE_PER_MINUTE
from warroom.users.models import ApiToken, ContactMethod, User, UserRole

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


WallTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Label = Annotated[str, StringConstraints(max_length=100)]
Throttle = Annotated[int, Field(ge=1, le=MAX_THROTTLE_PER_MINUTE)]
Delay = Annotated[float, Field(ge=0, le=MAX_RULE_DELAY_MINUTES, allow_inf_nan=False)]


class WakingHoursIn(In):
    start: WallTime = Field(description='"HH:MM" in the user\'s time zone')
    end: WallTime = Field(description='"HH:MM"; before start spans midnight')

    @model_validator(mode="after")
    def _differ(self) -> "WakingHoursIn":
        if self.start == self.end:
            raise ValueError("waking hours need a start and an end that differ")
        return self


class WakingHoursOut(Out):
    start: str
    end: str


class UserOut(Out):
    id: int
    handle: str
    name: str
    email: str | None
    time_zone: str
    role: UserRole
    # Only admins and the user see contact URLs: they often carry credentials.
    contacts: list[str] | None
    waking_hours: WakingHoursOut | None = None
    created_at: datetime

    @classmethod
    def of(cls, user: User, *, private: bool) -> "UserOut":
        waking = (
            WakingHoursOut(start=user.waking_hours_start, end=user.waking_hours_end)
            if user.waking_hours_start and user.waking_hours_end
            else None
        )
        return cls(
            id=user.id,
            handle=user.handle,
            name=user.name,
            email=user.email,
            time_zone=user.time_zone,
            role=user.role,
            contacts=user.contacts if private else None,
            waking_hours=waking,
            created_at=user.created_at,
        )


class UserPatch(In):
    name: Name | None = None
    time_zone: TimeZone | None = None
    waking_hours: WakingHoursIn | None = Field(
        default=None, description="null: low-urgency pages go out at any time"
    )


class ContactMethodIn(In):
    url: ContactUrl = Field(description="an Apprise URL: mailto://…, json://…, slack://…")
    label: Label = ""
    throttle_per_minute: Throttle = 5
    delay_minutes: Delay | None = Field(
        default=0,
        description="also add a notification rule through this method at this delay; "
        "null adds none",
    )


class ContactMethodPatch(In):
    url: ContactUrl | None = Field(default=None, description="a new URL loses verification")
    label: Label | None = None
    throttle_per_minute: Throttle | None = None


class ContactMethodOut(Out):
    id: int
    kind: str
    label: str
    # The URL itself only for the user and admins; everyone gets the redacted form.
    url: str | None
    redacted_url: str
    verified: bool
    verified_at: datetime | None
    last_test_at: datetime | None
    last_error: str | None
    last_failed_at: datetime | None
    throttle_per_minute: int
    created_at: datetime

    @classmethod
    def of(cls, method: ContactMethod, *, private: bool) -> "ContactMethodOut":
        return cls(
            id=method.id,
            kind=str(contact_kind(method.url)),
            label=method.label,
            url=method.url if private else None,
            redacted_url=redact(method.url),
            verified=method.verified_at is not None,
            verified_at=method.verified_at,
            last_test_at=method.last_test_at,
            last_error=method.last_error,
            last_failed_at=method.last_failed_at,
            throttle_per_minute=method.throttle_per_minute,
            created_at=method.created_at,
        )


class RuleIn(In):
    contact_method: int = Field(ge=1, le=2**31 - 1, description="a contact method id")
    delay_minutes: Delay = 0


class RuleOut(Out):
    contact_method: int
    kind: str
    redacted_url: str
    delay_minutes: float


class RulesOut(Out):
    items: list[RuleOut]
    # True when no rules are set: then every method is paged at once.
    all_methods_at_once: bool


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
