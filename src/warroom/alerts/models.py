from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum
from warroom.domain.alerts import AlertSource, AlertStatus
from warroom.services.models import Service


class Alert(Base):
    """One alert from monitoring, across all its trigger/acknowledge/resolve events."""

    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open alert per key and service, whatever the race: a second
        # concurrent trigger with the same key fails here and attaches instead.
        UniqueConstraint("service_id", "open_key", name="uq_alerts_service_open_key"),
        Index("ix_alerts_service_received", "service_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    integration_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("integration_keys.id", ondelete="SET NULL")
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[AlertSource] = mapped_column(str_enum(AlertSource))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus))
    alert_key: Mapped[str] = mapped_column(String(255))
    # sha256(alert_key) while the alert is open, NULL once resolved (NULLs never clash).
    open_key: Mapped[str | None] = mapped_column(String(64))
    incident_key: Mapped[str] = mapped_column(String(1024))
    summary: Mapped[str] = mapped_column(String(1024))
    severity: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(255), default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Why it opened no incident (a maintenance window or silence), if it did not.
    suppressed_by: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    # Of the last trigger's content: a repeat of the same payload changes nothing.
    payload_hash: Mapped[str] = mapped_column(String(64))

    service: Mapped[Service] = relationship(lazy="joined")
