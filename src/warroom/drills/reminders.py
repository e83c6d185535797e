"""The engine's quarterly drill reminder per team: one pending `drill_reminder` task per
team, due when the team's next drill is (90 days after its last one, or after the team
was created), then every 7 days until a drill starts. Each run tells the members (by the
per-person notices) and plans the next run from its planned time, not from when it ran.

The team's row is locked while its reminder is planned or run, so a drill starting and a
reminder running never plan past each other; the handler decides from the current facts
(the team's last drill), so a change only has to move the pending task.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain import drill as rules
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import TaskContext
from warroom.engine.tasks import enqueue
from warroom.paging.notices import notify_user
from warroom.teams import repository
from warroom.teams.models import Team

DRILL_REMINDER = "drill_reminder"


def _pending(session: Session, team_id: int) -> list[Task]:
    # One row per team at most: few enough to match the payload here rather than in SQL.
    rows = session.scalars(
        select(Task)
        .where(Task.kind == DRILL_REMINDER, Task.state == TaskState.PENDING)
        .order_by(Task.id)
    )
    return [t for t in rows if t.payload.get("team_id") == team_id]


def _running(task: Task, now: datetime) -> bool:
    return task.claimed_until is not None and task.claimed_until >= now


def _cancel(task: Task, now: datetime) -> None:
    task.state = TaskState.CANCELLED
    task.finished_at = now
    task.version += 1


def _keep_one(
    session: Session, team_id: int, *, due_at: datetime, now: datetime, running: int | None = None
) -> None:
    """Leave exactly one pending reminder for the team (besides `running`), due at `due_at`.
    A task another engine is running is left alone: it takes the team's lock after this
    commits and plans from the facts it then finds."""
    free = [t for t in _pending(session, team_id) if t.id != running and not _running(t, now)]
    if not free:
        enqueue(session, kind=DRILL_REMINDER, payload={"team_id": team_id}, due_at=due_at, now=now)
        return
    keep, *extra = free
    keep.due_at = due_at
    keep.version += 1
    for task in extra:
        _cancel(task, now)


def plan_drill_reminder(session: Session, *, team: Team, now: datetime) -> None:
    """Plan the team's reminder for when its next drill is due: called when the team is
    created and when one of its drills starts (which moves the due time 90 days on)."""
    repository.lock_team(session, team.id)
    last = repository.last_drill(session, team.id)
    due = rules.next_drill_due(
        team_created_at=team.created_at, last_drill_at=last.started_at if last else None
    )
    _keep_one(session, team.id, due_at=due, now=now)


def cancel_drill_reminders(session: Session, *, team_id: int, now: datetime) -> None:
    """The team is going away: its reminders end with it."""
    for task in _pending(session, team_id):
        if not _running(task, now):
            _cancel(task, now)


def drill_reminder(ctx: TaskContext) -> None:
    try:
        team_id = int(ctx.task.payload["team_id"])
    except (KeyError, TypeError, ValueError):
        with ctx.db.write() as session:
            ctx.complete(session)  # names no team: nothing to remind
        return
    now = ctx.clock.now()
    planned = ctx.task.due_at
    base = ctx.settings.base_url.rstrip("/")
    with ctx.db.write() as session:
        team = repository.lock_team(session, team_id)
        if team is None:  # deleted: its reminder ends with it
            ctx.complete(session)
            return
        last = repository.last_drill(session, team.id)
        last_at = last.started_at if last is not None else None
        due = rules.next_drill_due(team_created_at=team.created_at, last_drill_at=last_at)
        if rules.reminder_due(
            due_at=due, planned=planned, last_reminded_at=team.drill_reminded_at, now=now
        ):
            _remind(session, team, last_at, now=now, base=base)
        _keep_one(
            session,
            team.id,
            due_at=rules.next_reminder_at(planned=planned, due_at=due, now=now),
            now=now,
            running=ctx.task.id,
        )
        ctx.complete(session)


def _remind(
    session: Session, team: Team, last_drill_at: datetime | None, *, now: datetime, base: str
) -> None:
    team_url = f"{base}/teams/{team.id}"
    title, body = rules.reminder_message(
        team=team.name,
        services=repository.services_of(session, team.id),
        last_drill_at=last_drill_at,
        now=now,
        drills_url=f"{base}/drills/new",
        team_url=team_url,
    )
    for member in team.members:
        notify_user(
            session,
            user=member.user,
            kind=DRILL_REMINDER,
            title=title,
            body=body,
            now=now,
            url=team_url,
        )
    team.drill_reminded_at = now
