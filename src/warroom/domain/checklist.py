from collections.abc import Iterable
from dataclasses import dataclass, field

from warroom.domain.errors import DomainError
from warroom.domain.lifecycle import Status, at_least
from warroom.domain.roles import Role, team_assembled

ITEMS: tuple[str, ...] = (
    "Acknowledge incident",
    "Assess severity",
    "Assemble response team",
    "Create incident channel/bridge",
    "Begin investigation",
    "Communicate status",
    "Implement fixes",
    "Verify resolution",
    "Document timeline",
    "Schedule postmortem",
)

# What completes each item without anyone ticking it, shown beside the item.
COMPLETED_BY: tuple[str, ...] = (
    "the incident is acknowledged",
    "a person confirms or changes the severity",
    "an incident commander and one more role are assigned",
    "an incident room is opened",
    "status is investigating or later",
    "the first stakeholder update is published",
    "status is monitoring or later",
    "status is resolved",
    "the postmortem timeline is generated",
    "a postmortem meeting time is set",
)


def item_name(number: int) -> str:
    """Items are numbered from 1, as people read them."""
    if not 1 <= number <= len(ITEMS):
        raise DomainError(f"checklist items are numbered 1 to {len(ITEMS)}; got {number}")
    return ITEMS[number - 1]


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """The facts about an incident that tick checklist items by themselves."""

    status: Status
    acknowledged: bool = False
    severity_assessed: bool = False
    roles: dict[Role, str] = field(default_factory=dict)
    room_opened: bool = False
    update_published: bool = False
    postmortem_timeline_generated: bool = False
    postmortem_meeting_set: bool = False


def satisfied(facts: IncidentFacts) -> set[int]:
    checks = (
        facts.acknowledged,
        facts.severity_assessed,
        team_assembled(facts.roles),
        facts.room_opened,
        at_least(facts.status, Status.INVESTIGATING),
        facts.update_published,
        at_least(facts.status, Status.MONITORING),
        at_least(facts.status, Status.RESOLVED),
        facts.postmortem_timeline_generated,
        facts.postmortem_meeting_set,
    )
    return {i for i, ok in enumerate(checks, start=1) if ok}


def newly_completed(facts: IncidentFacts, completed: Iterable[int]) -> list[int]:
    """Items the facts satisfy that are not yet ticked. Ticks are never taken back:
    reopening an incident does not undo that it was once verified resolved."""
    return sorted(satisfied(facts) - set(completed))


@dataclass(frozen=True, slots=True)
class ChecklistReport:
    completed: list[str]
    missing: list[str]
    compliance: float


def report(completed: Iterable[int]) -> ChecklistReport:
    done = set(completed)
    return ChecklistReport(
        completed=[name for i, name in enumerate(ITEMS, start=1) if i in done],
        missing=[name for i, name in enumerate(ITEMS, start=1) if i not in done],
        compliance=len(done & set(range(1, len(ITEMS) + 1))) / len(ITEMS),
    )
