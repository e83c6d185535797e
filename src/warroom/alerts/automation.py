"""What a new incident from an alert sets going, as the reference practice's
`create_incident` does: room, people invited, first message, status page component.
Each step is optional per service, each leaves a timeline event, and anything that talks
to the outside world is a task row the engine runs after this transaction commits."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.components import FOR_SEVERITY, ComponentStatus, worse
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import SYNC_COMPONENT, set_component_status
from warroom.incidents.models import Incident
from warroom.services.models import Service

OPEN_ROOM = "open_room"


def on_incident_opened(
    session: Session, *, incident: Incident, service: Service, now: datetime
) -> None:
    if service.mark_component:
        enqueue(session, kind=SYNC_COMPONENT, incident_id=incident.id, now=now)
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


def worst_open_status(session: Session, service_id: int) -> ComponentStatus:
    """What the component says while alerts hold incidents open: the worst of their
    severities; operational when none is open."""
    severities = session.scalars(
        select(Incident.severity).where(
            Incident.service_id == service_id,
            Incident.status.in_(OPEN_STATUSES),
            Incident.dedup_key.is_not(None),
        )
    ).all()
    status = ComponentStatus.OPERATIONAL
    for severity in severities:
        if worse(FOR_SEVERITY[severity], status):
            status = FOR_SEVERITY[severity]
    return status


def sync_component(ctx: TaskContext) -> None:
    """Engine task: set the service's component from its open alert incidents, with the
    change on the timeline of the incident that called for it. Worked out from the
    current facts, so tasks arriving in any order, or twice, land on the same answer."""
    with ctx.db.write() as session:
        incident = session.get(Incident, ctx.task.incident_id)
        if incident is not None and incident.service.mark_component:
            service = session.scalar(
                select(Service)
                .where(Service.id == incident.service_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert service is not None
            wanted = worst_open_status(session, service.id)
            if wanted != service.component_status:
                set_component_status(session, incident, wanted, now=ctx.clock.now())
        ctx.complete(session)
