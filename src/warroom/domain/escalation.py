"""Escalation policies and their timing: pure arithmetic on a plan of steps.

A policy is a list of levels, each paging some targets and then waiting its
`delay_minutes` for an acknowledgement before the next level is paged; after the last
level the whole list starts again, `repeat` more times (SPEC §3).

The engine stores one timer row per step of `plan()` and never derives a due time from
when the previous step happened to run, so a late engine does not push later levels
later (DESIGN rule 4). Every function here takes a plan and returns a new one; nothing
is mutated and nothing reads the clock.

Numbering: `Step.loop` counts passes through the policy from 1 (loop 1 is the first
pass, loop `repeat + 1` the last); `Step.level_index` is the 0-based index into
`Policy.levels` (so SPEC's "level 1" is `level_index == 0`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from warroom.domain.errors import DomainError

MAX_REPEAT = 10
# A week: longer than any sensible wait for an acknowledgement, and it keeps every plan's
# arithmetic far from datetime's range.
MAX_DELAY_MINUTES = 7 * 24 * 60


class TargetKind(StrEnum):
    USER = "user"
    SCHEDULE = "schedule"


@dataclass(frozen=True, slots=True)
class Target:
    """Who a level pages: one user by handle, or whoever a schedule has on call then."""

    kind: TargetKind
    name: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise DomainError(f"an escalation target needs a {self.kind.value} name")

    @classmethod
    def user(cls, handle: str) -> Target:
        return cls(TargetKind.USER, handle)

    @classmethod
    def schedule(cls, name: str) -> Target:
        return cls(TargetKind.SCHEDULE, name)

    def as_dict(self) -> dict[str, str]:
        return {self.kind.value: self.name}


def parse_target(data: Mapping[str, object]) -> Target:
    """`{"user": handle}` or `{"schedule": name}` (SPEC §3), exactly one key."""
    keys = [kind for kind in TargetKind if kind.value in data]
    if len(keys) != 1 or len(data) != 1:
        raise DomainError('a target is {"user": handle} or {"schedule": name}, exactly one key')
    value = data[keys[0].value]
    if not isinstance(value, str):
        raise DomainError(f"a {keys[0].value} target names it with a string")
    return Target(keys[0], value)


@dataclass(frozen=True, slots=True)
class Level:
    delay_minutes: float
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        # Also rejects bool, which would pass as int and means nothing here.
        if isinstance(self.delay_minutes, bool) or not isinstance(self.delay_minutes, int | float):
            raise DomainError("delay_minutes must be a number of minutes")
        if not math.isfinite(self.delay_minutes):
            raise DomainError("delay_minutes must be a finite number of minutes")
        if self.delay_minutes < 0:
            raise DomainError(f"delay_minutes cannot be negative (got {self.delay_minutes})")
        if self.delay_minutes > MAX_DELAY_MINUTES:
            raise DomainError(
                f"delay_minutes can be at most {MAX_DELAY_MINUTES} (a week); "
                f"got {self.delay_minutes}"
            )
        if not self.targets:
            raise DomainError("every escalation level needs at least one target")
        # Accept any sequence from callers but keep the dataclass hashable.
        object.__setattr__(self, "targets", tuple(self.targets))

    @property
    def delay(self) -> timedelta:
        """The wait after this level, rounded once to the microsecond; every plan adds these
        exact values, so sums never drift."""
        return timedelta(minutes=self.delay_minutes)


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    repeat: int = 0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise DomainError("an escalation policy needs a name")
        if not self.levels:
            raise DomainError(f"escalation policy '{self.name}' needs at least one level")
        if isinstance(self.repeat, bool) or not isinstance(self.repeat, int):
            raise DomainError("repeat must be a whole number")
        if not 0 <= self.repeat <= MAX_REPEAT:
            raise DomainError(f"repeat must be between 0 and {MAX_REPEAT} (got {self.repeat})")
        object.__setattr__(self, "levels", tuple(self.levels))


class StepKey(NamedTuple):
    """What identifies a step across replans: its due time may move, its key never does."""

    loop: int
    level_index: int


@dataclass(frozen=True, slots=True)
class Step:
    loop: int  # 1-based pass through the policy
    level_index: int  # 0-based index into Policy.levels
    due_at: datetime

    @property
    def key(self) -> StepKey:
        return StepKey(self.loop, self.level_index)


def plan(policy: Policy, triggered_at: datetime) -> list[Step]:
    """Every step the policy can take for an incident triggered at `triggered_at`, in order.

    Timing, with d(i) the `delay_minutes` of level i as an exact microsecond timedelta:
    - level 1 of loop 1 is due at `triggered_at`;
    - level i+1 is due d(i) after level i (same loop);
    - level 1 of loop k+1 is due d(last) after the last level of loop k: the last level's
      delay is its own timeout, as PagerDuty's "repeat after the last level's timeout".
      So level 1 of loop 2 is due at `triggered_at + d(1) + … + d(n)`.
    Hence a step's due time is the trigger time plus the planned delays before it (SPEC §4).
    The plan has `len(levels) * (repeat + 1)` steps with non-decreasing due times.
    """
    if triggered_at.tzinfo is None:
        raise DomainError("triggered_at must carry a time zone")
    steps: list[Step] = []
    due = triggered_at
    for loop in range(1, policy.repeat + 2):
        for index, level in enumerate(policy.levels):
            steps.append(Step(loop, index, due))
            due += level.delay
    return steps


def _pending(steps: Iterable[Step], done: Collection[StepKey]) -> list[Step]:
    return [step for step in steps if step.key not in done]


def due_steps(
    steps: Sequence[Step],
    now: datetime,
    done: Collection[StepKey] = (),
    *,
    acknowledged_at: datetime | None = None,
) -> list[Step]:
    """Steps due by `now` and not yet done, in plan order; an engine that was down fires
    every overdue step at once. Once acknowledged, nothing is due."""
    if acknowledged_at is not None:
        return []
    return [step for step in _pending(steps, done) if step.due_at <= now]


def next_due(
    steps: Sequence[Step],
    done: Collection[StepKey] = (),
    *,
    acknowledged_at: datetime | None = None,
) -> Step | None:
    """The earliest step not yet done (possibly already overdue); None when the policy is
    exhausted or the incident is acknowledged."""
    if acknowledged_at is not None:
        return None
    pending = _pending(steps, done)
    return min(pending, key=lambda step: step.due_at) if pending else None


def stop_on_ack(steps: Sequence[Step], done: Collection[StepKey] = ()) -> list[Step]:
    """The steps an acknowledgement cancels: every one not yet done, overdue ones included
    (someone has answered; paging more people would only add noise). The engine removes
    their timers in the acknowledging transaction."""
    return _pending(steps, done)


def _index_of(steps: Sequence[Step], key: StepKey) -> int:
    for index, step in enumerate(steps):
        if step.key == key:
            return index
    raise DomainError(f"loop {key.loop}, level {key.level_index + 1} is not in this plan")


def _shift_from(steps: Sequence[Step], start: int, by: timedelta) -> list[Step]:
    return [
        replace(step, due_at=step.due_at - by) if index >= start else step
        for index, step in enumerate(steps)
    ]


def replan_after_skip(steps: Sequence[Step], skipped: Step | StepKey) -> list[Step]:
    """The plan after `skipped` was skipped because its targets resolved to nobody.

    The skipped level's delay is not waited out: the step after it becomes due at the
    skipped step's due time, and every later step moves earlier by the same amount (the
    skipped level's delay), keeping its spacing. Steps before it, and the skipped step
    itself (the engine records it as done, with a timeline event), are unchanged. The shift
    is read from the plan (the gap to the next step), so skipping two empty levels in a
    row removes both delays and skipping the same step twice changes nothing more.
    """
    key = skipped.key if isinstance(skipped, Step) else skipped
    index = _index_of(steps, key)
    if index + 1 >= len(steps):
        return list(steps)
    gap = steps[index + 1].due_at - steps[index].due_at
    return _shift_from(steps, index + 1, gap)


def skip_empty(
    steps: Sequence[Step], step: Step | StepKey, resolved_targets: Collection[str]
) -> list[Step]:
    """A level whose targets resolve to nobody at its due time (a gap in a schedule) is
    skipped at once instead of waiting out its delay while no one is paged: the plan after
    the skip (see `replan_after_skip`). With anyone to page the plan is unchanged."""
    if resolved_targets:
        return list(steps)
    return replan_after_skip(steps, step)


def escalate_now(
    steps: Sequence[Step], now: datetime, done: Collection[StepKey] = ()
) -> list[Step]:
    """A responder's "escalate now": the next pending step becomes due at `now` and every
    step after it moves earlier by the same amount, keeping its spacing. A step that is
    already overdue stays as it is; nothing ever moves later."""
    pending = next_due(steps, done)
    if pending is None:
        raise DomainError("this escalation has no further levels to page")
    shift = pending.due_at - now
    if shift <= timedelta(0):
        return list(steps)
    return _shift_from(steps, _index_of(steps, pending.key), shift)


def advance(steps: Sequence[Step], key: StepKey, by: timedelta) -> list[Step]:
    """The plan with `key` and every step after it moved `by` earlier, keeping their
    spacing (what an earlier "escalate now" did to this escalation). Nothing moves later."""
    if by <= timedelta(0):
        return list(steps)
    return _shift_from(steps, _index_of(steps, key), by)


def escalate_to(
    level_index: int, steps: Sequence[Step], now: datetime, done: Collection[StepKey] = ()
) -> list[Step]:
    """A responder's "escalate to level N" (0-based `level_index`): the next pending step of
    that level becomes due at `now`, the pending steps before it are dropped (those levels
    are jumped over, not paged), and later steps keep their spacing. Forward only: a level
    behind the current one means its occurrence in the next loop, if the policy repeats."""
    pending = _pending(steps, done)
    if not pending:
        raise DomainError("this escalation has no further levels to page")
    target = next((step for step in pending if step.level_index == level_index), None)
    if target is None:
        raise DomainError(
            f"level {level_index + 1} has no pending step left in this escalation; "
            f"pending levels: {sorted({step.level_index + 1 for step in pending})}"
        )
    dropped = {step.key for step in pending if step.key != target.key and _before(step, target)}
    kept = [step for step in steps if step.key not in dropped]
    shift = target.due_at - now
    if shift <= timedelta(0):
        return kept
    return _shift_from(kept, _index_of(kept, target.key), shift)


def _before(step: Step, other: Step) -> bool:
    return step.key < other.key


def plan_from(policy: Policy, base: datetime, start: StepKey) -> list[Step]:
    """The plan of an escalation that starts again at `start` (a restart from level 1, or a
    responder's jump to level N) instead of at the trigger: `start` is due at `base`, the
    rest of its loop follows with the usual delays, then `policy.repeat` more full loops.

    Loops keep counting from `start.loop`, so a restarted run never reuses the step keys
    (and page keys) of an earlier run. `plan_from(p, t, StepKey(1, 0)) == plan(p, t)`.
    """
    if base.tzinfo is None:
        raise DomainError("base must carry a time zone")
    if start.loop < 1:
        raise DomainError(f"loops count from 1 (got {start.loop})")
    if not 0 <= start.level_index < len(policy.levels):
        raise DomainError(
            f"level {start.level_index + 1} is not in policy '{policy.name}': "
            f"it has levels 1 to {len(policy.levels)}"
        )
    steps: list[Step] = []
    due = base
    for loop in range(start.loop, start.loop + policy.repeat + 1):
        first = start.level_index if loop == start.loop else 0
        for index in range(first, len(policy.levels)):
            steps.append(Step(loop, index, due))
            due += policy.levels[index].delay
    return steps
