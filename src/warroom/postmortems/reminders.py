"""The engine's reminders for overdue action items (planned by items.schedule_due_reminder).

Each task names the item, the due date it was planned for and its planned time. It runs
under the item's row lock and does nothing when that plan is stale: the item is finished
or gone, its due date changed (a new task was planned for the new one), or this planned
time was already reminded (two plans for the same date). Otherwise the owner gets a
notice, the incident's timeline says so, and the next reminder is planned a day on from
the planned time, for as long as the item stays open and overdue."""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.action_items import (
    first_reminder_at,
    is_finished,
    local_today,
    next_reminder_at,
)
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.runner import TaskContext
from warroom.incidents.actions import record
from warroom.incidents.repository import get_incident
from warroom.paging.notices import notify_user
from warroom.postmortems.items import ACTION_ITEM_DUE, plan_reminder
from warroom.postmortems.models import ActionItem
from warroom.settings import Settings

__all__ = ["ACTION_ITEM_DUE", "action_item_due"]


class ReminderError(Exception):
    permanent = True


def action_item_due(ctx: TaskContext) -> None:
    payload = ctx.task.payload
    try:
        item_id = int(payload["item_id"])
        due_on = date.fromisoformat(str(payload["due_on"]))
        planned = datetime.fromisoformat(str(payload["planned"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ReminderError(f"action_item_due task {ctx.task.id} is malformed: {exc}") from exc
    now = ctx.clock.now()
    with ctx.db.write() as session:
        item = session.scalar(
            select(ActionItem).where(ActionItem.id == item_id).with_for_update(of=ActionItem)
        )
        stale = (
            item is None
            or is_finished(item.status)
            or item.due_on != due_on
            or (item.last_reminded_at is not None and item.last_reminded_at >= planned)
        )
        if item is None or stale:
            ctx.complete(session)
            return
        zone = item.owner_zone
        if local_today(now, zone) <= due_on:
            # Its owner changed to someone for whom the due day is not over yet.
            plan_reminder(session, item=item, at=first_reminder_at(due_on, zone), now=now)
        else:
            _remind(session, item, settings=ctx.settings, now=now)
            plan_reminder(
                session, item=item, at=next_reminder_at(planned, now=now, zone=zone), now=now
            )
        ctx.complete(session)


def _remind(session: Session, item: ActionItem, *, settings: Settings, now: datetime) -> None:
    assert item.due_on is not None
    incident = get_incident(session, item.incident_id)
    owner = item.owner
    item.last_reminded_at = now
    record(
        session,
        incident,
        EventType.ACTION_ITEM_OVERDUE,
        actor=SYSTEM_ACTOR,
        at=now,
        item_id=item.id,
        title=item.title,
        owner=owner.handle if owner is not None else None,
        due_on=item.due_on.isoformat(),
    )
    if owner is None:
        return  # the timeline (and the overdue lists) show it; nobody to tell
    days = (local_today(now, owner.time_zone) - item.due_on).days
    notify_user(
        session,
        user=owner,
        kind="action_item",
        title=f"Action item overdue: {item.title}",
        body=(
            f"Your action item from incident {incident.id} ({incident.title}) was due on "
            f"{item.due_on.isoformat()}, {days} day{'s' if days != 1 else ''} ago. Finish it, "
            "move its due date, or mark it won't do with a reason."
        ),
        now=now,
        incident_id=incident.id,
        url=settings.incident_url(incident.id) + "/postmortem#action-items",
    )
