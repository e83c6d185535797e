"""The quarterly drill reminder, driven by the engine on a fake clock: a team is reminded
90 days after it was created (or after its last drill), then every 7 days from that plan
until a drill starts; a drill moves the next reminder 90 days on."""

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.drills.conftest import DrillWorld
from warroom.drills.reminders import DRILL_REMINDER
from warroom.engine.models import Task, TaskState
from warroom.teams.actions import do_delete_team

DAY = 24 * 60


def reminded(drills: DrillWorld) -> list[tuple[str, str]]:
    return [
        (path.lstrip("/"), body["title"])
        for path, body in drills.world.receiver.requests
        if body["title"].startswith("Drill due")
    ]


def pending(drills: DrillWorld) -> list[datetime]:
    with drills.world.db.read() as session:
        return list(
            session.scalars(
                select(Task.due_at).where(
                    Task.kind == DRILL_REMINDER, Task.state == TaskState.PENDING
                )
            )
        )


def test_a_team_that_never_drilled_is_reminded_90_days_after_it_was_created_then_weekly(
    drills: DrillWorld,
) -> None:
    w = drills.world
    t0 = w.clock.now()
    drills.setup()
    assert pending(drills) == [t0 + timedelta(days=90)]

    w.at(90 * DAY - 1, t0)
    assert reminded(drills) == []
    w.at(90 * DAY, t0)
    title = "Drill due: team payments has not practised incident response yet"
    assert reminded(drills) == [("ann", title), ("bob", title)]
    body = w.receiver.requests[0][1]["message"]
    assert "Services the team owns: checkout" in body
    assert "http://warroom.test/drills/new" in body
    assert drills.team().drill_reminded_at == t0 + timedelta(days=90)

    w.at(97 * DAY - 1, t0)
    assert len(reminded(drills)) == 2
    w.at(97 * DAY, t0)
    assert len(reminded(drills)) == 4
    assert pending(drills) == [t0 + timedelta(days=104)]


def test_a_drill_moves_the_next_reminder_90_days_on(drills: DrillWorld) -> None:
    w = drills.world
    t0 = w.clock.now()
    drills.setup()
    w.at(90 * DAY, t0)
    assert len(reminded(drills)) == 2

    w.clock.set(t0 + timedelta(days=92))
    drills.start()
    assert pending(drills) == [t0 + timedelta(days=182)]

    w.at(97 * DAY, t0)  # the weekly reminder that would have come
    w.at(181 * DAY, t0)
    assert len(reminded(drills)) == 2
    w.at(182 * DAY, t0)
    assert reminded(drills)[2:] == [
        ("ann", "Drill due: team payments last practised incident response 90 days ago"),
        ("bob", "Drill due: team payments last practised incident response 90 days ago"),
    ]


def test_reminders_keep_to_their_plan_when_the_engine_runs_late(drills: DrillWorld) -> None:
    w = drills.world
    t0 = w.clock.now()
    drills.setup()

    # Three hours late: one reminder, and the next one is still a week after the plan.
    w.at(90 * DAY + 180, t0)
    assert len(reminded(drills)) == 2
    assert pending(drills) == [t0 + timedelta(days=97)]

    # Down for three weeks: one reminder on return, not one per missed week, and the
    # plan stays on its weekly steps.
    w.at(118 * DAY + 60, t0)
    assert len(reminded(drills)) == 4
    assert pending(drills) == [t0 + timedelta(days=125)]


def test_running_the_same_plan_twice_sends_one_reminder(drills: DrillWorld) -> None:
    w = drills.world
    t0 = w.clock.now()
    drills.setup()
    with w.db.write() as session:
        # A stray duplicate of the plan, as a crashed engine could leave.
        session.add(
            Task(
                kind=DRILL_REMINDER,
                payload={"team_id": drills.team().id},
                state=TaskState.PENDING,
                due_at=t0 + timedelta(days=90),
                attempts=0,
                version=0,
                created_at=t0,
            )
        )
    w.at(90 * DAY, t0)
    assert len(reminded(drills)) == 2
    assert pending(drills) == [t0 + timedelta(days=97)]


def test_a_deleted_team_is_not_reminded(drills: DrillWorld) -> None:
    w = drills.world
    t0 = w.clock.now()
    drills.setup()
    with w.db.write() as session:
        do_delete_team(session, ref="payments", now=t0)
    assert pending(drills) == []
    w.at(90 * DAY, t0)
    assert reminded(drills) == []
