"""Queries for postmortems and action items: Session in, rows out."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from warroom.db.pagination import Page, paginate
from warroom.domain.action_items import FINISHED, ActionItemStatus, local_today
from warroom.domain.postmortem import PostmortemStatus
from warroom.errors import NotFound
from warroom.incidents.models import Incident
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.users.models import User

OPEN = tuple(s for s in ActionItemStatus if s not in FINISHED)


def find_postmortem(session: Session, incident_id: int) -> Postmortem | None:
    return session.scalar(select(Postmortem).where(Postmortem.incident_id == incident_id))


def get_postmortem(session: Session, incident_id: int) -> Postmortem:
    found = find_postmortem(session, incident_id)
    if found is None:
        raise NotFound(
            f"incident {incident_id} has no postmortem yet; start one with "
            f"POST /api/v1/incidents/{incident_id}/postmortem"
        )
    return found


def get_action_item(session: Session, item_id: int, *, for_update: bool = False) -> ActionItem:
    query = select(ActionItem).where(ActionItem.id == item_id)
    if for_update:
        query = query.with_for_update(of=ActionItem)
    item = session.scalar(query)
    if item is None:
        raise NotFound(f"no action item with id {item_id}")
    return item


def items_of(session: Session, incident_id: int) -> Sequence[ActionItem]:
    """An incident's items, open ones first, then by when they were added."""
    return session.scalars(
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(ActionItem.status.in_(FINISHED), ActionItem.id)
    ).all()


def count_open_items(session: Session, incident_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(ActionItem.id)).where(
                ActionItem.incident_id == incident_id, ActionItem.status.in_(OPEN)
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class ItemFilter:
    owner_id: int | None = None
    status: list[ActionItemStatus] | None = None
    incident_id: int | None = None
    # Only items overdue at this moment.
    overdue_at: datetime | None = None


def overdue_condition(session: Session, *, now: datetime) -> ColumnElement[bool]:
    """Open, and due before today where its owner is (UTC without an owner): one
    comparison per time zone people use, so the list stays one indexed query."""
    zones = session.scalars(select(User.time_zone).distinct()).all()
    owner_zone = select(User.time_zone).where(User.id == ActionItem.owner_id).scalar_subquery()
    by_zone = [
        and_(owner_zone == zone, ActionItem.due_on < local_today(now, zone)) for zone in zones
    ]
    unowned = and_(ActionItem.owner_id.is_(None), ActionItem.due_on < local_today(now, "UTC"))
    return and_(ActionItem.status.in_(OPEN), ActionItem.due_on.is_not(None), or_(unowned, *by_zone))


def _filtered(session: Session, query: Select[ActionItem], f: ItemFilter) -> Select[ActionItem]:
    if f.owner_id is not None:
        query = query.where(ActionItem.owner_id == f.owner_id)
    if f.status:
        query = query.where(ActionItem.status.in_(f.status))
    if f.incident_id is not None:
        query = query.where(ActionItem.incident_id == f.incident_id)
    if f.overdue_at is not None:
        query = query.where(overdue_condition(session, now=f.overdue_at))
    return query


def list_items(
    session: Session, f: ItemFilter, *, limit: int, cursor: str | None
) -> Page[ActionItem]:
    return paginate(
        session,
        _filtered(session, select(ActionItem), f),
        keys=[ActionItem.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def page_postmortems(
    session: Session,
    *,
    status: PostmortemStatus | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Postmortem]:
    """Newest first."""
    query = select(Postmortem)
    if status is not None:
        query = query.where(Postmortem.status == status)
    return paginate(
        session, query, keys=[Postmortem.id], limit=limit, cursor=cursor, descending=True
    )


def incidents_by_id(session: Session, ids: Sequence[int]) -> dict[int, Incident]:
    if not ids:
        return {}
    return {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))}


def open_items_of(session: Session, incident_ids: Sequence[int]) -> dict[int, list[ActionItem]]:
    """The open items of several incidents in one query."""
    found: dict[int, list[ActionItem]] = {i: [] for i in incident_ids}
    if incident_ids:
        rows = session.scalars(
            select(ActionItem)
            .where(ActionItem.incident_id.in_(incident_ids), ActionItem.status.in_(OPEN))
            .order_by(ActionItem.due_on, ActionItem.id)
        )
        for item in rows:
            found[item.incident_id].append(item)
    return found


def users_by_handle(session: Session, handles: Sequence[str]) -> dict[str, User]:
    if not handles:
        return {}
    return {u.handle: u for u in session.scalars(select(User).where(User.handle.in_(handles)))}
