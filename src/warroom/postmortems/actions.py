"""Every change to an action item, each one transaction: rule, rows, timeline events.
The postmortem document's own actions are in warroom.postmortems.documents."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.domain.action_items import ActionItemPriority, ActionItemStatus, is_finished
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus, closes_incident
from warroom.domain.timeline import EventType
from warroom.errors import Conflict, Invalid
from warroom.incidents.actions import apply_status, record
from warroom.incidents.models import Incident
from warroom.incidents.phase_time import note_phase
from warroom.incidents.repository import get_incident
from warroom.postmortems import repository
from warroom.postmortems.items import create_action_item, schedule_due_reminder
from warroom.postmortems.models import ActionItem
from warroom.users.repository import get_user

CLOSE_REASON = "all action items are done"


def close_if_done(session: Session, incident: Incident, *, actor: str, now: datetime) -> bool:
    """Close a resolved incident whose postmortem is published and whose action items
    are all finished; True if it closed now."""
    postmortem = repository.find_postmortem(session, incident.id)
    if not closes_incident(
        resolved=incident.status is Status.RESOLVED,
        published=postmortem is not None and postmortem.status is PostmortemStatus.PUBLISHED,
        open_action_items=repository.count_open_items(session, incident.id),
    ):
        return False
    apply_status(
        session, incident, Status.CLOSED, actor=actor, by_person=False, now=now, reason=CLOSE_REASON
    )
    return True


def _changed(
    session: Session,
    incident: Incident,
    item: ActionItem,
    changes: dict[str, Any],
    *,
    actor: str,
    now: datetime,
) -> None:
    item.updated_at = incident.updated_at = now
    record(
        session,
        incident,
        EventType.ACTION_ITEM_CHANGED,
        actor=actor,
        at=now,
        item_id=item.id,
        title=item.title,
        changes=changes,
    )


def finish_action_item(
    session: Session,
    *,
    item: ActionItem,
    actor: str,
    now: datetime,
    status: ActionItemStatus = ActionItemStatus.DONE,
) -> None:
    """The one place an item becomes done or won't-do; the last one finished closes its
    incident once the postmortem is published. Finishing a finished item as it already
    is changes nothing."""
    if not is_finished(status):
        raise Invalid(f"an action item is finished as done or wont_do, not {status}")
    if item.status is status:
        return
    incident = get_incident(session, item.incident_id, for_update=True)
    # The last open item finished ends the improvement phase: count it first.
    note_phase(incident, now)
    item.status = status
    item.completed_at = now
    _changed(session, incident, item, {"status": str(status)}, actor=actor, now=now)
    session.flush()
    close_if_done(session, incident, actor=actor, now=now)


@dataclass(frozen=True, slots=True)
class ItemChanges:
    """What a PATCH names; UNSET fields are left as they are (None clears a field)."""

    title: str | None = None
    description: str | None = None
    owner: str | None = None
    owner_set: bool = False
    due_on: date | None = None
    due_on_set: bool = False
    priority: ActionItemPriority | None = None
    tracker_url: str | None = None
    tracker_url_set: bool = False
    status: ActionItemStatus | None = None


def _load_writable(session: Session, incident_id: int) -> Incident:
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status is Status.CLOSED:
        raise Conflict(
            f"incident {incident_id} is closed: it takes no new action items; track "
            "further work on a new incident or in your tracker",
            allowed=[],
        )
    return incident


def do_add_action_item(
    session: Session,
    *,
    incident_id: int,
    title: str,
    actor: str,
    now: datetime,
    description: str = "",
    owner: str | None = None,
    due_on: date | None = None,
    priority: ActionItemPriority = ActionItemPriority.MEDIUM,
    tracker_url: str | None = None,
) -> ActionItem:
    incident = _load_writable(session, incident_id)
    return create_action_item(
        session,
        incident=incident,
        title=title,
        description=description,
        owner=get_user(session, owner) if owner is not None else None,
        due_on=due_on,
        priority=priority,
        tracker_url=tracker_url,
        actor=actor,
        now=now,
    )


def do_change_action_item(
    session: Session, *, item_id: int, changes: ItemChanges, actor: str, now: datetime
) -> ActionItem:
    """Any field; a finished status goes through finish_action_item. An open item of a
    closed incident (closed by hand) can still be worked on and finished."""
    item = repository.get_action_item(session, item_id, for_update=True)
    incident = get_incident(session, item.incident_id, for_update=True)
    if incident.status is Status.CLOSED and is_finished(item.status):
        # Its incident closed with this work done (or decided against): reopening it
        # would leave a closed incident with open work, which the lifecycle has no
        # phase for.
        raise Conflict(
            f"action item {item.id} is {item.status} and incident {incident.id} is "
            "closed: a finished item of a closed incident cannot be reopened or changed; "
            "open a new action item on a new incident instead",
            allowed=[],
        )
    said: dict[str, Any] = {}
    if changes.title is not None and changes.title != item.title:
        item.title = said["title"] = changes.title
    if changes.description is not None and changes.description != item.description:
        item.description = changes.description
        said["description"] = "edited"
    if changes.owner_set:
        owner = get_user(session, changes.owner) if changes.owner is not None else None
        if (owner.id if owner else None) != item.owner_id:
            item.owner, item.owner_id = owner, owner.id if owner else None
            said["owner"] = owner.handle if owner else None
    due_changed = changes.due_on_set and changes.due_on != item.due_on
    if due_changed:
        item.due_on = changes.due_on
        said["due_on"] = changes.due_on.isoformat() if changes.due_on else None
    if changes.priority is not None and changes.priority is not item.priority:
        item.priority = changes.priority
        said["priority"] = str(changes.priority)
    if changes.tracker_url_set and changes.tracker_url != item.tracker_url:
        item.tracker_url = said["tracker_url"] = changes.tracker_url
    was_finished = is_finished(item.status)
    if (
        changes.status is not None
        and not is_finished(changes.status)
        and changes.status is not item.status
    ):
        # A reopened item can move the incident back into improvement.
        note_phase(incident, now)
        item.status = changes.status
        item.completed_at = None
        said["status"] = str(changes.status)
    if said:
        _changed(session, incident, item, said, actor=actor, now=now)
    # A new due date, or a finished item reopened, needs a reminder plan of its own (the
    # old plan's tasks find the date changed, or found the item finished, and stop).
    replan = due_changed or (was_finished and not is_finished(item.status))
    if replan and item.due_on is not None and not is_finished(item.status):
        schedule_due_reminder(session, item=item, now=now)
    if changes.status is not None and is_finished(changes.status):
        finish_action_item(session, item=item, actor=actor, now=now, status=changes.status)
    session.flush()
    return item
