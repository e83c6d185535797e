from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum


class TaskState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    # Stopped before it ran: an acknowledgement cancels the pages still to come.
    CANCELLED = "cancelled"


class Task(Base):
    """A unit of background work (open a room, post a message, …): an outbox row written
    in the same transaction as the change that calls for it."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState), default=TaskState.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A claim is a lease: an engine that dies mid-task loses it when the lease ends.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
