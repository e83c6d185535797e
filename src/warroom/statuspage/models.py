"""The status page's tables: components and their groups, which incidents affect which
components, each component's status history (the uptime bars), scheduled maintenances,
subscribers, internal audiences, and the revision counter the page caches hang on."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.db.types import str_enum
from warroom.domain.components import ComponentStatus
from warroom.domain.statuspage import MaintenanceStatus


class ComponentGroup(Base):
    __tablename__ = "component_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id the public sees (Statuspage's ids are short random strings): internal row
    # numbers say nothing outside.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Component(Base):
    __tablename__ = "components"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("component_groups.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Internal components are for the company's own eyes: never on /status or /api/v2.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # What someone set by hand (operational unless they said otherwise).
    manual_status: Mapped[ComponentStatus] = mapped_column(
        str_enum(ComponentStatus), default=ComponentStatus.OPERATIONAL
    )
    # What the component says now: domain.statuspage.component_status over the manual
    # status, open incidents on it and running maintenances; stored so the page reads it
    # without working it out, rewritten (with a history row) whenever an input changes.
    status: Mapped[ComponentStatus] = mapped_column(
        str_enum(ComponentStatus), default=ComponentStatus.OPERATIONAL
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    group: Mapped[ComponentGroup | None] = relationship(lazy="joined")


class ComponentStatusChange(Base):
    """Append-only: the component's status from `at` until the next row."""

    __tablename__ = "component_status_changes"
    __table_args__ = (Index("ix_component_status_changes_component_at", "component_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"))
    status: Mapped[ComponentStatus] = mapped_column(str_enum(ComponentStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentComponent(Base):
    """A component an incident affects. `status` None follows the incident's severity
    (domain.components.FOR_SEVERITY); an update or a person may pin one. Only open
    incidents count towards the component's status."""

    __tablename__ = "incident_components"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[ComponentStatus | None] = mapped_column(str_enum(ComponentStatus))
    # "automatic" (alert automation on the service's component), "update", "hand".
    source: Mapped[str] = mapped_column(String(16), default="hand")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    component: Mapped[Component] = relationship(lazy="joined")


class Maintenance(Base):
    """Scheduled maintenance, as Statuspage has it: announced ahead, in progress in its
    window (components under_maintenance, alerts on their services open no incident),
    verifying, completed."""

    __tablename__ = "maintenances"
    __table_args__ = (Index("ix_maintenances_status_scheduled_for", "status", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MaintenanceStatus] = mapped_column(str_enum(MaintenanceStatus))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # The engine starts it at scheduled_for and completes it at scheduled_until unless
    # these are off (then a person moves it).
    auto_start: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    components: Mapped[list[Component]] = relationship(
        secondary="maintenance_components", lazy="selectin", order_by="Component.position"
    )
    updates: Mapped[list["MaintenanceUpdate"]] = relationship(
        lazy="selectin", order_by="MaintenanceUpdate.created_at.desc()"
    )

    @property
    def public(self) -> bool:
        """On the public page (and told to subscribers) unless every component it touches
        is internal: work on internal systems is nobody else's news. The same rule as
        warroom.statuspage.public's query."""
        return not self.components or any(c.public for c in self.components)


class MaintenanceComponent(Base):
    __tablename__ = "maintenance_components"

    maintenance_id: Mapped[int] = mapped_column(
        ForeignKey("maintenances.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MaintenanceUpdate(Base):
    __tablename__ = "maintenance_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    maintenance_id: Mapped[int] = mapped_column(
        ForeignKey("maintenances.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MaintenanceStatus] = mapped_column(str_enum(MaintenanceStatus))
    body: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscriber(Base):
    """Someone told of each public update: an email address (after they confirm it,
    double opt-in) or a webhook URL (added by an admin)."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "email" | "webhook"
    address: Mapped[str] = mapped_column(String(2000))
    # SHA-256 of the secret in the subscriber's confirm link (unsubscribe links are signed
    # instead: they go in every message, so they must be made again at send time).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last confirmation mail: re-subscribing sooner sends none (no mail bombing), and
    # a confirm link older than the confirmation window no longer works.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery health, for the admin page: a webhook that keeps failing shows here.
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Audience(Base):
    """An internal audience: a chat channel or mailing list (an Apprise URL) that hears
    every update of incidents on a service (or any service) at some severities."""

    __tablename__ = "audiences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    # ["SEV-1", "SEV-2"]; empty: every severity.
    severities: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class StatusPageRevision(Base):
    """One row: bumped in the same transaction as any change the public page shows, so
    every process's page cache knows when to rebuild."""

    __tablename__ = "statuspage_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
