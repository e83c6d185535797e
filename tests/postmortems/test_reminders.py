"""Overdue action items are reminded by the engine, on a fake clock, on SQLite and
PostgreSQL: the first morning after the due date in the owner's time zone, then daily
from that planned time while the item stays open; never once it is finished; and a
changed due date replans (the old reminder does nothing)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.paging.conftest import Receiver, World, receiver, world
from warroom.domain.action_items import ActionItemStatus
from warroom.domain.timeline import EventType
from warroom.incidents.actions import do_resolve
from warroom.incidents.models import TimelineEvent
from warroom.postmortems import actions, repository
from warroom.users.repository import get_user

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

# The paging world: users on local receivers and the engine run by hand.
__all__ = ["Receiver", "receiver", "world"]


@pytest.fixture
def ops(world: World) -> World:
    world.users("owner", "other")
    world.service([(5, [{"user": "other"}])])
    return world


def item_on_resolved_incident(world: World, *, due_on: date, owner: str | None = "owner") -> int:
    iid = world.declare()
    world.ack(iid)
    with world.db.write() as session:
        do_resolve(session, incident_id=iid, actor="ann", now=world.clock.now())
        return actions.do_add_action_item(
            session,
            incident_id=iid,
            title="Add a canary stage",
            owner=owner,
            due_on=due_on,
            actor="ann",
            now=world.clock.now(),
        ).id


def reminders(world: World, handle: str = "owner") -> list[str]:
    return [
        body["title"]
        for path, body in world.receiver.requests
        if path == f"/{handle}" and body["title"].startswith("Action item overdue")
    ]


def overdue_events(world: World) -> list[tuple[datetime, dict[str, object]]]:
    with world.db.read() as session:
        return [
            (e.at, dict(e.data))
            for e in session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.type == EventType.ACTION_ITEM_OVERDUE)
                .order_by(TimelineEvent.id)
            )
        ]


def planned(world: World, item_id: int, state: str = "pending") -> list[datetime]:
    """When the item's reminder tasks in `state` are due (the incident has others, such
    as the runbook review's)."""
    return [
        t.due_at
        for t in world.tasks(1, "action_item_due")
        if t.payload["item_id"] == item_id and t.state == state
    ]


def at(world: World, when: datetime) -> None:
    world.clock.set(when)
    world.run()


def finish(world: World, item_id: int) -> None:
    with world.db.write() as session:
        item = repository.get_action_item(session, item_id)
        actions.finish_action_item(session, item=item, actor="owner", now=world.clock.now())


def test_it_reminds_the_owner_the_morning_after_the_due_date_then_daily(ops: World) -> None:
    item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    at(ops, datetime(2026, 1, 6, 23, 59, tzinfo=UTC))
    assert reminders(ops) == []  # the due day itself is still on time
    at(ops, datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    assert reminders(ops) == ["Action item overdue: Add a canary stage"]
    [(when, data)] = overdue_events(ops)
    assert when == datetime(2026, 1, 7, 9, 0, tzinfo=UTC)
    assert data["owner"] == "owner"
    assert data["due_on"] == "2026-01-06"
    at(ops, datetime(2026, 1, 8, 8, 59, tzinfo=UTC))
    assert len(reminders(ops)) == 1
    at(ops, datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 2
    assert len(overdue_events(ops)) == 2


def test_it_stops_reminding_once_the_item_is_finished(ops: World) -> None:
    item_id = item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    at(ops, datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    finish(ops, item_id)
    at(ops, datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    at(ops, datetime(2026, 1, 9, 9, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 1
    assert planned(ops, item_id) == []


def test_it_replans_when_the_due_date_moves(ops: World) -> None:
    item_id = item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    with ops.db.write() as session:
        actions.do_change_action_item(
            session,
            item_id=item_id,
            changes=actions.ItemChanges(due_on=date(2026, 1, 9), due_on_set=True),
            actor="owner",
            now=ops.clock.now(),
        )
    at(ops, datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    assert reminders(ops) == []  # the reminder for the old date does nothing
    at(ops, datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 1
    # Moved back to a date long past: reminded from the next morning on, once a morning
    # (not once per plan).
    with ops.db.write() as session:
        actions.do_change_action_item(
            session,
            item_id=item_id,
            changes=actions.ItemChanges(due_on=date(2026, 1, 6), due_on_set=True),
            actor="owner",
            now=ops.clock.now(),
        )
    at(ops, datetime(2026, 1, 11, 9, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 2  # the next morning, once for both plans
    at(ops, datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 3


def test_it_reminds_at_nine_in_the_owners_own_morning(ops: World) -> None:
    with ops.db.write() as session:
        get_user(session, "owner").time_zone = "America/New_York"  # UTC-5 in January
    item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    at(ops, datetime(2026, 1, 7, 13, 59, tzinfo=UTC))
    assert reminders(ops) == []
    at(ops, datetime(2026, 1, 7, 14, 0, tzinfo=UTC))
    assert len(reminders(ops)) == 1


def test_it_sends_one_reminder_after_an_outage_and_keeps_the_hour(ops: World) -> None:
    item_id = item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    at(ops, datetime(2026, 1, 10, 15, 30, tzinfo=UTC))  # no engine ran for days
    assert len(reminders(ops)) == 1
    assert planned(ops, item_id) == [datetime(2026, 1, 11, 9, 0, tzinfo=UTC)]


def test_it_records_an_unowned_overdue_item_without_telling_anyone(ops: World) -> None:
    item_on_resolved_incident(ops, due_on=date(2026, 1, 6), owner=None)
    at(ops, datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    assert reminders(ops) == []
    assert reminders(ops, "other") == []
    assert [d["title"] for _, d in overdue_events(ops)] == ["Add a canary stage"]


def test_it_does_nothing_for_an_item_finished_before_its_reminder(ops: World) -> None:
    item_id = item_on_resolved_incident(ops, due_on=date(2026, 1, 6))
    with ops.db.write() as session:
        item = repository.get_action_item(session, item_id)
        actions.finish_action_item(
            session,
            item=item,
            actor="owner",
            now=ops.clock.now(),
            status=ActionItemStatus.WONT_DO,
        )
    at(ops, datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    assert reminders(ops) == []
    assert overdue_events(ops) == []
