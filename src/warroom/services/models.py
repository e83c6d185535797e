from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, UTCDateTime
from warroom.domain.components import ComponentStatus
from warroom.escalation.models import EscalationPolicy
from warroom.statuspage.models import Component
from warroom.teams.models import Team


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The status-page component the service is part of (several services may make up
    # one component); SET NULL: deleting a component leaves its services.
    component_id: Mapped[int | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL"), index=True
    )
    # [{"match": {"label": "value" | "=~regex" …}, "severity": "SEV-1"}]: first match wins.
    severity_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Handles invited to an incident room when an alert opens an incident (until on-call
    # schedules decide who is paged).
    responders: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Automation on incidents opened by alerts; each step can be turned off.
    open_room: Mapped[bool] = mapped_column(default=True)
    post_initial_message: Mapped[bool] = mapped_column(default=True)
    # An incident opened on the service (by an alert or a person, drills aside) affects
    # its component, which then follows the incident's severity.
    mark_component: Mapped[bool] = mapped_column(default=True)
    # Who is paged when an incident opens; by id, so renaming the policy keeps the link.
    # RESTRICT: a policy in use cannot be deleted out from under a service.
    escalation_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="RESTRICT"), index=True
    )
    # Incident timers, off (None) unless set: an acknowledged incident left without human
    # activity this long is re-triggered; an incident still triggered or acknowledged
    # this long after it triggered is resolved by warroom.
    ack_timeout_minutes: Mapped[int | None] = mapped_column(Integer)
    auto_resolve_minutes: Mapped[int | None] = mapped_column(Integer)
    # The team that owns it (reports by team, drills per team); SET NULL on delete.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    policy: Mapped[EscalationPolicy | None] = relationship(lazy="selectin")
    team: Mapped[Team | None] = relationship(lazy="selectin")
    status_component: Mapped[Component | None] = relationship(lazy="selectin")

    @property
    def component(self) -> str | None:
        """The component's name, as the API names it."""
        return self.status_component.name if self.status_component is not None else None

    @property
    def component_status(self) -> ComponentStatus | None:
        """What the status page says about the service's component now."""
        return self.status_component.status if self.status_component is not None else None

    @property
    def escalation_policy(self) -> str | None:
        """The policy's name, as the API names it."""
        return self.policy.name if self.policy is not None else None


class IntegrationKey(Base):
    """Lets a monitoring system send alerts to one service, and do nothing else."""

    __tablename__ = "integration_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    # Only the SHA-256 is kept, like API tokens; the key is shown when it is made.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """While it runs, the service's alerts are kept but open no incident."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    # Set when the window is a scheduled maintenance's (warroom.statuspage): the
    # maintenance moves the window when it starts early or ends late.
    maintenance_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenances.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Silence(Base):
    """Like a maintenance window, for the alerts its label matchers select."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    # [{"name": "alertname", "value": "DiskFull", "op": "="}]
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
