"""Stakeholder communication: the three templates of the reference practice.

The template sources are Jinja2 text kept here as plain strings so the wording lives with
the rules; rendering happens at the edge (warroom.incidents.comms).
"""

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.domain.statuspage import UPDATE_CADENCE_MINUTES


class UpdateKind(StrEnum):
    INITIAL = "initial"
    UPDATE = "update"
    RESOLUTION = "resolution"


class UpdateStatus(StrEnum):
    """The public status an update announces (Statuspage's incident statuses)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    # After resolution: the postmortem is out (a public update may say so).
    POSTMORTEM = "postmortem"


# The wait promised when neither the update nor the incident's severity says otherwise
# (a draft with no incident behind it); incidents use UPDATE_CADENCE_MINUTES.
DEFAULT_NEXT_UPDATE_MINUTES = 30

# Statuses an update may announce once the response is over.
AFTER_RESOLUTION = frozenset({Status.RESOLVED, Status.CLOSED})


def update_cadence(severity: Severity | None) -> int:
    """Minutes until the next update an update promises unless it names a wait."""
    return UPDATE_CADENCE_MINUTES[severity] if severity is not None else DEFAULT_NEXT_UPDATE_MINUTES


def cadence_compliance(on_time: int, late: int) -> float | None:
    """Share of promised updates that came by their promised time; None before any
    promise has been settled (no update has followed a promise yet)."""
    settled = on_time + late
    return on_time / settled if settled else None


def minutes_until(due_at: datetime, now: datetime) -> int:
    """Whole minutes until `due_at`, rounded away from now: positive while it is ahead
    (due in 30 s reads as 1), 0 exactly at it, negative once passed (overdue by 10 s
    reads as -1, so a late promise never reads as 'overdue by 0')."""
    seconds = (due_at - now).total_seconds()
    return math.ceil(seconds / 60) if seconds >= 0 else -math.ceil(-seconds / 60)


TEMPLATES: dict[UpdateKind, str] = {
    UpdateKind.INITIAL: (
        "We are currently investigating reports of {{ service }} issues.\n"
        "Our team is actively working on the problem.\n"
        "\n"
        "Affected services: {{ affected_services | join(', ') }}\n"
        "Impact: {{ impact }}\n"
        "\n"
        "Next update in: {{ next_update }}\n"
        # Without a known address the line would end in a blank; leave it out instead.
        "{% if status_page_url %}Status page: {{ status_page_url }}\n{% endif %}"
    ),
    UpdateKind.UPDATE: (
        "Update on {{ service }} incident:\n"
        "\n"
        "Current status: {{ status | capitalize }}\n"
        "Progress: {{ progress }}\n"
        "Current impact: {{ impact }}\n"
        "\n"
        "Next update in: {{ next_update }}\n"
    ),
    UpdateKind.RESOLUTION: (
        "The {{ service }} incident has been resolved.\n"
        "\n"
        "Duration: {{ start }} - {{ end }}\n"
        "Root cause: {{ root_cause }}\n"
        "Actions taken: {{ actions_taken }}\n"
        "\n"
        "A detailed postmortem will follow.\n"
        "Thank you for your patience.\n"
    ),
}


def public_status(status: Status) -> UpdateStatus:
    """How an incident's status reads to stakeholders: before anyone is working on it,
    and after it is closed, the public still sees 'investigating' or 'resolved'."""
    match status:
        case Status.IDENTIFIED:
            return UpdateStatus.IDENTIFIED
        case Status.MONITORING:
            return UpdateStatus.MONITORING
        case Status.RESOLVED | Status.CLOSED:
            return UpdateStatus.RESOLVED
        case _:
            return UpdateStatus.INVESTIGATING


_STATUS_OF: dict[UpdateStatus, Status] = {
    UpdateStatus.INVESTIGATING: Status.INVESTIGATING,
    UpdateStatus.IDENTIFIED: Status.IDENTIFIED,
    UpdateStatus.MONITORING: Status.MONITORING,
    UpdateStatus.RESOLVED: Status.RESOLVED,
}


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    announced: UpdateStatus
    # The status the incident moves to with this update, or None to stay where it is.
    move_to: Status | None
    next_update_minutes: int | None


def plan_update(
    kind: UpdateKind,
    current: Status,
    requested: UpdateStatus | None = None,
    next_update_minutes: int | None = None,
    *,
    severity: Severity | None = None,
) -> UpdatePlan:
    """What an update announces and what it does to the incident. Naming a status moves
    the incident there (an update says where the response stands); a resolution resolves
    it; otherwise the public status stays as it is. 'postmortem' says the write-up is out:
    only after resolution, and it moves nothing. Nothing is promised after 'resolved';
    otherwise the wait is the one named, else the severity's cadence."""
    if kind is UpdateKind.RESOLUTION and requested not in (None, UpdateStatus.RESOLVED):
        raise DomainError(
            f"a resolution update announces 'resolved', not '{requested}'; "
            "use kind 'update' for other statuses"
        )
    if requested is UpdateStatus.POSTMORTEM:
        if current not in AFTER_RESOLUTION:
            raise DomainError(
                f"'postmortem' can be announced only once the incident is resolved or "
                f"closed; it is {current}. Resolve it first (kind 'resolution')"
            )
        if kind is not UpdateKind.UPDATE:
            raise DomainError("announce 'postmortem' with kind 'update'")
        return UpdatePlan(UpdateStatus.POSTMORTEM, None, None)
    if kind is UpdateKind.RESOLUTION:
        requested = UpdateStatus.RESOLVED
    announced = requested or public_status(current)
    move_to = None
    if requested is not None and _STATUS_OF[requested] is not current:
        move_to = _STATUS_OF[requested]
    if announced is UpdateStatus.RESOLVED:
        next_update_minutes = None
    elif next_update_minutes is None:
        next_update_minutes = update_cadence(severity)
    return UpdatePlan(announced, move_to, next_update_minutes)


def describe_minutes(minutes: int) -> str:
    """'30 minutes', '1 hour', '1 hour 30 minutes' — how people say a wait."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def format_moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z").strip()


@dataclass(frozen=True, slots=True)
class UpdateFacts:
    service: str
    affected_services: list[str]
    status: UpdateStatus
    started_at: datetime
    now: datetime
    resolved_at: datetime | None = None
    impact: str | None = None
    progress: str | None = None
    root_cause: str | None = None
    actions_taken: str | None = None
    next_update_minutes: int | None = DEFAULT_NEXT_UPDATE_MINUTES
    status_page_url: str = ""


def template_context(facts: UpdateFacts) -> dict[str, object]:
    """Fill every placeholder; a missing fact reads as a plain sentence, never a blank."""
    end = facts.resolved_at or facts.now
    return {
        "service": facts.service,
        "affected_services": facts.affected_services or [facts.service],
        "status": str(facts.status),
        "impact": facts.impact or "We are assessing the impact and will share it shortly.",
        "progress": facts.progress or "Our team continues to work on the problem.",
        "root_cause": facts.root_cause or "Under investigation; the postmortem will explain it.",
        "actions_taken": facts.actions_taken or "The fix has been applied and verified.",
        "next_update": (
            describe_minutes(facts.next_update_minutes)
            if facts.next_update_minutes
            else "when there is news"
        ),
        "status_page_url": facts.status_page_url,
        "start": format_moment(facts.started_at),
        "end": format_moment(end),
    }
