from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum
from warroom.domain.action_items import (
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    is_overdue,
    local_today,
)
from warroom.domain.postmortem import PostmortemStatus
from warroom.users.models import User


class Postmortem(Base):
    """One blameless postmortem per incident; Markdown is the stored form."""

    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[PostmortemStatus] = mapped_column(
        str_enum(PostmortemStatus), default=PostmortemStatus.DRAFT
    )
    markdown: Mapped[str] = mapped_column(Text, default="")
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Handles of the people asked to review it.
    reviewers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When published, also show the incident as "postmortem" on the public status page.
    show_on_status_page: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActionItem(Base):
    """Follow-up work an incident leaves: from its postmortem, by hand, or the runbook
    review warroom opens when it resolves. The incident closes when all are finished."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActionItemKind] = mapped_column(
        str_enum(ActionItemKind), default=ActionItemKind.FOLLOW_UP
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[ActionItemPriority] = mapped_column(
        str_enum(ActionItemPriority), default=ActionItemPriority.MEDIUM
    )
    status: Mapped[ActionItemStatus] = mapped_column(
        str_enum(ActionItemStatus), default=ActionItemStatus.OPEN
    )
    # The issue in an external tracker (Jira, GitHub, Linear …) where the work is done.
    tracker_url: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(lazy="joined")

    @property
    def owner_zone(self) -> str:
        """Where its days begin and end: its owner's time zone, UTC without an owner."""
        return self.owner.time_zone if self.owner is not None else "UTC"

    def overdue(self, now: datetime) -> bool:
        """Due before today where its owner is, and not finished."""
        today = local_today(now, self.owner_zone)
        return is_overdue(due_on=self.due_on, status=self.status, today=today)
