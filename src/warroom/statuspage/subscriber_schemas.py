"""The shapes of the subscriber and audience APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from warroom.domain.severity import Severity
from warroom.domain.subscribers import shown_webhook_url
from warroom.notify.base import redact
from warroom.schemas import In, Out
from warroom.statuspage.models import Audience, Subscriber

# Format is checked by the action (warroom.domain.subscribers), which says what to fix;
# here only the sizes, so nothing huge is parsed.
EmailText = Annotated[str, StringConstraints(min_length=1, max_length=320)]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
AppriseUrl = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", max_length=2000)
]
AudienceName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class SubscribeIn(In):
    """The public form's JSON: one email address."""

    email: EmailText


class SubscriberIn(In):
    kind: Literal["email", "webhook"]
    email: EmailText | None = Field(default=None, description="for kind email")
    url: WebhookUrl | None = Field(default=None, description="for kind webhook: http(s) URL")

    @model_validator(mode="after")
    def _address_for_kind(self) -> SubscriberIn:
        if self.kind == "email" and (not self.email or self.url is not None):
            raise ValueError("an email subscriber takes `email` (and no `url`)")
        if self.kind == "webhook" and (not self.url or self.email is not None):
            raise ValueError("a webhook subscriber takes `url` (and no `email`)")
        return self

    @property
    def address(self) -> str:
        return self.email if self.kind == "email" and self.email else (self.url or "")


class SubscriberOut(Out):
    id: int
    kind: str
    # The email address; a webhook's URL with its query values and password hidden.
    address: str
    confirmed: bool
    confirmed_at: datetime | None
    created_at: datetime
    last_delivered_at: datetime | None
    last_failed_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, s: Subscriber) -> SubscriberOut:
        return cls(
            id=s.id,
            kind=s.kind,
            address=s.address if s.kind == "email" else shown_webhook_url(s.address),
            confirmed=s.confirmed_at is not None,
            confirmed_at=s.confirmed_at,
            created_at=s.created_at,
            last_delivered_at=s.last_delivered_at,
            last_failed_at=s.last_failed_at,
            last_error=s.last_error,
        )


class AudienceIn(In):
    name: AudienceName
    url: AppriseUrl = Field(description="an Apprise URL: slack://…, mailto://…, json://…")
    service: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="a service's id or name; null: every service"
    )
    severities: list[Severity] = Field(
        default_factory=list, max_length=4, description="empty: every severity"
    )


class AudienceOut(Out):
    id: int
    name: str
    # Apprise URLs carry tokens: only the redacted form ever leaves.
    redacted_url: str
    service: str | None
    severities: list[str]
    created_at: datetime
    last_delivered_at: datetime | None
    last_failed_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, a: Audience, service_name: str | None) -> AudienceOut:
        return cls(
            id=a.id,
            name=a.name,
            redacted_url=redact(a.url),
            service=service_name,
            severities=list(a.severities or []),
            created_at=a.created_at,
            last_delivered_at=a.last_delivered_at,
            last_failed_at=a.last_failed_at,
            last_error=a.last_error,
        )
