from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum


class UserRole(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    @property
    def level(self) -> int:
        return ("viewer", "responder", "admin").index(self.value)

    def allows(self, needed: "UserRole") -> bool:
        return self.level >= needed.level


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole), default=UserRole.RESPONDER)
    # Low-urgency pages wait for these ("HH:MM", local to `time_zone`); None: any time.
    waking_hours_start: Mapped[str | None] = mapped_column(String(5))
    waking_hours_end: Mapped[str | None] = mapped_column(String(5))
    # Chat identities for incident rooms: {"slack": "U012AB3CD", "matrix": "@ann:example.org"}
    chat_ids: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contact_methods: Mapped[list["ContactMethod"]] = relationship(
        back_populates="user",
        order_by="ContactMethod.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    notification_rules: Mapped[list["NotificationRule"]] = relationship(
        order_by="NotificationRule.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def contacts(self) -> list[str]:
        """Every contact method's Apprise URL (the shape `POST /users` takes)."""
        return [method.url for method in self.contact_methods]


DEFAULT_THROTTLE_PER_MINUTE = 5


class ContactMethod(Base):
    """One way to reach a person: an Apprise URL (it often carries credentials, so only
    its owner and admins ever see it; everyone else gets `redact(url)`)."""

    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the person followed the link of a test message; cleared when the URL changes.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last delivery that failed for good (cleared by the next one that goes out).
    last_error: Mapped[str | None] = mapped_column(Text)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    throttle_per_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_THROTTLE_PER_MINUTE, server_default="5"
    )

    user: Mapped[User] = relationship(back_populates="contact_methods")


class NotificationRule(Base):
    """Notify through one contact method `delay_minutes` after the person is paged."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    delay_minutes: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer)

    contact_method: Mapped[ContactMethod] = relationship(lazy="joined")


class Delivery(Base):
    """A message that went (or is going) out through a contact method: what per-contact
    throttling counts. A slot is taken before sending and given back if the send fails."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_method_sent", "contact_method_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))  # "page" or the notice's kind
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only the SHA-256 of the token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so people can tell their tokens apart in a list.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    # A token can be narrower than its user; the effective role is the lower of the two.
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Web sign-ins expire; tokens made for scripts last until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
