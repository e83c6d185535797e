"""The one writer of action items: every part that opens one (the postmortem, a person
on the incident page, warroom's runbook review) goes through create_action_item, so each
has its timeline event and its due-date reminder."""

from datetime import date, datetime

from sqlalchemy.orm import Session

from warroom.domain.action_items import (
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    first_reminder_at,
    next_reminder_at,
)
from warroom.domain.timeline import EventType
from warroom.engine.tasks import enqueue
from warroom.incidents.models import Incident, TimelineEvent
from warroom.incidents.phase_time import note_phase
from warroom.postmortems.models import ActionItem
from warroom.users.models import User

ACTION_ITEM_DUE = "action_item_due"


def schedule_due_reminder(session: Session, *, item: ActionItem, now: datetime) -> None:
    """Plan the engine's reminder for an item's due date (when it is set or changed):
    the first morning it is overdue, in its owner's zone, or the next such morning when
    that has passed (an item added or moved late is not reminded the moment it is
    saved). A task planned for an earlier due date finds the date changed and does
    nothing (reminders.action_item_due)."""
    if item.due_on is None:
        return
    first = first_reminder_at(item.due_on, item.owner_zone)
    at = first if first > now else next_reminder_at(first, now=now, zone=item.owner_zone)
    plan_reminder(session, item=item, at=at, now=now)


def plan_reminder(session: Session, *, item: ActionItem, at: datetime, now: datetime) -> None:
    """A reminder task at `at` for the item as it is due now."""
    assert item.due_on is not None, "only an item with a due date is reminded"
    enqueue(
        session,
        kind=ACTION_ITEM_DUE,
        incident_id=item.incident_id,
        payload={"item_id": item.id, "due_on": item.due_on.isoformat(), "planned": at.isoformat()},
        due_at=at,
        now=now,
    )


def create_action_item(
    session: Session,
    *,
    incident: Incident,
    title: str,
    actor: str,
    now: datetime,
    kind: ActionItemKind = ActionItemKind.FOLLOW_UP,
    description: str = "",
    owner: User | None = None,
    due_on: date | None = None,
    priority: ActionItemPriority = ActionItemPriority.MEDIUM,
    tracker_url: str | None = None,
) -> ActionItem:
    # An open item can move a resolved incident with a published postmortem into
    # improvement: the time before it counts to the phase it was in.
    note_phase(incident, now)
    item = ActionItem(
        incident_id=incident.id,
        kind=kind,
        title=title,
        description=description,
        owner_id=owner.id if owner is not None else None,
        owner=owner,
        due_on=due_on,
        priority=priority,
        status=ActionItemStatus.OPEN,
        tracker_url=tracker_url,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    incident.updated_at = now
    # Inserted directly rather than through incidents.actions.record: that module opens
    # the runbook review through this one, and the event row is all record() writes.
    session.add(
        TimelineEvent(
            incident_id=incident.id,
            at=now,
            actor=actor,
            type=EventType.ACTION_ITEM_CREATED,
            data={
                "item_id": item.id,
                "title": title,
                "kind": str(kind),
                "owner": owner.handle if owner is not None else None,
                "due_on": due_on.isoformat() if due_on is not None else None,
                "priority": str(priority),
            },
        )
    )
    if due_on is not None:
        schedule_due_reminder(session, item=item, now=now)
    return item
