"""The engine loop on real SQLite and PostgreSQL: claims, leases, retries, giving up."""

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.engine.helpers import a_task, an_incident, events, task_row
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.timeline import EventType
from warroom.engine.backoff import MAX_ATTEMPTS
from warroom.engine.claims import LeaseLost, claim_due, extend_lease, mark_done, schedule_retry
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import Engine, Handler, TaskContext
from warroom.notify.rooms import RoomError
from warroom.settings import Settings

LEASE = timedelta(seconds=60)


class Recorder:
    """A handler that counts its calls per task and fails as told."""

    def __init__(self, *failures: Exception, pause: float = 0.0) -> None:
        self.failures = list(failures)
        self.calls: Counter[int] = Counter()
        self.pause = pause
        self._lock = threading.Lock()

    def __call__(self, ctx: TaskContext) -> None:
        with self._lock:
            self.calls[ctx.task.id] += 1
            failure = self.failures.pop(0) if self.failures else None
        if self.pause:
            time.sleep(self.pause)
        if failure is not None:
            raise failure


def engine(
    db: Database, clock: FakeClock, handler: Handler, *, name: str = "e1", **kw: Any
) -> Engine:
    settings = Settings(database_url=db.url)
    return Engine(db, clock, settings, {"probe": handler}, name=name, **kw)


def test_it_runs_a_due_task_once(db: Database, clock: FakeClock) -> None:
    handler = Recorder()
    task_id = a_task(db, clock)
    runner = engine(db, clock, handler)

    assert runner.run_once() == 1
    assert runner.run_once() == 0

    assert handler.calls == {task_id: 1}
    row = task_row(db, task_id)
    assert row.state is TaskState.DONE
    assert row.finished_at == clock.now()
    assert row.attempts == 1
    assert row.claimed_by == "e1"
    assert row.claimed_until is None


def test_it_leaves_a_future_task_until_it_is_due(db: Database, clock: FakeClock) -> None:
    handler = Recorder()
    task_id = a_task(db, clock, due_at=clock.now() + timedelta(minutes=5))
    runner = engine(db, clock, handler)

    assert runner.run_once() == 0
    clock.advance(minutes=4, seconds=59)
    assert runner.run_once() == 0
    clock.advance(seconds=1)
    assert runner.run_once() == 1
    assert handler.calls == {task_id: 1}


def test_it_leaves_kinds_it_has_no_handler_for(db: Database, clock: FakeClock) -> None:
    other = a_task(db, clock, kind="page_someone")
    assert engine(db, clock, Recorder()).run_once() == 0
    row = task_row(db, other)
    assert row.state is TaskState.PENDING
    assert row.attempts == 0


def test_it_retries_a_transient_failure_with_backoff_from_the_planned_time(
    db: Database, clock: FakeClock
) -> None:
    handler = Recorder(RoomError("Slack: ratelimited", permanent=False), RuntimeError("boom"))
    planned = clock.now()
    task_id = a_task(db, clock)
    runner = engine(db, clock, handler)

    assert runner.run_once() == 1
    row = task_row(db, task_id)
    assert row.state is TaskState.PENDING
    assert row.due_at == planned + timedelta(seconds=10)
    assert row.last_error == "Slack: ratelimited"
    assert row.claimed_by is None
    assert row.claimed_until is None

    clock.advance(seconds=9)
    assert runner.run_once() == 0
    # Ran 3 s late: the next one is still planned from 09:00:10, not from now.
    clock.advance(seconds=4)
    assert runner.run_once() == 1
    row = task_row(db, task_id)
    assert row.due_at == planned + timedelta(seconds=10 + 20)
    assert row.last_error == "RuntimeError: boom"

    clock.set(row.due_at)
    assert runner.run_once() == 1
    row = task_row(db, task_id)
    assert row.state is TaskState.DONE
    assert row.attempts == 3
    assert handler.calls == {task_id: 3}


def test_it_waits_as_long_as_the_service_asked(db: Database, clock: FakeClock) -> None:
    handler = Recorder(RoomError("rate limited", permanent=False, retry_after=120))
    task_id = a_task(db, clock)
    runner = engine(db, clock, handler)
    runner.run_once()
    assert task_row(db, task_id).due_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert runner.run_once() == 0
    clock.advance(seconds=1)
    assert runner.run_once() == 1
    assert task_row(db, task_id).state is TaskState.DONE


