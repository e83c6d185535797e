from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum
from warroom.users.models import User


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # IANA zone: whole-day turns and restrictions are counted in its wall clock.
    time_zone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Warned with the incoming person when a shift is about to start uncovered by a
    # verified contact method.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    owner: Mapped[User | None] = relationship(lazy="joined")
    layers: Mapped[list["ScheduleLayer"]] = relationship(
        order_by="ScheduleLayer.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ScheduleLayer(Base):
    __tablename__ = "schedule_layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    # Later layers (higher positions) win where layers overlap.
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    # Handles, in rotation order.
    users: Mapped[list[str]] = mapped_column(JSON)
    rotation_start: Mapped[datetime] = mapped_column(UTCDateTime)
    turn_length_hours: Mapped[float] = mapped_column(Float)
    # [{"type": "daily", "start": "09:00", "end": "17:00"} | {"type": "weekly", …}]
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduleOverride(Base):
    """Someone takes [start_at, end_at) of a schedule, over every layer."""

    __tablename__ = "schedule_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarFeedToken(Base):
    """Reads one calendar feed (a schedule's or a user's) and nothing else; only the
    SHA-256 is kept. Issuing a new one for the same feed replaces the old."""

    __tablename__ = "calendar_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SwapState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class ShiftSwap(Base):
    """A request that `taker` cover [start_at, end_at) of `requester`'s on-call time;
    accepting it places an override in the same transaction."""

    __tablename__ = "shift_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    taker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SwapState] = mapped_column(str_enum(SwapState), default=SwapState.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedule_overrides.id", ondelete="SET NULL")
    )


class HandoffNote(Base):
    """What the person on call wants the next one to know; handed over at the shift change."""

    __tablename__ = "handoff_notes"
    __table_args__ = (Index("ix_handoff_notes_schedule_created", "schedule_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShiftNotice(Base):
    """One row per notice sent about a shift: the unique key is what makes a handoff or a
    readiness warning go out once, however many engines run the timer or how often."""

    __tablename__ = "shift_notices"
    __table_args__ = (
        UniqueConstraint(
            "schedule_id", "kind", "shift_start", "user_id", name="uq_shift_notices_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # handoff | readiness
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
