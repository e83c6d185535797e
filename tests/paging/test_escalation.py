"""Paging end to end on SQLite and PostgreSQL: an incident on a service with a policy
pages each level at its planned time through real receivers, once, until someone
acknowledges; schedules resolve at the minute; failures show on the timeline."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.engine.helpers import events
from tests.paging.conftest import Mailbox, World
from warroom.domain.timeline import EventType
from warroom.engine.models import TaskState
from warroom.engine.tasks import enqueue
from warroom.paging.hooks import DELIVER_PAGE, ESCALATE, step_payload
from warroom.paging.models import Page, PageState
from warroom.services.actions import do_create_service

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])]


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "c")
    world.service(DEMO)
    return world


def test_levels_page_on_time_and_an_acknowledgement_stops_the_rest(demo: World) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    assert demo.paged() == ["a"]

    demo.at(4 + 59 / 60, t)
    assert demo.paged() == ["a"]
    demo.at(5, t)
    assert demo.paged() == ["a", "b"]

    demo.clock.set(t + timedelta(minutes=7))
    demo.ack(incident)
    for minute in (15, 30, 90):
        demo.at(minute, t)
    assert demo.paged() == ["a", "b"]

    assert demo.pages(incident) == [(1, 0, "a", "sent"), (1, 1, "b", "sent")]
    escalated = events(demo.db, incident, EventType.ESCALATED)
    assert [(e["level"], e["loop"], e["users"]) for e in escalated] == [
        (1, 1, ["a"]),
        (2, 1, ["b"]),
    ]
    sent = events(demo.db, incident, EventType.PAGE_SENT)
    assert [(e["user"], e["level"]) for e in sent] == [("a", 1), ("b", 2)]
    assert all("/a" in e["target"] or "/b" in e["target"] for e in sent)
    [level3] = demo.tasks(incident, ESCALATE)[2:]
    assert level3.state is TaskState.CANCELLED
    assert level3.due_at == t + timedelta(minutes=15)
    # The page names the incident and links to it.
    _, body = demo.receiver.requests[0]
    assert body["title"] == "[SEV-1] Checkout is failing"
    assert "checkout" in body["message"]
    assert f"http://warroom.test/incidents/{incident}" in body["message"]


def test_the_policy_repeats_when_nobody_acknowledges(world: World) -> None:
    world.users("a", "b", "c")
    world.service(DEMO, repeat=1)
    t = world.clock.now()
    incident = world.declare()
    world.run()
    for minute in (5, 15, 29, 30, 35, 45, 60, 120):
        world.at(minute, t)
        if minute == 29:
            assert world.paged() == ["a", "b", "c"]
    assert world.paged() == ["a", "b", "c", "a", "b", "c"]
    assert [(loop, level) for loop, level, _, _ in world.pages(incident)] == [
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 0),
        (2, 1),
        (2, 2),
    ]
    due = [task.due_at - t for task in world.tasks(incident, ESCALATE)]
    assert due == [timedelta(minutes=m) for m in (0, 5, 15, 30, 35, 45)]


def test_a_schedule_target_pages_whoever_is_on_call_at_that_minute(world: World) -> None:
    world.users("s1", "s2")
    t = world.clock.now()
    # Hourly turns handing over at t+3 min: s1 until then, s2 after.
    world.schedule(
        "primary",
        [
            {
                "name": "hourly",
                "users": ["s1", "s2"],
                "rotation_start": (t - timedelta(minutes=57)).replace(tzinfo=None),
                "turn_length_hours": 1,
            }
        ],
    )
    world.service([(5, [{"schedule": "primary"}]), (5, [{"schedule": "primary"}])])
    incident = world.declare()
    world.run()
    world.at(5, t)
    # Pages only: s2 also hears of the handoff at t+3 (and both of readiness).
    assert [(level, user) for _, level, user, _ in world.pages(incident)] == [(0, "s1"), (1, "s2")]
    assert [(e["level"], e["users"]) for e in events(world.db, incident, EventType.ESCALATED)] == [
        (1, ["s1"]),
        (2, ["s2"]),
    ]


def test_a_level_with_nobody_on_call_is_skipped_at_once(world: World) -> None:
    world.users("b", "c")
    t = world.clock.now()
    world.schedule(
        "ended",
        [
            {
                "name": "old",
                "users": ["b"],
                "rotation_start": (t - timedelta(days=3)).replace(tzinfo=None),
                "turn_length_hours": 24,
                "end": (t - timedelta(days=1)).replace(tzinfo=None),
            }
        ],
    )
    world.service([(5, [{"schedule": "ended"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])])
    incident = world.declare()
    world.run()
    # Level 1's five minutes are not waited out: level 2 is paged at once, and level 3
    # comes 10 minutes later (not 15).
    assert world.paged() == ["b"]
    [skipped] = events(world.db, incident, EventType.LEVEL_SKIPPED)
    assert skipped["level"] == 1
    assert "ended" in skipped["reason"]
    world.at(9.9, t)
    assert world.paged() == ["b"]
    world.at(10, t)
    assert world.paged() == ["b", "c"]


def test_a_server_error_is_retried_until_the_page_goes_out(demo: World) -> None:
    demo.receiver.status[:] = [500, 200]
    incident = demo.declare()
    demo.run()
    assert demo.paged() == ["a"]
    [page] = demo.pages(incident)
    assert page[3] == "pending"
    demo.clock.advance(seconds=11)
    demo.run()
    assert demo.paged() == ["a", "a"]
    assert demo.pages(incident) == [(1, 0, "a", "sent")]
    assert len(events(demo.db, incident, EventType.PAGE_SENT)) == 1
    assert events(demo.db, incident, EventType.PAGE_FAILED) == []
    assert events(demo.db, incident, EventType.AUTOMATION_FAILED) == []


def test_an_invalid_contact_fails_the_page_visibly(world: World) -> None:
    world.users("a", contacts=["notaurl://secret-token@nowhere"])
    world.users("b", contacts=[])
    world.service([(5, [{"user": "a"}, {"user": "b"}])])
    incident = world.declare()
    world.run()
    assert world.pages(incident) == [(1, 0, "a", "failed")]
    failed = events(world.db, incident, EventType.PAGE_FAILED)
    assert [(e["user"], e.get("permanent")) for e in failed] == [("b", None), ("a", True)]
    assert "no contact methods" in failed[0]["error"]
    assert "secret-token" not in str(failed)
    assert events(world.db, incident, EventType.AUTOMATION_FAILED) == []
    [deliver] = world.tasks(incident, DELIVER_PAGE)
    assert deliver.state is TaskState.DONE


def test_an_email_page_reaches_a_real_smtp_server(world: World, smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    url = f"mailto://127.0.0.1:{port}?from=warroom@example.com&to=ann@example.com&mode=insecure"
    world.users("ann", contacts=[url])
    world.service([(5, [{"user": "ann"}])])
    incident = world.declare()
    world.run()
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["ann@example.com"]
    email = message_from_bytes(envelope.content, policy=policy.default)
    assert email["Subject"] == "[SEV-1] Checkout is failing"
    assert world.pages(incident) == [(1, 0, "ann", "sent")]


def test_an_acknowledgement_cancels_pages_not_yet_sent(demo: World) -> None:
    incident = demo.declare()
    only_escalate = demo.engine()
    only_escalate.handlers = {ESCALATE: only_escalate.handlers[ESCALATE]}
    assert only_escalate.run_once() == 1
    demo.ack(incident)
    demo.run()
    assert demo.paged() == []
    assert demo.pages(incident) == [(1, 0, "a", "cancelled")]
    assert {t.state for t in demo.tasks(incident, DELIVER_PAGE)} == {TaskState.CANCELLED}


def test_a_step_run_again_creates_no_second_page(demo: World) -> None:
    incident = demo.declare()
    # A lost completion: the same step is run a second time.
    with demo.db.write() as session:
        enqueue(
            session,
            kind=ESCALATE,
            incident_id=incident,
            payload=step_payload(1, 0),
            now=demo.clock.now(),
        )
    demo.run()
    assert demo.paged() == ["a"]
    assert demo.pages(incident) == [(1, 0, "a", "sent")]
    with demo.db.read() as session:
        first = session.scalars(select(Page)).one()
        user_id, contact = first.user_id, first.contact
    again = Page(
        incident_id=incident,
        loop=1,
        level=0,
        user_id=user_id,
        contact=contact,
        state=PageState.PENDING,
        attempts=0,
        created_at=demo.clock.now(),
    )
    with demo.db.write() as session:
        session.add(again)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_overdue_steps_fire_at_once_in_order_after_downtime(demo: World) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.clock.advance(hours=1)
    demo.run()
    assert demo.paged() == ["a", "b", "c"]
    due = [task.due_at - t for task in demo.tasks(incident, ESCALATE)]
    assert due == [timedelta(minutes=m) for m in (0, 5, 15)]
    assert [e["level"] for e in events(demo.db, incident, EventType.ESCALATED)] == [1, 2, 3]


def test_a_service_without_a_policy_pages_nobody(world: World) -> None:
    world.users("a")
    with world.db.write() as session:
        do_create_service(session, name="quiet", now=world.clock.now(), open_room=False)
    incident = world.declare(service="quiet")
    world.run()
    assert world.tasks(incident, ESCALATE) == []
    assert world.paged() == []
