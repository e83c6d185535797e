from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from warroom.domain import checklist
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.lifecycle import Phase, Status, allowed_moves, phase_of
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.domain.timeline import EventType
from warroom.incidents.models import Incident, StakeholderUpdate, TimelineEvent
from warroom.schemas import Handle, In, Out, Text

# Ids are 32-bit on every database; a larger number is a 422, never an overflow.
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=300)]


def _in_utc_range(value: datetime) -> datetime:
    # 0001-01-01T00:00+01:00 is a valid ISO 8601 time that has no UTC equivalent; it
    # would fail only when stored, as a 500.
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time is outside the range that can be expressed in UTC") from exc
    return value


LongText = Annotated[str, StringConstraints(max_length=10_000)]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]


class IncidentIn(In):
    title: Title
    severity: Severity
    service: Annotated[str, StringConstraints(min_length=1, max_length=100)] | int
    description: LongText = ""
    started_at: Annotated[AwareDatetime, AfterValidator(_in_utc_range)] | None = Field(
        default=None, description="when the problem began, if earlier than now"
    )


class StatusIn(In):
    status: Status


class SeverityIn(In):
    severity: Severity


class RoleIn(In):
    user: Handle | None = Field(description="the new holder's handle; null unassigns")


class NoteIn(In):
    text: Text


class UpdateIn(In):
    kind: UpdateKind
    status: UpdateStatus | None = None
    body: LongText | None = Field(
        default=None, description="rendered from the kind's template when absent"
    )
    public: bool = False
    components: (
        dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], ComponentStatus]
        | None
    ) = Field(default=None, max_length=50)
    next_update_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    impact: LongText | None = None
    progress: LongText | None = None
    root_cause: LongText | None = None
    actions_taken: LongText | None = None


class IncidentOut(Out):
    id: int
    title: str
    description: str
    severity: Severity
    status: Status
    phase: Phase
    allowed_statuses: list[Status]
    service: str
    drill: bool
    started_at: datetime
    detected_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    roles: dict[Role, str | None]
    response_target_minutes: float
    response_target_due_at: datetime
    response_target_breached: bool
    response_target_breached_at: datetime | None
    response_target_seconds_left: float | None
    checklist_compliance: float
    reopen_count: int
    # Back in "triggered" after its acknowledgement timed out (or was handed back), until
    # someone acknowledges again; acknowledged_at keeps the first acknowledgement.
    retriggered_at: datetime | None = None
    auto_resolve_at: datetime | None = None
    # The latest stakeholder update's promise, whether it has passed with no update since
    # (on an open incident), and how the promises so far were kept.
    next_update_due_at: datetime | None = None
    next_update_overdue: bool = False
    updates_on_time: int = 0
    updates_late: int = 0
    updated_at: datetime

    @classmethod
    def of(cls, incident: Incident, *, now: datetime) -> "IncidentOut":
        target = incident.response_target(now)
        holders = {r.role: r.user.handle for r in incident.roles}
        closed_or_resolved = incident.status in (Status.RESOLVED, Status.CLOSED)
        return cls(
            id=incident.id,
            title=incident.title,
            description=incident.description,
            severity=incident.severity,
            status=incident.status,
            phase=phase_of(incident.status),
            allowed_statuses=allowed_moves(incident.status),
            service=incident.service.name,
            drill=incident.drill,
            started_at=incident.started_at,
            detected_at=incident.detected_at,
            triggered_at=incident.triggered_at,
            acknowledged_at=incident.acknowledged_at,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            roles={role: holders.get(role) for role in Role},
            response_target_minutes=target.minutes,
            response_target_due_at=target.due_at,
            response_target_breached=target.breached
            or incident.response_target_breached_at is not None,
            response_target_breached_at=incident.response_target_breached_at
            or (target.due_at if target.breached else None),
            # A resolved incident nobody acknowledged has no clock left to watch.
            response_target_seconds_left=None if closed_or_resolved else target.seconds_left,
            checklist_compliance=checklist.report(c.item for c in incident.checklist).compliance,
            reopen_count=incident.reopen_count,
            retriggered_at=incident.retriggered_at,
            auto_resolve_at=incident.auto_resolve_at if not closed_or_resolved else None,
            next_update_due_at=incident.next_update_due_at,
            next_update_overdue=not closed_or_resolved
            and incident.next_update_due_at is not None
            and now > incident.next_update_due_at,
            updates_on_time=incident.updates_on_time or 0,
            updates_late=incident.updates_late or 0,
            updated_at=incident.updated_at,
        )


class TimelineEventOut(Out):
    id: int
    at: datetime
    actor: str
    type: EventType
    data: dict[str, Any]

    @classmethod
    def of(cls, event: TimelineEvent) -> "TimelineEventOut":
        return cls.model_validate(event)


class ChecklistItemOut(Out):
    number: int
    name: str
    completed_by_event: str
    completed: bool
    completed_at: datetime | None
    completed_by: str | None
    by_hand: bool | None


class ChecklistOut(Out):
    completed: list[str]
    missing: list[str]
    compliance: float
    items: list[ChecklistItemOut]

    @classmethod
    def of(cls, incident: Incident) -> "ChecklistOut":
        done = {c.item: c for c in incident.checklist}
        report = checklist.report(done)
        items = []
        for number, name in enumerate(checklist.ITEMS, start=1):
            c = done.get(number)
            items.append(
                ChecklistItemOut(
                    number=number,
                    name=name,
                    completed_by_event=checklist.COMPLETED_BY[number - 1],
                    completed=c is not None,
                    completed_at=c.completed_at if c else None,
                    completed_by=c.completed_by if c else None,
                    by_hand=c.by_hand if c else None,
                )
            )
        return cls(
            completed=report.completed,
            missing=report.missing,
            compliance=report.compliance,
            items=items,
        )


class UpdateOut(Out):
    id: int
    incident_id: int
    kind: UpdateKind
    status: UpdateStatus
    body: str
    public: bool
    components: dict[str, str]
    next_update_minutes: int | None
    next_update_due_at: datetime | None
    author: str
    published_at: datetime

    @classmethod
    def of(cls, update: StakeholderUpdate) -> "UpdateOut":
        return cls.model_validate(update)
