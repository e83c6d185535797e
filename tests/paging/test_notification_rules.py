"""Scenarios on the fake clock: pages follow each person's notification rules, wait for
their waking hours when the incident is not urgent, respect per-contact throttling, and
show permanent failures on the incident and the contact method."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.engine.helpers import events
from tests.paging.conftest import World
from warroom.domain.severity import Severity
from warroom.domain.timeline import EventType
from warroom.engine.models import TaskState
from warroom.incidents.actions import do_change_severity, do_declare
from warroom.paging.hooks import DELIVER_PAGE
from warroom.paging.notices import notify_user
from warroom.users import contact_actions
from warroom.users.contacts import contact_methods_of
from warroom.users.repository import get_user

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def person(world: World, handle: str, rules: list[tuple[str, float]], **profile: object) -> None:
    """`handle` with one method per distinct path in `rules` (json://…/<path>), paged
    through each path after its delay."""
    with world.db.write() as session:
        world.users(handle, contacts=[])
        user = get_user(session, handle)
        ids: dict[str, int] = {}
        for path, _ in rules:
            if path not in ids:
                ids[path] = contact_actions.do_add_contact_method(
                    session,
                    user=user,
                    url=world.url(path),
                    now=world.clock.now(),
                    delay_minutes=None,
                ).id
        contact_actions.do_set_notification_rules(
            session,
            user=user,
            wanted=[contact_actions.RuleIn(ids[p], d) for p, d in rules],
        )
        if profile:
            contact_actions.do_update_user(session, user=user, **profile)  # type: ignore[arg-type]


def declare(world: World, severity: Severity = Severity.SEV1) -> int:
    with world.db.write() as session:
        return do_declare(
            session,
            title="Checkout is failing",
            severity=severity,
            service="checkout",
            actor="ada",
            now=world.clock.now(),
        ).id


def test_it_pages_each_rule_after_its_delay(world: World) -> None:
    person(world, "ann", [("ann-email", 0), ("ann-hook", 3)])
    world.service([(30, [{"user": "ann"}])])
    t = world.clock.now()
    declare(world)
    world.run()
    assert world.paged() == ["ann-email"]
    world.at(2.9, t)
    assert world.paged() == ["ann-email"]
    world.at(3, t)
    assert world.paged() == ["ann-email", "ann-hook"]


def test_it_lets_an_acknowledgement_cancel_later_rule_pages(world: World) -> None:
    person(world, "ann", [("ann-email", 0), ("ann-sms", 5)])
    world.service([(30, [{"user": "ann"}])])
    t = world.clock.now()
    incident = declare(world)
    world.run()
    world.clock.set(t + timedelta(minutes=2))
    world.ack(incident)
    world.at(10, t)
    assert world.paged() == ["ann-email"]
    assert [state for *_, state in world.pages(incident)] == ["sent", "cancelled"]


def test_it_keeps_a_sev3_page_for_waking_hours_while_the_next_level_pages_on_time(
    world: World,
) -> None:
    # 03:00 in Berlin (CET, UTC+1) is 02:00 UTC; Ann's day starts at 08:00 Berlin time.
    world.clock.set(datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
    person(world, "ann", [("ann", 0)], time_zone="Europe/Berlin", waking_hours=("08:00", "22:00"))
    person(world, "bob", [("bob", 0)])
    world.service([(5, [{"user": "ann"}]), (5, [{"user": "bob"}])])
    t = world.clock.now()
    incident = declare(world, Severity.SEV3)
    world.run()
    assert world.paged() == []
    world.at(5, t)
    assert world.paged() == ["bob"]  # the escalation did not wait for Ann
    world.at(5 * 60 - 1, t)  # 07:59 in Berlin
    assert world.paged() == ["bob"]
    world.at(6 * 60, t)  # 08:00 in Berlin
    assert world.paged() == ["bob", "ann"]
    [ann_page] = [
        p for p in world.tasks(incident, DELIVER_PAGE) if p.due_at > t + timedelta(hours=1)
    ]
    assert ann_page.due_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)


def test_it_pages_a_sev1_at_once_even_at_night(world: World) -> None:
    world.clock.set(datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
    person(world, "ann", [("ann", 0)], time_zone="Europe/Berlin", waking_hours=("08:00", "22:00"))
    world.service([(5, [{"user": "ann"}])])
    declare(world, Severity.SEV1)
    world.run()
    assert world.paged() == ["ann"]


def test_it_holds_the_sixth_message_in_a_minute_to_one_contact(world: World) -> None:
    person(world, "ann", [("ann", 0)])
    world.service([(30, [{"user": "ann"}])])
    t = world.clock.now()
    with world.db.write() as session:
        user = get_user(session, "ann")
        for n in range(5):
            notify_user(session, user=user, kind="reminder", title=f"r{n}", body="b", now=t)
    world.run()
    assert len(world.paged()) == 5
    world.clock.set(t + timedelta(seconds=20))
    incident = declare(world)
    world.run()
    assert len(world.paged()) == 5  # the page waits for the throttle
    [deliver] = world.tasks(incident, DELIVER_PAGE)
    assert deliver.state is TaskState.PENDING
    assert deliver.due_at == t + timedelta(minutes=1)
    assert deliver.attempts == 0  # waiting out a throttle is not a failed attempt
    world.at(1, t)
    assert len(world.paged()) == 6
    assert world.receiver.requests[-1][1]["title"] == "[SEV-1] Checkout is failing"


def test_it_shows_a_permanent_failure_on_the_incident_and_the_contact_method(
    world: World,
) -> None:
    person(world, "ann", [("ann", 0)])
    world.receiver.status[:] = [404]
    world.service([(30, [{"user": "ann"}])])
    incident = declare(world)
    world.run()
    [failed] = events(world.db, incident, EventType.PAGE_FAILED)
    assert failed["user"] == "ann"
    assert failed["permanent"] is True
    with world.db.read() as session:
        [method] = contact_methods_of(session, get_user(session, "ann").id)
        assert method.last_error
        assert method.last_failed_at == world.clock.now()


def test_it_sends_a_held_night_page_at_once_when_the_incident_is_raised_to_sev1(
    world: World,
) -> None:
    # 03:00 in Berlin: the SEV-3 page to Ann waits for 08:00 ...
    world.clock.set(datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
    person(world, "ann", [("ann", 0), ("ann-sms", 20)], time_zone="Europe/Berlin")
    with world.db.write() as session:
        contact_actions.do_update_user(
            session,
            user=get_user(session, "ann"),
            waking_hours=("08:00", "22:00"),  # type: ignore[arg-type]
        )
    world.service([(60, [{"user": "ann"}])])
    t = world.clock.now()
    incident = declare(world, Severity.SEV3)
    world.run()
    world.at(10, t)
    assert world.paged() == []
    # ... until someone raises it to SEV-1 at 03:10: the held page goes out at once, and
    # the 20-minute rule keeps its own delay instead of also going out now.
    world.clock.set(t + timedelta(minutes=10))
    with world.db.write() as session:
        do_change_severity(
            session,
            incident_id=incident,
            severity=Severity.SEV1,
            actor="ada",
            now=world.clock.now(),
        )
    world.run()
    assert world.paged() == ["ann"]
    world.at(19, t)
    assert world.paged() == ["ann"]
    world.at(20, t)
    assert world.paged() == ["ann", "ann-sms"]