def test_it_gives_up_after_the_limit_and_says_so_on_the_incident(
    db: Database, clock: FakeClock
) -> None:
    incident_id = an_incident(db, clock)
    handler = Recorder(*[RoomError(f"down {n}", permanent=False) for n in range(20)])
    task_id = a_task(db, clock, incident_id=incident_id)
    runner = engine(db, clock, handler)

    for _ in range(MAX_ATTEMPTS):
        assert runner.run_once() == 1
        clock.advance(minutes=15)
    assert runner.run_once() == 0

    row = task_row(db, task_id)
    assert row.state is TaskState.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.last_error == f"down {MAX_ATTEMPTS - 1}"
    assert handler.calls == {task_id: MAX_ATTEMPTS}
    [failed] = events(db, incident_id, EventType.AUTOMATION_FAILED)
    assert failed["task"] == "probe"
    assert failed["task_id"] == task_id
    assert failed["attempts"] == MAX_ATTEMPTS
    assert failed["error"] == f"down {MAX_ATTEMPTS - 1}"
    assert failed["permanent"] is False


def test_a_permanent_failure_fails_at_once(db: Database, clock: FakeClock) -> None:
    incident_id = an_incident(db, clock)
    handler = Recorder(RoomError("Slack conversations.create: invalid_auth", permanent=True))
    task_id = a_task(db, clock, incident_id=incident_id)
    runner = engine(db, clock, handler)

    assert runner.run_once() == 1
    row = task_row(db, task_id)
    assert row.state is TaskState.FAILED
    assert row.finished_at == clock.now()
    [failed] = events(db, incident_id, EventType.AUTOMATION_FAILED)
    assert failed["permanent"] is True
    assert "invalid_auth" in failed["error"]
    clock.advance(hours=1)
    assert runner.run_once() == 0


def test_an_expired_lease_lets_another_engine_take_over(db: Database, clock: FakeClock) -> None:
    task_id = a_task(db, clock)
    # Engine "crashed" claims the task and dies before running it.
    [stale] = claim_due(db, name="crashed", now=clock.now(), lease=LEASE, limit=5, kinds={"probe"})
    handler = Recorder()
    survivor = engine(db, clock, handler, name="survivor")

    assert survivor.run_once() == 0  # the lease still holds
    clock.advance(seconds=60)
    assert survivor.run_once() == 0  # claimed_until is not yet in the past
    clock.advance(seconds=1)
    assert survivor.run_once() == 1

    row = task_row(db, task_id)
    assert row.state is TaskState.DONE
    assert row.claimed_by == "survivor"
    assert row.attempts == 2  # the crashed run counts
    # The crashed engine, were it to come back, can no longer write its result.
    with pytest.raises(LeaseLost), db.write() as session:
        mark_done(session, stale, now=clock.now())
    assert not schedule_retry(db, stale, due_at=clock.now(), error="late")
    assert task_row(db, task_id).state is TaskState.DONE


def test_it_gives_up_on_a_task_that_never_finishes(db: Database, clock: FakeClock) -> None:
    incident_id = an_incident(db, clock)
    task_id = a_task(db, clock, incident_id=incident_id)
    for _ in range(MAX_ATTEMPTS):
        assert claim_due(db, name="doomed", now=clock.now(), lease=LEASE, limit=1, kinds={"probe"})
        clock.advance(seconds=61)
    handler = Recorder()

    assert engine(db, clock, handler).run_once() == 1

    assert handler.calls == {}
    assert task_row(db, task_id).state is TaskState.FAILED
    [failed] = events(db, incident_id, EventType.AUTOMATION_FAILED)
    assert "did not finish" in failed["error"]


def test_a_late_task_of_a_batch_runs_under_a_renewed_lease(db: Database, clock: FakeClock) -> None:
    first, second = a_task(db, clock), a_task(db, clock)
    runner = engine(db, clock, Recorder(), batch=2)
    lease = runner.lease
    seen_by_rival: list[list[int]] = []

    def handler(ctx: TaskContext) -> None:
        if ctx.task.id == first:
            # The first task of the batch uses up all but a second of the batch's lease.
            clock.advance(seconds=lease.total_seconds() - 1)
            return
        # The second started with a second of its original lease left; well past that
        # original end, another engine looks for due work while this one still runs.
        clock.advance(seconds=30)
        rival = claim_due(db, name="e2", now=clock.now(), lease=lease, limit=5, kinds={"probe"})
        seen_by_rival.append([t.id for t in rival])

    runner.handlers["probe"] = handler
    assert runner.run_once() == 2

    assert seen_by_rival == [[]]
    for task_id in (first, second):
        row = task_row(db, task_id)
        assert row.state is TaskState.DONE
        assert row.claimed_by == "e1"
        assert row.attempts == 1


def test_the_lease_outlasts_the_slowest_room_operation() -> None:
    from warroom.engine.runner import DEFAULT_LEASE_SECONDS
    from warroom.notify.rooms.base import OPERATION_DEADLINE_SECONDS

    # The deadline is checked before each request, so one more request timeout can pass.
    assert DEFAULT_LEASE_SECONDS >= 2 * (OPERATION_DEADLINE_SECONDS + 10)


