from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from warroom.domain import checklist
from warroom.domain.comms import (
    UpdateKind,
    UpdateStatus,
    cadence_compliance,
    minutes_until,
    update_cadence,
)
from warroom.domain.lifecycle import Phase, Status, allowed_moves, phase_of
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.domain.statuspage import Impact, impact_of
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


# Alert intake refuses starts before the Unix epoch too (integrations.events_v2): no
# incident of a real system began earlier, and reports compute bounds around starts.
EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)


def _not_before_epoch(value: datetime) -> datetime:
    if _in_utc_range(value) < EARLIEST_START:
        raise ValueError("started_at must be 1970-01-01 or later")
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
    started_at: Annotated[AwareDatetime, AfterValidator(_not_before_epoch)] | None = Field(
        default=None, description="when the problem began, if earlier than now (1970 or later)"
    )


class StatusIn(In):
    status: Status


class SeverityIn(In):
    severity: Severity


class RoleIn(In):
    user: Handle | None = Field(description="the new holder's handle; null unassigns")


class NoteIn(In):
    text: Text


ComponentName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PublicTitle = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# An impact word, or "severity": follow the incident's severity (the default).
ImpactChoice = Literal["none", "minor", "major", "critical", "severity"]


class UpdateIn(In):
    kind: UpdateKind
    status: UpdateStatus | None = Field(
        default=None,
        description="the status to announce (the incident moves with it); 'postmortem' "
        "only once it is resolved or closed",
    )
    body: LongText | None = Field(
        default=None, description="rendered from the kind's template when absent"
    )
    public: bool = Field(
        default=False, description="show it on the status page (makes the incident public)"
    )
    components: dict[ComponentName, ComponentStatus] | None = Field(
        default=None,
        max_length=50,
        description="status-page components this incident affects, by name, with the "
        "status to show while it is open",
    )
    next_update_minutes: int | None = Field(
        default=None,
        ge=1,
        le=7 * 24 * 60,
        description="promise the next update in N minutes; default by severity "
        "(SEV-1 30, SEV-2 60, SEV-3 120, SEV-4 240)",
    )
    impact: LongText | None = Field(default=None, description="template text: the impact")
    progress: LongText | None = None
    root_cause: LongText | None = None
    actions_taken: LongText | None = None
    public_title: PublicTitle | None = Field(
        default=None, description="the incident's public title, for a public update"
    )
    public_impact: ImpactChoice | None = Field(
        default=None, description="the incident's public impact, for a public update"
    )


class PublicIn(In):
    public: bool
    title: PublicTitle | None = Field(
        default=None,
        description="default: from the impact and public components, not the internal title",
    )
    impact: ImpactChoice | None = Field(
        default=None, description="none|minor|major|critical, or 'severity' to follow it"
    )
    components: dict[ComponentName, ComponentStatus | None] | None = Field(
        default=None,
        max_length=50,
        description="components the incident affects; null status: as its severity implies",
    )
    show_responders: bool | None = None


class PublicOut(Out):
    public: bool
    title: str | None
    # The public id (on /status and /api/v2); kept when the incident goes private.
    code: str | None
    public_at: datetime | None
    # What the page shows, and the one chosen by hand (None: it follows the severity).
    impact: Impact
    impact_override: Impact | None
    show_responders: bool


class CadenceOut(Out):
    # The wait an update promises unless it names one (by severity).
    default_minutes: int
    next_update_due_at: datetime | None
    overdue: bool
    # Minutes until the promise (negative: how late it is), None without one.
    minutes_left: int | None
    on_time: int
    late: int
    # Share of promises kept, None before any promise was settled.
    compliance: float | None


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
    update_cadence: CadenceOut
    public: PublicOut
    updated_at: datetime

    @classmethod
    def of(cls, incident: Incident, *, now: datetime) -> "IncidentOut":
        target = incident.response_target(now)
        holders = {r.role: r.user.handle for r in incident.roles}
        closed_or_resolved = incident.status in (Status.RESOLVED, Status.CLOSED)
        due = incident.next_update_due_at if not closed_or_resolved else None
        overdue = due is not None and now > due
        on_time, late = incident.updates_on_time or 0, incident.updates_late or 0
        return cls(
            id=incident.id,
            title=incident.title,
            description=incident.description,
            severity=incident.severity,
            status=incident.status,
            phase=phase_of(
                incident.status,
                postmortem_published=incident.postmortem_published,
                open_action_items=int(incident.has_open_action_items),
            ),
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
            next_update_overdue=overdue,
            updates_on_time=on_time,
            updates_late=late,
            update_cadence=CadenceOut(
                default_minutes=update_cadence(incident.severity),
                next_update_due_at=due,
                overdue=overdue,
                minutes_left=minutes_until(due, now) if due is not None else None,
                on_time=on_time,
                late=late,
                compliance=cadence_compliance(on_time, late),
            ),
            public=PublicOut(
                public=bool(incident.public),
                title=incident.public_title,
                code=incident.public_code,
                public_at=incident.public_at,
                impact=impact_of(incident.severity, incident.impact),
                impact_override=incident.impact,
                show_responders=bool(incident.public_responders),
            ),
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
    # The public components this update changed: [{code, name, old_status, new_status}].
    component_changes: list[dict[str, str]] = []
    author: str
    published_at: datetime

    @classmethod
    def of(cls, update: StakeholderUpdate) -> "UpdateOut":
        return cls.model_validate(update)
