from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # IANA zone: whole-day turns and restrictions are counted in its wall clock.
    time_zone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

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
