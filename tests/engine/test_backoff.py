"""The retry schedule: exponential from 10 s, capped at 15 min, planned from the failed
attempt's planned time, never sooner than the service asked."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.engine.backoff import BASE, CAP, MIN_GAP, next_attempt_at, retry_delay

PLANNED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

attempts = st.integers(min_value=1, max_value=200)
lateness = st.floats(min_value=0, max_value=7 * 86400, allow_nan=False)
retry_after = st.none() | st.floats(min_value=0, max_value=86400, allow_nan=False)


def test_it_starts_at_ten_seconds_and_doubles_up_to_fifteen_minutes() -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [10, 20, 40, 80, 160, 320, 640, 900, 900]


@given(attempts)
def test_it_never_shrinks_and_never_passes_the_cap(attempt: int) -> None:
    assert BASE <= retry_delay(attempt) <= retry_delay(attempt + 1) <= CAP


@given(attempts, lateness, retry_after)
def test_it_plans_from_the_planned_time_and_honours_retry_after(
    attempt: int, late_seconds: float, after: float | None
) -> None:
    failed_at = PLANNED + timedelta(seconds=late_seconds)
    due = next_attempt_at(planned=PLANNED, failed_at=failed_at, attempt=attempt, retry_after=after)
    assert due >= PLANNED + retry_delay(attempt)
    assert due >= failed_at + MIN_GAP
    if after is not None:
        assert due >= PLANNED + timedelta(seconds=after)
        assert due >= failed_at + timedelta(seconds=after)
    # Capped: no later than the larger of the schedule and what the service asked for.
    latest = max(
        PLANNED + retry_delay(attempt),
        failed_at + max(MIN_GAP, timedelta(seconds=after or 0)),
    )
    assert due == latest


@given(attempts, lateness, retry_after)
def test_later_attempts_are_never_due_sooner(
    attempt: int, late_seconds: float, after: float | None
) -> None:
    failed_at = PLANNED + timedelta(seconds=late_seconds)
    first = next_attempt_at(
        planned=PLANNED, failed_at=failed_at, attempt=attempt, retry_after=after
    )
    second = next_attempt_at(
        planned=PLANNED, failed_at=failed_at, attempt=attempt + 1, retry_after=after
    )
    assert first <= second


def test_a_late_engine_does_not_spend_its_attempts_in_one_burst() -> None:
    # Planned an hour ago: the schedule says "at once", the floor says "not before 10 s".
    failed_at = PLANNED + timedelta(hours=1)
    due = next_attempt_at(planned=PLANNED, failed_at=failed_at, attempt=1)
    assert due == failed_at + MIN_GAP


@given(st.lists(st.tuples(lateness, retry_after), min_size=1, max_size=8))
def test_a_task_s_retries_move_forward_in_time(runs: list[tuple[float, float | None]]) -> None:
    """Each run fails some time after it was due; the next is due strictly later than the
    failure, and (without a retry_after) at most the capped delay after the later of its
    planned time and the failure."""
    planned = PLANNED
    for attempt, (late_seconds, after) in enumerate(runs, start=1):
        failed_at = planned + timedelta(seconds=late_seconds)
        due = next_attempt_at(
            planned=planned, failed_at=failed_at, attempt=attempt, retry_after=after
        )
        assert due > failed_at >= planned
        assert due - failed_at <= max(CAP, timedelta(seconds=after or 0))
        planned = due
