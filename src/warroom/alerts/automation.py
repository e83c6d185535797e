"""What a new incident from an alert sets going, as the reference practice's
`create_incident` does: room, people invited, first message, status page component.
Each step is optional per service, each leaves a timeline event, and anything that talks
to the outside world is a task row the engine runs after this transaction commits."""

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.domain.timeline import SYSTEM_ACTOR
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import refresh_affected
from warroom.incidents.models import Incident
from warroom.services.models import Service

OPEN_ROOM = "open_room"


def on_incident_opened(
    session: Session, *, incident: Incident, service: Service, now: datetime
) -> None:
    # The status-page component is not here: do_declare links every incident on a
    # service with a component to it (opened by alerts and by people alike), and the
    # engine's sync_component below works the component's status out.
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


def sync_component(ctx: TaskContext) -> None:
    """Engine task: work out again the status of every component the incident affects
    (it opened, resolved, reopened or changed severity), each change on the timeline of
    the incident that called for it. Worked out from the current facts, so tasks arriving
    in any order, or twice, land on the same answer."""
    with ctx.db.write() as session:
        incident = session.get(Incident, ctx.task.incident_id)
        if incident is not None:
            refresh_affected(
                session, incident, actor=SYSTEM_ACTOR, now=ctx.clock.now(), automatic=True
            )
        ctx.complete(session)
