from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum


class PageState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the incident was acknowledged or resolved before it went out


class Page(Base):
    """One page: one notification rule (contact method + delay) of one user, for one
    level of one pass through the incident's escalation policy. The unique key is what
    makes a page happen once however many engines run the step, or however often it is
    run again; the same contact at two delays is two pages."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("incident_id", "loop", "level", "user_id", "contact", "delay_minutes"),
        # On-call load reports: each person's pages sent in a period.
        Index("ix_pages_user_sent", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    loop: Mapped[int] = mapped_column(Integer)  # 1-based pass through the policy
    level: Mapped[int] = mapped_column(Integer)  # 0-based index into the policy's levels
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The Apprise URL as it was when paged; it holds secrets, so only redact(contact) is shown.
    contact: Mapped[str] = mapped_column(String(2000))
    # The method it went through (None once the person deleted that method).
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL"), index=True
    )
    # The notification rule's delay after the level paged the person.
    delay_minutes: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    state: Mapped[PageState] = mapped_column(str_enum(PageState), default=PageState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
