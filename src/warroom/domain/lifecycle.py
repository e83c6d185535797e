from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from warroom.domain.errors import InvalidTransition


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Phase(StrEnum):
    DETECTION = "detection"
    TRIAGE = "triage"
    RESPONSE = "response"
    RECOVERY = "recovery"
    ANALYSIS = "analysis"
    IMPROVEMENT = "improvement"
    CLOSED = "closed"


S = Status
# Forward moves may skip states (a monitoring source can resolve a triggered incident).
# Backward moves: an incident in recovery can fall back into response, and a resolved one
# can be reopened into investigation. An acknowledged incident nobody works on goes back
# to "triggered" (the acknowledgement timeout, or a person handing it back): paging starts
# again. Nothing else returns to "triggered", and nothing returns to "acknowledged": once
# work has started those are facts (it fired, someone took it), not a stage of work.
TRANSITIONS: Mapping[Status, tuple[Status, ...]] = {
    S.TRIGGERED: (S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED),
    # Forward moves first: lists (the page's status menu, the 409's `allowed`) offer the
    # usual next step before handing the incident back.
    S.ACKNOWLEDGED: (S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.TRIGGERED),
    S.INVESTIGATING: (S.IDENTIFIED, S.MONITORING, S.RESOLVED),
    S.IDENTIFIED: (S.INVESTIGATING, S.MONITORING, S.RESOLVED),
    S.MONITORING: (S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED),
    S.RESOLVED: (S.INVESTIGATING, S.CLOSED),
    S.CLOSED: (),
}

OPEN_STATUSES: tuple[Status, ...] = (
    S.TRIGGERED,
    S.ACKNOWLEDGED,
    S.INVESTIGATING,
    S.IDENTIFIED,
    S.MONITORING,
)

_ORDER: Mapping[Status, int] = {status: i for i, status in enumerate(Status)}


def at_least(status: Status, floor: Status) -> bool:
    """True when `status` is `floor` or further along the lifecycle."""
    return _ORDER[status] >= _ORDER[floor]


def allowed_moves(current: Status) -> list[Status]:
    return list(TRANSITIONS[current])


def phase_of(
    status: Status, *, postmortem_published: bool = False, open_action_items: int = 0
) -> Phase:
    match status:
        case S.TRIGGERED:
            return Phase.DETECTION
        case S.ACKNOWLEDGED:
            return Phase.TRIAGE
        case S.INVESTIGATING | S.IDENTIFIED:
            return Phase.RESPONSE
        case S.MONITORING:
            return Phase.RECOVERY
        case S.RESOLVED:
            if postmortem_published and open_action_items > 0:
                return Phase.IMPROVEMENT
            return Phase.ANALYSIS
        case S.CLOSED:
            return Phase.CLOSED


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What a move means for the incident's timestamps; the caller applies it."""

    old: Status
    new: Status
    reopened: bool
    # A person moving the incident out of "triggered" has taken it: that is the
    # acknowledgement MTTA measures, whichever status they chose.
    acknowledges: bool
    resolves: bool
    closes: bool
    # Back to "triggered" from "acknowledged": nobody holds it any more, page again.
    retriggers: bool = False


def transition(
    current: Status, requested: Status, *, by_person: bool, already_acknowledged: bool
) -> StatusChange:
    if requested not in TRANSITIONS[current]:
        raise InvalidTransition(current, requested, [str(s) for s in TRANSITIONS[current]])
    reopened = current is S.RESOLVED and requested is not S.CLOSED
    acknowledges = (
        not already_acknowledged
        and requested is not S.CLOSED
        and (requested is S.ACKNOWLEDGED or (by_person and at_least(requested, S.ACKNOWLEDGED)))
    )
    return StatusChange(
        old=current,
        new=requested,
        reopened=reopened,
        acknowledges=acknowledges,
        resolves=requested is S.RESOLVED,
        closes=requested is S.CLOSED,
        retriggers=current is S.ACKNOWLEDGED and requested is S.TRIGGERED,
    )
