from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    exists,
    false,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum
from warroom.domain.action_items import FINISHED
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.roles import Role
from warroom.domain.severity import ResponseTarget, Severity, response_target
from warroom.domain.statuspage import Impact
from warroom.domain.timeline import EventType
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.services.models import Service
from warroom.users.models import User


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_severity", "status", "severity"),
        # One open incident per alert key and service, enforced by the database so two
        # engines racing on the same alert open exactly one.
        UniqueConstraint("service_id", "open_dedup_key", name="uq_incidents_service_open_dedup"),
        # Reports (warroom.reports): a period's incidents, and "resolved in the 7 days
        # before" for repeats. Migration 0017 adds SQLite-only indexes on julianday()
        # expressions that Alembic cannot compare, so they are not declared here.
        Index("ix_incidents_drill_triggered", "drill", "triggered_at"),
        Index("ix_incidents_service_dedup_resolved", "service_id", "dedup_key", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    status: Mapped[Status] = mapped_column(str_enum(Status), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set once a person has confirmed or changed the severity (checklist item 2).
    severity_assessed: Mapped[bool] = mapped_column(Boolean, default=False)
    room_url: Mapped[str | None] = mapped_column(String(500))
    # When the problem began (an alert's own start time), when warroom learned of it,
    # and when the incident was opened: MTTD and MTTR start from started_at.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triggered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The severity's target when it was set, so later configuration changes do not
    # rewrite whether past incidents met it.
    response_target_minutes: Mapped[float] = mapped_column(Float)
    response_target_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the acknowledgement timeout (or a person) sent an acknowledged incident
    # back to "triggered"; cleared by the next acknowledgement. acknowledged_at keeps the
    # first acknowledgement, which MTTA and the response target measure.
    retriggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When warroom resolves it if nobody is working on it (the service's auto-resolve).
    auto_resolve_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest stakeholder update's promise, and how earlier promises were kept.
    next_update_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updates_on_time: Mapped[int] = mapped_column(Integer, default=0)
    updates_late: Mapped[int] = mapped_column(Integer, default=0)
    # The alert key that opened it (dedup_key, or an Alertmanager/Grafana group), kept
    # for repeat-incident reports; open_dedup_key is its digest while the incident is open.
    dedup_key: Mapped[str | None] = mapped_column(String(1024))
    open_dedup_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # How the incident shows on the public status page (warroom.statuspage): not at all
    # until someone makes it public (or publishes a public update); then under its public
    # title and code, with an impact that follows the severity unless one is chosen.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_title: Mapped[str | None] = mapped_column(String(200))
    public_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    public_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    impact: Mapped[Impact | None] = mapped_column(str_enum(Impact))
    # Responder names stay off the public page unless the incident chooses to show them.
    public_responders: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Time spent in each lifecycle phase (SPEC §2), seconds, up to phase_since: when the
    # incident entered the phase it is in now. Kept by warroom.incidents.phase_time
    # whenever the phase may change; a report adds the ongoing stretch.
    phase_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detection_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    triage_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    response_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    recovery_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    analysis_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    improvement_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # Facts about an incident's neighbours that SQLite reports read instead of pairing a
    # million incidents at report time (warroom.reports.facts keeps them; see there and
    # ADR 0006). Only SQLite keeps them: it has one writer, so a neighbour can never be
    # inserted unseen; PostgreSQL pairs incidents with window functions when it reports.
    # The previous incident of the same service (and drill kind) in order of start: when
    # it was triggered, and the time from its resolution to this one's start (NULL when
    # it was not resolved or they overlapped).
    previous_triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, deferred=True)
    gap_after_previous_seconds: Mapped[float | None] = mapped_column(Float, deferred=True)
    # The same within the service's incidents of this severity.
    previous_of_severity_triggered_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, deferred=True
    )
    gap_after_previous_of_severity_seconds: Mapped[float | None] = mapped_column(
        Float, deferred=True
    )
    # A repeat incident (SPEC §2): same service and alert key as one resolved in the 7
    # days before it started.
    is_repeat: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), deferred=True
    )

    service: Mapped[Service] = relationship(lazy="joined")
    # SPEC §2's improvement phase needs a published postmortem and an open action item:
    # two correlated EXISTS on indexed columns. Deferred as one group: the paging and
    # intake paths, which load incidents all the time, never read them; an incident
    # shown alone loads both in one query, and lists undefer them (LEARNING_GROUP).
    postmortem_published: Mapped[bool] = column_property(
        exists().where(
            Postmortem.incident_id == id, Postmortem.status == PostmortemStatus.PUBLISHED
        ),
        deferred=True,
        group="learning",
    )
    has_open_action_items: Mapped[bool] = column_property(
        exists().where(ActionItem.incident_id == id, ActionItem.status.not_in(FINISHED)),
        deferred=True,
        group="learning",
    )

    @property
    def acknowledged_now(self) -> bool:
        """Someone holds it: acknowledged, and not re-triggered since."""
        return self.acknowledged_at is not None and self.retriggered_at is None

    def response_target(self, now: datetime) -> ResponseTarget:
        """Where this incident stands against the target stored with its severity."""
        return response_target(
            severity=self.severity,
            triggered_at=self.triggered_at,
            acknowledged_at=self.acknowledged_at,
            now=now,
            targets={self.severity: self.response_target_minutes},
        )

    roles: Mapped[list["IncidentRole"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="incident"
    )
    checklist: Mapped[list["ChecklistCompletion"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ChecklistCompletion.item"
    )


class IncidentRole(Base):
    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="roles")
    user: Mapped[User] = relationship(lazy="joined")


class ChecklistCompletion(Base):
    __tablename__ = "checklist_completions"
    __table_args__ = (UniqueConstraint("incident_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    item: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A handle, or "warroom" when an event completed it.
    completed_by: Mapped[str] = mapped_column(String(64))
    by_hand: Mapped[bool] = mapped_column(Boolean, default=False)


class TimelineEvent(Base):
    """Append-only: rows are inserted by actions and never updated or deleted."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_incident_at", "incident_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    type: Mapped[EventType] = mapped_column(str_enum(EventType))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StakeholderUpdate(Base):
    __tablename__ = "stakeholder_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[UpdateKind] = mapped_column(str_enum(UpdateKind))
    status: Mapped[UpdateStatus] = mapped_column(str_enum(UpdateStatus))
    body: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    components: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    next_update_minutes: Mapped[int | None] = mapped_column(Integer)
    next_update_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The public components this update changed, as Statuspage's affected_components:
    # [{"code", "name", "old_status", "new_status"}].
    component_changes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
