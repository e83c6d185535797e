"""What the incident page shows of the incident's postmortem and action items."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus
from warroom.incidents.models import Incident
from warroom.postmortems import repository
from warroom.postmortems.schemas import ActionItemOut

# The page lists the open items; the postmortem page has them all.
SHOWN = 10


@dataclass(frozen=True, slots=True)
class PostmortemPanel:
    incident_id: int
    # None: not started yet.
    status: PostmortemStatus | None
    meeting_at: datetime | None
    published_at: datetime | None
    # A postmortem can be started now (resolved or closed, none yet).
    can_start: bool
    open_items: list[ActionItemOut]
    open_count: int
    overdue_count: int
    finished_count: int

    @property
    def link(self) -> str:
        return f"/incidents/{self.incident_id}/postmortem"


def postmortem_panel(session: Session, incident: Incident, *, now: datetime) -> object | None:
    """None while the incident is open and has no action items (nothing to show yet)."""
    postmortem = repository.find_postmortem(session, incident.id)
    items = repository.items_of(session, incident.id)
    if postmortem is None and not items and incident.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    still_open = [i for i in items if i.status in repository.OPEN]
    return PostmortemPanel(
        incident_id=incident.id,
        status=postmortem.status if postmortem is not None else None,
        meeting_at=postmortem.meeting_at if postmortem is not None else None,
        published_at=postmortem.published_at if postmortem is not None else None,
        can_start=postmortem is None and incident.status in (Status.RESOLVED, Status.CLOSED),
        open_items=[ActionItemOut.of(i, now=now) for i in still_open[:SHOWN]],
        open_count=len(still_open),
        overdue_count=sum(1 for i in still_open if i.overdue(now)),
        finished_count=len(items) - len(still_open),
    )
