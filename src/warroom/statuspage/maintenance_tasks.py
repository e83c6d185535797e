"""The engine's side of scheduled maintenance: the tasks that start a maintenance at
`scheduled_for` and complete it at `scheduled_until` (planned by
warroom.statuspage.maintenances, which also names their kinds, START and COMPLETE).

Each task carries the planned time it was made for and does nothing when the maintenance
has since been rescheduled, moved by hand, or switched to manual: stale tasks are
harmless, so a reschedule only adds tasks.
"""

from datetime import datetime

from sqlalchemy import select

from warroom.domain.statuspage import MaintenanceStatus
from warroom.domain.timeline import SYSTEM_ACTOR
from warroom.engine.runner import TaskContext
from warroom.statuspage.maintenances import move
from warroom.statuspage.models import Maintenance


class MaintenanceTaskError(Exception):
    permanent = True


def _planned(ctx: TaskContext) -> tuple[int, datetime]:
    try:
        planned = datetime.fromisoformat(str(ctx.task.payload["planned"]))
        maintenance_id = int(ctx.task.payload["maintenance_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MaintenanceTaskError(
            f"{ctx.task.kind} task {ctx.task.id} names no maintenance and planned time"
        ) from exc
    if planned.tzinfo is None:
        raise MaintenanceTaskError(f"{ctx.task.kind} task {ctx.task.id}: planned time has no zone")
    return maintenance_id, planned


def maintenance_start(ctx: TaskContext) -> None:
    """At the planned start: start it if it is still scheduled for this moment and
    still meant to start by itself."""
    maintenance_id, planned = _planned(ctx)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        found = session.scalar(
            select(Maintenance)
            .where(Maintenance.id == maintenance_id)
            .with_for_update(of=Maintenance)
            .execution_options(populate_existing=True)
        )
        if (
            found is not None
            and found.status is MaintenanceStatus.SCHEDULED
            and found.auto_start
            and found.scheduled_for == planned
        ):
            move(
                session,
                found,
                MaintenanceStatus.IN_PROGRESS,
                body=None,
                actor=SYSTEM_ACTOR,
                now=now,
            )
        ctx.complete(session)


def maintenance_complete(ctx: TaskContext) -> None:
    """At the planned end: complete it (from any state: a scheduled one whose whole
    window passed unstarted is over too) unless it was rescheduled or is left to a
    person."""
    maintenance_id, planned = _planned(ctx)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        found = session.scalar(
            select(Maintenance)
            .where(Maintenance.id == maintenance_id)
            .with_for_update(of=Maintenance)
            .execution_options(populate_existing=True)
        )
        if (
            found is not None
            and found.status is not MaintenanceStatus.COMPLETED
            and found.auto_complete
            and found.scheduled_until == planned
        ):
            move(
                session, found, MaintenanceStatus.COMPLETED, body=None, actor=SYSTEM_ACTOR, now=now
            )
        ctx.complete(session)
