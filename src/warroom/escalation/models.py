from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, UTCDateTime


class EscalationPolicy(Base):
    """Who is paged, and how long each level waits for an acknowledgement (SPEC §3).

    Services point at a policy by id, so renaming it keeps them attached; a policy that a
    service uses cannot be deleted (ON DELETE RESTRICT, and a 409 naming the services)."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Further passes through the levels after the first (0 … domain MAX_REPEAT).
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    # [{"delay_minutes": 5.0, "targets": [{"schedule": "primary"} | {"user": "ann"}]}],
    # stored as validated; targets name users by handle and schedules by name.
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
