"""Restarting an escalation: the policy starts again from level 1 as if the incident had
triggered then; what was pending is cancelled, earlier pages stay as history, and every
step of the new run pages once. Plus the pure planning rule behind it (`plan_from`)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine.helpers import events
from tests.paging.conftest import World
from warroom.domain.errors import DomainError
from warroom.domain.escalation import Level, Policy, StepKey, Target, plan, plan_from
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EventType
from warroom.engine.claims import claim_due
from warroom.engine.models import TaskState
from warroom.incidents.repository import get_incident
from warroom.paging.hooks import ESCALATE, restart_escalation

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])]
T = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "c")
    world.service(DEMO)
    return world


def restart(world: World, incident_id: int, *, retrigger: bool = False) -> None:
    with world.db.write() as session:
        incident = get_incident(session, incident_id, for_update=True)
        if retrigger:
            # What an acknowledgement timeout does before it restarts the escalation.
            incident.acknowledged_at = None
            incident.status = Status.TRIGGERED
        restart_escalation(session, incident_id=incident_id, now=world.clock.now())


def test_it_pages_level_1_again_at_once_and_level_2_a_delay_after_the_restart(
    demo: World,
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(5, t)
    assert demo.paged_for_incident() == ["a", "b"]

    demo.at(8, t)
    restart(demo, incident)
    demo.run()
    assert demo.paged_for_incident() == ["a", "b", "a"]  # level 1 again, at once

    demo.at(12.9, t)  # the old run's level 3 (+15) and the new level 2 (+13) are not due
    assert demo.paged_for_incident() == ["a", "b", "a"]
    demo.at(13, t)
    assert demo.paged_for_incident() == ["a", "b", "a", "b"]
    demo.at(15, t)  # the old run's level 3 was cancelled
    assert demo.paged_for_incident() == ["a", "b", "a", "b"]
    demo.at(23, t)
    assert demo.paged_for_incident() == ["a", "b", "a", "b", "c"]
    demo.at(120, t)
    assert demo.paged_for_incident() == ["a", "b", "a", "b", "c"]

    # Earlier pages stay as history; the new run counts its loop on from the old one's.
    assert demo.pages(incident) == [
        (1, 0, "a", "sent"),
        (1, 1, "b", "sent"),
        (2, 0, "a", "sent"),
        (2, 1, "b", "sent"),
        (2, 2, "c", "sent"),
    ]
    escalated = events(demo.db, incident, EventType.ESCALATED)
    assert [(e["loop"], e["level"]) for e in escalated] == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3)]


def test_it_cancels_the_pending_level_and_pages_after_an_acknowledgement_timed_out(
    demo: World,
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(2, t)
    demo.ack(incident)
    demo.at(30, t)
    assert demo.paged_for_incident() == ["a"]

    restart(demo, incident, retrigger=True)
    demo.run()
    assert demo.paged_for_incident() == ["a", "a"]
    demo.at(34.9, t)
    assert demo.paged_for_incident() == ["a", "a"]
    demo.at(35, t)
    assert demo.paged_for_incident() == ["a", "a", "b"]
    # The due times come from the restart, not from when each step ran.
    due = [task.due_at for task in demo.tasks(incident, ESCALATE)]
    assert due[-3:] == [t + timedelta(minutes=m) for m in (30, 35, 45)]


def test_it_leaves_the_old_runs_pending_level_unpaged(demo: World) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(2, t)
    restart(demo, incident)  # level 2 of the first run was due at +5
    demo.run()
    demo.at(5, t)
    assert demo.paged_for_incident() == ["a", "a"]
    demo.at(7, t)  # the new run's level 2: the restart (+2) plus 5 minutes
    assert demo.paged_for_incident() == ["a", "a", "b"]
    old_level2 = demo.tasks(incident, ESCALATE)[1]
    assert old_level2.state is TaskState.CANCELLED


def test_it_does_not_let_a_step_already_claimed_by_an_engine_page_after_a_restart(
    demo: World,
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.clock.set(t + timedelta(minutes=5))
    engine = demo.engine("slow")
    # An engine claims the old run's level 2, then a restart commits before it runs it.
    [claimed] = claim_due(
        demo.db, name="slow", now=demo.clock.now(), lease=engine.lease, limit=1, kinds=[ESCALATE]
    )
    restart(demo, incident)
    engine._run(claimed)  # the engine runs the step it claimed, after the restart
    demo.run()
    assert demo.paged_for_incident() == [
        "a",
        "a",
    ]  # only the new run's level 1; nobody on old level 2
    assert demo.tasks(incident, ESCALATE)[1].state is TaskState.CANCELLED
    demo.at(10, t)
    assert demo.paged_for_incident() == ["a", "a", "b"]


def test_it_does_nothing_visible_for_an_incident_without_a_policy(world: World) -> None:
    from warroom.services.actions import do_create_service

    with world.db.write() as session:
        do_create_service(
            session, name="search", now=world.clock.now(), open_room=False, mark_component=False
        )
    incident = world.declare(service="search")
    restart(world, incident)
    world.run()
    assert world.paged_for_incident() == []
    assert events(world.db, incident, EventType.ESCALATED) == []


# The planning rule, pure.

delays = st.lists(
    st.floats(min_value=0, max_value=600, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=5,
)


def policy_of(minutes: list[float], repeat: int) -> Policy:
    return Policy("p", tuple(Level(m, (Target.user("u"),)) for m in minutes), repeat)


@given(
    delays,
    st.integers(0, 3),
    st.integers(0, 4),
    st.integers(1, 20),
    st.timedeltas(timedelta(0), timedelta(days=30)),
)
def test_it_rebases_a_plan_keeping_the_policys_gaps(
    minutes: list[float], repeat: int, level: int, loop: int, later: timedelta
) -> None:
    policy = policy_of(minutes, repeat)
    level %= len(minutes)
    base = T + later
    steps = plan_from(policy, base, StepKey(loop, level))
    assert steps[0].key == StepKey(loop, level)
    assert steps[0].due_at == base
    assert all(step.due_at >= base for step in steps)
    # Keys strictly increase (no key repeats), and never reach below the starting loop.
    keys = [step.key for step in steps]
    assert keys == sorted(set(keys))
    assert len(steps) == len(minutes) - level + repeat * len(minutes)
    # Each gap is the delay of the level before it: the same spacing as the trigger's plan.
    for before, after in itertools.pairwise(steps):
        assert after.due_at - before.due_at == policy.levels[before.level_index].delay


@given(delays, st.integers(0, 3), st.timedeltas(timedelta(0), timedelta(days=30)))
def test_it_plans_a_restart_from_level_1_of_loop_1_like_the_trigger(
    minutes: list[float], repeat: int, later: timedelta
) -> None:
    policy = policy_of(minutes, repeat)
    assert plan_from(policy, T + later, StepKey(1, 0)) == plan(policy, T + later)


def test_it_refuses_to_start_a_run_at_a_level_the_policy_does_not_have() -> None:
    with pytest.raises(DomainError, match="levels 1 to 2"):
        plan_from(policy_of([5, 10], 0), T, StepKey(1, 2))
