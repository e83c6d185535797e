"""Timeline events as the sentences an incident commander reads down the page."""

from dataclasses import dataclass
from datetime import datetime

from warroom.domain.timeline import SYSTEM_ACTOR
from warroom.incidents.models import TimelineEvent
from warroom.incidents.presentation import EventGroup, describe_event


@dataclass(frozen=True, slots=True)
class TimelineLine:
    at: datetime
    actor: str
    type: str
    text: str
    # Free text a person typed (a note), shown as its own block under the line.
    detail: str | None = None
    # A coarse group for styling: state, people, checklist, comms, alarm, note, system.
    group: EventGroup = "system"


def describe(event: TimelineEvent) -> TimelineLine:
    data = event.data if isinstance(event.data, dict) else {}
    said = describe_event(str(event.type), data)
    return TimelineLine(
        at=event.at,
        actor="system" if event.actor == SYSTEM_ACTOR else event.actor,
        type=str(event.type),
        text=said.text,
        detail=said.detail,
        group=said.group,
    )
