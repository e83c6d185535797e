"""Handoffs and readiness warnings driven by the engine on a fake clock: the incoming
person gets the checklist at the shift change (real incidents, the outgoing person's
notes) exactly once, downtime sends only the current handoff, and a shift starting with
no verified contact method warns its person and the schedule's owner a day ahead."""

import json
from datetime import timedelta

from sqlalchemy import select, update

from tests.paging.conftest import World, receiver, world
from warroom.domain.severity import Severity
from warroom.engine.models import Task, TaskState
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import do_declare
from warroom.oncall.actions import do_add_handoff_note, do_add_override, do_create_schedule
from warroom.oncall.handoffs import SCHEDULE_HANDOFFS
from warroom.oncall.repository import get_schedule
from warroom.services.actions import do_create_service
from warroom.users.models import ContactMethod, User
from warroom.users.repository import get_user

__all__ = ["receiver", "world"]


def team(world: World, *handles: str, verified: bool = True) -> None:
    world.users(*handles)
    if verified:
        verify(world, *handles)


def verify(world: World, *handles: str) -> None:
    with world.db.write() as session:
        ids = select(User.id).where(User.handle.in_(handles))
        session.execute(
            update(ContactMethod)
            .where(ContactMethod.user_id.in_(ids))
            .values(verified_at=world.clock.now())
        )


def daily(world: World, users: list[str], *, owner: str | None = None) -> None:
    """Daily turns; the first person's turn started 12 hours ago."""
    t = world.clock.now()
    with world.db.write() as session:
        do_create_schedule(
            session,
            name="primary",
            time_zone="UTC",
            layers=[
                {
                    "name": "daily",
                    "users": users,
                    "rotation_start": t - timedelta(hours=12),
                    "turn_length_hours": 24,
                }
            ],
            owner=owner,
            now=t,
        )


def messages(world: World, handle: str) -> list[str]:
    return [json.dumps(body) for path, body in world.receiver.requests if path == f"/{handle}"]


def handoffs(world: World) -> list[str]:
    return [
        path.lstrip("/")
        for path, body in world.receiver.requests
        if "You are now on call" in json.dumps(body)
    ]


def pending_timers(world: World) -> list[Task]:
    with world.db.read() as session:
        return list(
            session.scalars(
                select(Task).where(Task.kind == SCHEDULE_HANDOFFS, Task.state == TaskState.PENDING)
            )
        )


def declare(world: World, title: str) -> None:
    with world.db.write() as session:
        do_declare(
            session,
            title=title,
            severity=Severity.SEV2,
            service="checkout",
            description="",
            actor="ann",
            now=world.clock.now(),
        )


def test_it_hands_over_at_the_shift_change_with_open_incidents_and_the_outgoing_note(
    world: World,
) -> None:
    t = world.clock.now()
    team(world, "ann", "bob")
    with world.db.write() as session:
        do_create_service(session, name="checkout", now=t, open_room=False, mark_component=False)
    daily(world, ["ann", "bob"])
    world.run()
    declare(world, "Checkout latency above 2 s")
    world.clock.set(t + timedelta(hours=1))
    with world.db.write() as session:
        do_add_handoff_note(
            session,
            schedule=get_schedule(session, "primary"),
            user=get_user(session, "ann"),
            text="db-2 disk at 85%, cleanup cron runs tonight",
            now=world.clock.now(),
        )

    world.at(11 * 60 + 59, t)
    assert handoffs(world) == []
    world.at(12 * 60, t)

    assert handoffs(world) == ["bob"]
    [notice] = messages(world, "bob")
    for expected in (
        "Review open incidents",
        "Checkout latency above 2 s",
        "SEV-2",
        "Discuss recent issues",
        "db-2 disk at 85%, cleanup cron runs tonight",
        "Update documentation",
        "http://warroom.test/schedules/",
        "Confirm contact info",
        "@ann",
    ):
        assert expected in notice, expected
    assert messages(world, "ann") == []


def test_it_sends_each_handoff_once_however_often_and_by_however_many_engines_it_runs(
    world: World,
) -> None:
    t = world.clock.now()
    team(world, "ann", "bob")
    daily(world, ["ann", "bob"])
    world.at(12 * 60 + 1, t)
    assert handoffs(world) == ["bob"]

    world.run()
    world.engine("e2").run_once()
    # A stray second timer that still thinks nothing was handed over.
    with world.db.write() as session:
        schedule = get_schedule(session, "primary")
        enqueue(
            session,
            kind=SCHEDULE_HANDOFFS,
            payload={"schedule_id": schedule.id, "since": t.isoformat()},
            now=world.clock.now(),
        )
    world.engine("e2").run_once()
    world.run()

    assert handoffs(world) == ["bob"]
    assert len(pending_timers(world)) == 1


def test_it_sends_only_the_current_handoff_after_downtime_over_three_changes(
    world: World,
) -> None:
    t = world.clock.now()
    team(world, "ann", "bob", "cat")
    daily(world, ["ann", "bob", "cat"])
    world.run()
    # Changes at +12 h (bob), +36 h (cat), +60 h (ann): the engine was down for all.
    world.at(70 * 60, t)
    assert handoffs(world) == ["ann"]
    world.at(84 * 60, t)
    assert handoffs(world) == ["ann", "bob"]


def test_it_hands_over_when_an_override_puts_someone_else_on_call(world: World) -> None:
    t = world.clock.now()
    team(world, "ann", "bob", "cat")
    daily(world, ["ann", "bob"])
    world.run()
    with world.db.write() as session:
        do_add_override(
            session,
            schedule=get_schedule(session, "primary"),
            user="cat",
            start=t + timedelta(hours=2),
            end=t + timedelta(hours=4),
            actor="ann",
            now=world.clock.now(),
        )
    world.at(2 * 60, t)
    assert handoffs(world) == ["cat"]
    world.at(4 * 60, t)
    assert handoffs(world) == ["cat", "ann"]
    assert len(pending_timers(world)) == 1


def test_it_warns_the_person_and_the_owner_a_day_before_a_shift_nothing_verified_can_page(
    world: World,
) -> None:
    team(world, "ann", "olga")
    team(world, "bob", verified=False)
    daily(world, ["ann", "bob"], owner="olga")
    world.run()

    [to_bob] = messages(world, "bob")
    assert "Verify a contact method" in to_bob
    [to_owner] = messages(world, "olga")
    assert "@bob" in to_owner
    assert "no verified contact method" in to_owner
    assert messages(world, "ann") == []

    world.run()
    assert len(messages(world, "bob")) == 1


def test_it_does_not_warn_someone_with_a_verified_contact_method(world: World) -> None:
    team(world, "ann", "bob", "olga")
    daily(world, ["ann", "bob"], owner="olga")
    t = world.clock.now()
    world.run()
    world.at(11 * 60, t)
    assert messages(world, "olga") == []
    assert messages(world, "bob") == []
