"""Escalation timing: when each level of a policy is due, and how skips, manual escalation
and acknowledgement change that. Pure; no database, no clock."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.errors import DomainError
from warroom.domain.escalation import (
    Level,
    Policy,
    StepKey,
    Target,
    due_steps,
    escalate_now,
    escalate_to,
    next_due,
    parse_target,
    plan,
    replan_after_skip,
    skip_empty,
    stop_on_ack,
)

T = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)


def demo_policy(repeat: int = 0) -> Policy:
    """The reference document's policy: primary (5 min), then secondary and the team lead
    (10 min), then the director and the VP of engineering (15 min)."""
    return Policy(
        "default",
        (
            Level(5, (Target.schedule("primary"),)),
            Level(10, (Target.schedule("secondary"), Target.user("team-lead"))),
            Level(15, (Target.user("director"), Target.user("vp-engineering"))),
        ),
        repeat=repeat,
    )


delays = st.one_of(
    st.just(0.0),
    st.integers(min_value=0, max_value=60).map(float),
    st.floats(min_value=0, max_value=120, allow_nan=False, allow_infinity=False),
)
policies = st.builds(
    lambda ds, repeat: Policy(
        "p", tuple(Level(d, (Target.user(f"u{i}"),)) for i, d in enumerate(ds)), repeat
    ),
    st.lists(delays, min_size=1, max_size=5),
    st.integers(min_value=0, max_value=3),
)
triggers = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def test_it_pages_the_demo_policy_at_t_t5_and_t15() -> None:
    steps = plan(demo_policy(), T)
    assert [(s.loop, s.level_index, s.due_at) for s in steps] == [
        (1, 0, T),
        (1, 1, T + 5 * MIN),
        (1, 2, T + 15 * MIN),
    ]


def test_it_restarts_the_demo_policy_after_the_last_levels_timeout() -> None:
    steps = plan(demo_policy(repeat=1), T)
    assert [s.due_at - T for s in steps] == [
        0 * MIN,
        5 * MIN,
        15 * MIN,
        30 * MIN,
        35 * MIN,
        45 * MIN,
    ]
    assert steps[3].key == StepKey(loop=2, level_index=0)


def test_it_stops_the_demo_policy_when_acknowledged_at_seven_minutes() -> None:
    steps = plan(demo_policy(), T)
    done = {s.key for s in due_steps(steps, T + 7 * MIN)}
    assert done == {StepKey(1, 0), StepKey(1, 1)}
    assert due_steps(steps, T + 60 * MIN, done, acknowledged_at=T + 7 * MIN) == []
    assert next_due(steps, done, acknowledged_at=T + 7 * MIN) is None
    assert stop_on_ack(steps, done) == [steps[2]]


def test_it_keeps_fractional_minutes_exact_to_the_microsecond() -> None:
    policy = Policy("p", (Level(0.1, (Target.user("a"),)), Level(1 / 3, (Target.user("b"),))), 2)
    steps = plan(policy, T)
    assert steps[1].due_at - T == timedelta(seconds=6)
    assert steps[2].due_at - steps[1].due_at == timedelta(microseconds=20_000_000)
    # Loop 3 starts after two full passes of 6 s + 20 s, not a float-rounded sum.
    assert steps[4].due_at - T == timedelta(seconds=52)


@given(policies, triggers)
def test_it_plans_levels_times_loops_steps_following_the_delay_rule(
    policy: Policy, triggered_at: datetime
) -> None:
    steps = plan(policy, triggered_at)
    n = len(policy.levels)
    assert len(steps) == n * (policy.repeat + 1)
    assert steps[0].due_at == triggered_at
    for before, after in itertools.pairwise(steps):
        # The delay after a step is its own level's, including the last level's before
        # the next loop's first.
        assert after.due_at - before.due_at == policy.levels[before.level_index].delay
        assert after.due_at >= before.due_at
        if before.level_index == n - 1:
            assert (after.loop, after.level_index) == (before.loop + 1, 0)
        else:
            assert (after.loop, after.level_index) == (before.loop, before.level_index + 1)
    # SPEC §4: a level's due time is the trigger time plus the planned delays before it.
    for position, step in enumerate(steps):
        delays_before = [policy.levels[s.level_index].delay for s in steps[:position]]
        assert step.due_at == triggered_at + sum(delays_before, timedelta(0))


@given(policies, triggers, st.floats(min_value=0, max_value=600), st.integers(0, 20))
def test_it_has_nothing_due_after_acknowledgement(
    policy: Policy, triggered_at: datetime, minutes: float, fired: int
) -> None:
    steps = plan(policy, triggered_at)
    done = {s.key for s in steps[:fired]}
    now = triggered_at + timedelta(minutes=minutes)
    assert due_steps(steps, now, done, acknowledged_at=now) == []
    assert next_due(steps, done, acknowledged_at=now) is None
    cancelled = stop_on_ack(steps, done)
    assert {s.key for s in cancelled} | done == {s.key for s in steps}
    assert not {s.key for s in cancelled} & done


@given(policies, triggers, st.floats(min_value=0, max_value=600))
def test_it_fires_every_overdue_step_at_once_in_plan_order(
    policy: Policy, triggered_at: datetime, minutes: float
) -> None:
    steps = plan(policy, triggered_at)
    now = triggered_at + timedelta(minutes=minutes)
    due = due_steps(steps, now)
    assert due == [s for s in steps if s.due_at <= now]
    pending = next_due(steps, {s.key for s in due})
    assert pending is None or pending.due_at > now


@given(policies, triggers, st.data())
def test_it_moves_later_steps_earlier_by_exactly_the_skipped_delay(
    policy: Policy, triggered_at: datetime, data: st.DataObject
) -> None:
    steps = plan(policy, triggered_at)
    k = data.draw(st.integers(0, len(steps) - 1))
    skipped = steps[k]
    after = replan_after_skip(steps, skipped)
    assert [s.key for s in after] == [s.key for s in steps]
    shift = policy.levels[skipped.level_index].delay if k + 1 < len(steps) else timedelta(0)
    for old, new in zip(steps, after, strict=True):
        assert new.due_at <= old.due_at
        assert old.due_at - new.due_at == (shift if old.key > skipped.key else timedelta(0))
    assert all(a.due_at <= b.due_at for a, b in itertools.pairwise(after))
    if k + 1 < len(steps):
        assert after[k + 1].due_at == skipped.due_at


def test_it_skips_a_level_that_resolves_to_nobody_and_pages_the_next_at_once() -> None:
    steps = plan(demo_policy(), T)
    # Level 1's schedule has a gap at T: level 2 is paged at T, level 3 at T+10.
    after = skip_empty(steps, steps[0], resolved_targets=[])
    assert [s.due_at - T for s in after] == [0 * MIN, 0 * MIN, 10 * MIN]
    assert skip_empty(steps, steps[0], resolved_targets=["alice"]) == steps
    # Two empty levels in a row remove both delays.
    twice = replan_after_skip(after, after[1].key)
    assert [s.due_at - T for s in twice] == [0 * MIN, 0 * MIN, 0 * MIN]


def test_it_escalates_now_keeping_the_spacing_of_later_levels() -> None:
    steps = plan(demo_policy(repeat=1), T)
    done = {steps[0].key}
    after = escalate_now(steps, T + 2 * MIN, done)
    assert [(s.due_at - T) / MIN for s in after] == [0, 2, 12, 27, 32, 42]
    # An overdue step is not moved later.
    assert escalate_now(steps, T + 6 * MIN, done) == steps


def test_it_escalates_to_a_named_level_jumping_over_the_ones_between() -> None:
    steps = plan(demo_policy(repeat=1), T)
    done = {steps[0].key}
    after = escalate_to(2, steps, T + 1 * MIN, done)
    assert [(s.key, s.due_at - T) for s in after] == [
        (StepKey(1, 0), 0 * MIN),
        (StepKey(1, 2), 1 * MIN),
        (StepKey(2, 0), 16 * MIN),
        (StepKey(2, 1), 21 * MIN),
        (StepKey(2, 2), 31 * MIN),
    ]
    # Level 1 is behind: its next occurrence is in loop 2.
    back = escalate_to(0, steps, T + 1 * MIN, done)
    assert back[1].key == StepKey(2, 0)
    assert back[1].due_at == T + 1 * MIN
    with pytest.raises(DomainError, match="level 1 has no pending step"):
        escalate_to(0, plan(demo_policy(), T), T + 1 * MIN, done)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Policy("p", ()), "at least one level"),
        (lambda: Level(-1, (Target.user("a"),)), "cannot be negative"),
        (lambda: Level(float("nan"), (Target.user("a"),)), "finite"),
        (lambda: Level(float("inf"), (Target.user("a"),)), "finite"),
        (lambda: Level(5, ()), "at least one target"),
        (lambda: Policy("p", (Level(5, (Target.user("a"),)),), repeat=11), "between 0 and 10"),
        (lambda: Policy("p", (Level(5, (Target.user("a"),)),), repeat=-1), "between 0 and 10"),
        (lambda: Target.user(" "), "needs a user name"),
        (lambda: parse_target({"user": "a", "schedule": "b"}), "exactly one key"),
        (lambda: parse_target({"team": "a"}), "exactly one key"),
    ],
)
def test_it_refuses_an_invalid_policy_with_a_clear_message(build: object, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        build()  # type: ignore[operator]


def test_it_reads_targets_in_the_spec_shape() -> None:
    assert parse_target({"user": "alice"}) == Target.user("alice")
    assert parse_target({"schedule": "primary"}).as_dict() == {"schedule": "primary"}
