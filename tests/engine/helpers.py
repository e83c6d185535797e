"""Small builders shared by the engine tests."""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.domain.timeline import EventType
from warroom.engine.models import Task
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import do_declare
from warroom.incidents.models import TimelineEvent
from warroom.services.actions import do_create_service


def an_incident(db: Database, clock: FakeClock, *, service: str = "checkout") -> int:
    with db.write() as session:
        do_create_service(session, name=service, now=clock.now())
        incident = do_declare(
            session,
            title="Checkout is failing",
            severity=Severity.SEV2,
            service=service,
            actor="ada",
            now=clock.now(),
        )
        return incident.id


def a_task(
    db: Database,
    clock: FakeClock,
    *,
    kind: str = "probe",
    incident_id: int | None = None,
    due_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    with db.write() as session:
        task = enqueue(
            session,
            kind=kind,
            now=clock.now(),
            incident_id=incident_id,
            payload=payload,
            due_at=due_at,
        )
        session.flush()
        return task.id


def task_row(db: Database, task_id: int) -> Task:
    with db.read() as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task


def events(db: Database, incident_id: int, type: EventType) -> list[dict[str, Any]]:
    with db.read() as session:
        return [
            dict(e.data)
            for e in session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id, TimelineEvent.type == type)
                .order_by(TimelineEvent.id)
            )
        ]
