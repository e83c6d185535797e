from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.engine.models import Task, TaskState


def enqueue(
    session: Session,
    *,
    kind: str,
    now: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> Task:
    """Background work, committed with the change that calls for it or not at all."""
    task = Task(
        kind=kind,
        incident_id=incident_id,
        payload=payload or {},
        state=TaskState.PENDING,
        due_at=due_at or now,
        attempts=0,
        version=0,
        created_at=now,
    )
    session.add(task)
    return task