def test_a_task_taken_over_before_it_starts_is_not_run(db: Database, clock: FakeClock) -> None:
    first, second = a_task(db, clock), a_task(db, clock)
    handler = Recorder()
    runner = engine(db, clock, handler, batch=2, lease_seconds=60)

    def take_over(ctx: TaskContext) -> None:
        handler(ctx)
        with db.write() as session:
            ctx.complete(session)
        # Then an engine whose clock runs ahead sees the batch's lease as over and takes
        # the second task, though e1's own clock still says its claim holds.
        ahead = clock.now() + timedelta(seconds=61)
        [taken] = claim_due(db, name="e2", now=ahead, lease=LEASE, limit=1, kinds={"probe"})
        assert taken.id == second

    runner.handlers["probe"] = take_over
    assert runner.run_once() == 1

    assert handler.calls == {first: 1}
    row = task_row(db, second)
    assert row.state is TaskState.PENDING
    assert row.claimed_by == "e2"
    assert row.attempts == 2


def test_a_lease_renewal_is_a_compare_and_swap(db: Database, clock: FakeClock) -> None:
    a_task(db, clock)
    [claimed] = claim_due(db, name="e1", now=clock.now(), lease=LEASE, limit=1, kinds={"probe"})
    clock.advance(seconds=50)

    renewed = extend_lease(db, claimed, now=clock.now(), lease=LEASE)

    assert renewed is not None
    assert renewed.claimed_until == clock.now() + LEASE
    assert renewed.version == claimed.version + 1
    row = task_row(db, claimed.id)
    assert (row.claimed_until, row.version, row.attempts) == (
        renewed.claimed_until,
        renewed.version,
        1,
    )
    # The claim as it was before the renewal no longer holds anything.
    assert extend_lease(db, claimed, now=clock.now(), lease=LEASE) is None
    with pytest.raises(LeaseLost), db.write() as session:
        mark_done(session, claimed, now=clock.now())
    # An expired claim nobody took over can still be renewed by its holder.
    clock.advance(seconds=61)
    again = extend_lease(db, renewed, now=clock.now(), lease=LEASE)
    assert again is not None
    with db.write() as session:
        mark_done(session, again, now=clock.now())
    assert task_row(db, claimed.id).state is TaskState.DONE


def test_run_forever_stops_when_asked(db: Database, clock: FakeClock) -> None:
    handler = Recorder()
    ids = [a_task(db, clock) for _ in range(3)]
    stop = threading.Event()
    thread = threading.Thread(
        target=engine(db, clock, handler).run_forever, args=(stop,), kwargs={"idle_seconds": 0.02}
    )
    thread.start()
    deadline = time.monotonic() + 10
    while sum(handler.calls.values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert handler.calls == dict.fromkeys(ids, 1)


def test_a_stopping_engine_hands_back_what_it_has_not_started(
    db: Database, clock: FakeClock
) -> None:
    stop = threading.Event()
    ids = [a_task(db, clock) for _ in range(3)]

    def stop_after_first(ctx: TaskContext) -> None:
        stop.set()

    runner = engine(db, clock, stop_after_first, batch=3)
    runner.run_forever(stop, idle_seconds=0.01)

    states = [task_row(db, i) for i in ids]
    assert [t.state for t in states] == [TaskState.DONE, TaskState.PENDING, TaskState.PENDING]
    assert all(t.claimed_by is None and t.attempts == 0 for t in states[1:])


def test_two_engines_run_each_of_fifty_tasks_exactly_once(db: Database, clock: FakeClock) -> None:
    handler = Recorder(pause=0.002)
    ids = [a_task(db, clock) for _ in range(50)]
    engines = [engine(db, clock, handler, name=f"e{n}", batch=5) for n in (1, 2)]
    start = threading.Barrier(2)
    ran: Counter[str] = Counter()
    errors: list[BaseException] = []

    def work(runner: Engine) -> None:
        try:
            start.wait()
            while True:
                done = runner.run_once()
                ran[runner.name] += done
                if done == 0 and _pending(db) == 0:
                    return
        except BaseException as exc:  # surfaced below; a thread cannot fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert handler.calls == dict.fromkeys(ids, 1)
    assert sum(ran.values()) == 50
    if not db.is_sqlite:
        # SKIP LOCKED lets both work at once rather than one waiting out the other.
        assert ran["e1"] > 0
        assert ran["e2"] > 0


def _pending(db: Database) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Task).where(Task.state == TaskState.PENDING)
            )
            or 0
        )
