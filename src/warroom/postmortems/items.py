"""The one writer of action items: every part that opens one (the postmortem, a person
on the incident page, warroom's runbook review) goes through create_action_item, so each
has its timeline event and its due-date reminder."""

from datetime import date, datetime

from sqlalchemy.orm import Session

from warroom.domain.action_items import ActionItemKind, ActionItemPriority, ActionItemStatus
from warroom.domain.timeline import EventType
from warroom.incidents.models import Incident, TimelineEvent
from warroom.postmortems.models import ActionItem
from warroom.users.models import User

ACTION_ITEM_DUE = "action_item_due"


def schedule_due_reminder(session: Session, *, item: ActionItem, now: datetime) -> None:
    """Plan the engine's reminder for an item's due date (when it is set or changed)."""
    return  # issue 6: the postmortems helper writes this


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
