"""Incident timers as pure rules: when each is due, and whether a timer that comes due
still acts."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.domain import timers

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
minutes = st.integers(min_value=1, max_value=timers.MAX_TIMEOUT_MINUTES)
offsets = st.floats(min_value=0, max_value=20_000, allow_nan=False)


def at(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def test_it_misses_the_target_at_the_due_time_itself_unless_acknowledged() -> None:
    due = timers.response_target_due(T0, 15)
    assert due == at(15)
    assert not timers.target_missed(due_at=due, acknowledged=False, now=at(14.99))
    assert timers.target_missed(due_at=due, acknowledged=False, now=at(15))
    assert not timers.target_missed(due_at=due, acknowledged=True, now=at(60))


@given(cadence=st.integers(min_value=1, max_value=600), sent=st.integers(0, 50))
def test_it_plans_reminders_from_the_promise_a_cadence_apart_and_at_most_six(
    cadence: int, sent: int
) -> None:
    when = timers.reminder_at(at(30), cadence, sent)
    if sent >= timers.MAX_REMINDERS:
        assert when is None
    else:
        assert when == at(30 + cadence * sent)
    planned = [timers.reminder_at(at(30), cadence, n) for n in range(100)]
    assert len([p for p in planned if p is not None]) == timers.MAX_REMINDERS


@given(
    promise=offsets,
    wait=st.integers(min_value=1, max_value=600),
    later=st.floats(min_value=0.001, max_value=20_000, allow_nan=False),
    now=offsets,
    sent=st.integers(0, 10),
)
def test_it_never_reminds_once_a_later_update_is_out(
    promise: float, wait: int, later: float, now: float, sent: int
) -> None:
    assert not timers.reminder_due(
        promise_published_at=at(promise),
        due_at=at(promise + wait),
        latest_update_at=at(promise + later),
        sent=sent,
        incident_open=True,
        now=at(now),
    )


@given(promise=offsets, wait=st.integers(1, 600), now=offsets, sent=st.integers(0, 10))
def test_it_reminds_only_after_the_due_time_while_open_and_under_the_bound(
    promise: float, wait: int, now: float, sent: int
) -> None:
    due = timers.reminder_due(
        promise_published_at=at(promise),
        due_at=at(promise + wait),
        latest_update_at=at(promise),
        sent=sent,
        incident_open=True,
        now=at(now),
    )
    assert due == (now >= promise + wait and sent < timers.MAX_REMINDERS)
    closed = timers.reminder_due(
        promise_published_at=at(promise),
        due_at=at(promise + wait),
        latest_update_at=at(promise),
        sent=sent,
        incident_open=False,
        now=at(now),
    )
    assert not closed


@given(activity=offsets, n=minutes, since_s=st.integers(0, 20_000 * 60))
def test_it_never_times_out_within_n_minutes_of_human_activity(
    activity: float, n: int, since_s: int
) -> None:
    last = at(activity)
    now = last + timedelta(seconds=since_s)
    timed_out = timers.ack_timed_out(last_activity_at=last, minutes=n, now=now)
    assert timed_out == (since_s >= n * 60)
    assert timers.ack_timeout_at(last, n) == last + timedelta(minutes=n)


def test_it_scores_an_update_by_whether_it_came_by_the_promised_time() -> None:
    assert timers.update_on_time(promised_by=at(30), published_at=at(30))
    assert timers.update_on_time(promised_by=at(30), published_at=at(10))
    assert not timers.update_on_time(promised_by=at(30), published_at=at(30.01))


def test_it_resolves_automatically_n_minutes_after_the_trigger() -> None:
    assert timers.auto_resolve_at(T0, 240) == at(240)
