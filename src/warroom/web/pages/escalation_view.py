"""What the incident page's escalation controls offer: the policy's levels (to jump to)
and the schedules (to page whoever is on call). Read-only; kept apart from the forms'
module so the page view can import it without importing the forms."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from warroom.domain.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.oncall.repository import list_schedules


@dataclass(frozen=True, slots=True)
class LevelChoice:
    number: int  # 1-based
    label: str  # "Level 2 — secondary, team-lead"


@dataclass(frozen=True, slots=True)
class EscalationControls:
    # Offered while nobody holds the incident and its service has a policy.
    can_escalate: bool
    # Offered until the incident is resolved or closed (also once acknowledged).
    can_page: bool
    policy: str | None = None
    levels: list[LevelChoice] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)


def _target_name(target: object) -> str:
    if isinstance(target, dict) and len(target) == 1:
        return str(next(iter(target.values())))
    return "?"


def escalation_controls(session: Session, incident: Incident) -> EscalationControls:
    over = incident.status in (Status.RESOLVED, Status.CLOSED)
    stored = incident.service.policy
    levels = [
        LevelChoice(
            number,
            f"Level {number} — " + ", ".join(_target_name(t) for t in level.get("targets") or []),
        )
        for number, level in enumerate(stored.levels if stored else [], start=1)
    ]
    return EscalationControls(
        can_escalate=bool(levels)
        and incident.status is Status.TRIGGERED
        and not incident.acknowledged_now,
        can_page=not over,
        policy=stored.name if stored else None,
        levels=levels,
        schedules=[schedule.name for schedule in list_schedules(session)],
    )
