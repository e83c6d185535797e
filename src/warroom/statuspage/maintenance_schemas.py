"""The maintenance API's shapes."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from warroom.domain.statuspage import MAINTENANCE_MOVES, MaintenanceStatus
from warroom.schemas import In, Out
from warroom.statuspage.maintenances import MAX_BODY, MAX_COMPONENTS, MAX_NAME
from warroom.statuspage.models import Maintenance, MaintenanceUpdate

# A maintenance is named in paths by its id or its public code.
MaintenanceRef = Annotated[str, Path(min_length=1, max_length=40, description="id or code")]


def _aware(value: datetime) -> datetime:
    # A time without offset would be read in some zone nobody chose; a maintenance at
    # the wrong hour is worse than a refused request.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "give the time with its UTC offset, e.g. 2026-03-01T02:00:00Z or "
            "2026-03-01T03:00:00+01:00"
        )
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time is outside the range that can be expressed in UTC") from exc
    return value


Moment = Annotated[datetime, AfterValidator(_aware)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY)]
ComponentName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Components = Annotated[list[ComponentName], Field(max_length=MAX_COMPONENTS)]


class MaintenanceIn(In):
    name: Name
    body: Body = Field(default="", description="what will happen; the first update's text")
    components: Components = Field(default_factory=list, description="component names")
    scheduled_for: Moment
    scheduled_until: Moment
    auto_start: bool = Field(default=True, description="start at scheduled_for by itself")
    auto_complete: bool = Field(
        default=True, description="complete at scheduled_until by itself (else a person does)"
    )

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "MaintenanceIn":
        if self.scheduled_until <= self.scheduled_for:
            raise ValueError("scheduled_until must be after scheduled_for")
        return self


class MaintenancePatch(In):
    """Only the fields sent change."""

    name: Name | None = None
    body: Body | None = None
    components: Components | None = None
    scheduled_for: Moment | None = None
    scheduled_until: Moment | None = None
    auto_start: bool | None = None
    auto_complete: bool | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "MaintenancePatch":
        if (
            self.scheduled_for is not None
            and self.scheduled_until is not None
            and self.scheduled_until <= self.scheduled_for
        ):
            raise ValueError("scheduled_until must be after scheduled_for")
        return self


class MaintenanceStatusIn(In):
    status: MaintenanceStatus
    body: Body | None = Field(default=None, description="the update's text; a default if absent")


class MaintenanceUpdateIn(In):
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY)]
    status: MaintenanceStatus | None = Field(default=None, description="move it too")


class MaintenanceUpdateOut(Out):
    id: int
    status: MaintenanceStatus
    body: str
    author: str
    created_at: datetime


class MaintenanceComponentOut(Out):
    code: str
    name: str
    status: str


class MaintenanceOut(Out):
    id: int
    code: str
    name: str
    body: str
    status: MaintenanceStatus
    allowed_statuses: list[MaintenanceStatus]
    scheduled_for: datetime
    scheduled_until: datetime
    auto_start: bool
    auto_complete: bool
    started_at: datetime | None
    completed_at: datetime | None
    components: list[MaintenanceComponentOut]
    updates: list[MaintenanceUpdateOut]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, maintenance: Maintenance) -> "MaintenanceOut":
        return cls(
            id=maintenance.id,
            code=maintenance.code,
            name=maintenance.name,
            body=maintenance.body,
            status=maintenance.status,
            allowed_statuses=sorted(MAINTENANCE_MOVES[maintenance.status]),
            scheduled_for=maintenance.scheduled_for,
            scheduled_until=maintenance.scheduled_until,
            auto_start=maintenance.auto_start,
            auto_complete=maintenance.auto_complete,
            started_at=maintenance.started_at,
            completed_at=maintenance.completed_at,
            components=[
                MaintenanceComponentOut(code=c.code, name=c.name, status=str(c.status))
                for c in maintenance.components
            ],
            updates=[MaintenanceUpdateOut.model_validate(u) for u in updates_of(maintenance)],
            created_by=maintenance.created_by,
            created_at=maintenance.created_at,
            updated_at=maintenance.updated_at,
        )


def updates_of(maintenance: Maintenance) -> list[MaintenanceUpdate]:
    """Newest first (ids break ties between updates written in the same instant)."""
    return sorted(maintenance.updates, key=lambda u: (u.created_at, u.id or 0), reverse=True)
