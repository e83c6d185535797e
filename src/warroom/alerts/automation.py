"""What a new incident from an alert sets going, as the reference practice's
`create_incident` does: room, people invited, first message, status page component.
Each step is optional per service, each leaves a timeline event, and anything that talks
to the outside world is a task row the engine runs after this transaction commits."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.domain.components import FOR_SEVERITY, ComponentStatus, worse
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import lock_service, set_component_status
from warroom.incidents.models import Incident
from warroom.services.models import Service

OPEN_ROOM = "open_room"


def on_incident_opened(
    session: Session, *, incident: Incident, service: Service, now: datetime
) -> None:
    if service.mark_component:
        mark_component(session, incident=incident, service=service, now=now)
    if service.open_room:
        # The task decides, when it runs, whether a room adapter is configured; without
        # one the incident page is the room and the task finishes with nothing to do.
        enqueue(
            session,
            kind=OPEN_ROOM,
            incident_id=incident.id,
            payload={"post_initial_message": service.post_initial_message},
            now=now,
        )
    # Paging the on-call is not here: do_declare starts the service's escalation policy,
    # for incidents opened by alerts and by people alike (warroom.paging).


def mark_component(
    session: Session, *, incident: Incident, service: Service, now: datetime
) -> None:
    """Worsen (never improve) the service's public component status to match."""
    service = lock_service(session, service)
    wanted = FOR_SEVERITY[incident.severity]
    current = ComponentStatus(service.component_status)
    if not worse(wanted, current):
        return
    set_component_status(session, incident, wanted, now=now)
