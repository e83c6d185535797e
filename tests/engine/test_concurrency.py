"""An engine running a batch's tasks on several threads, and polling no more than it must:
every task still runs once, pages still go out once, on real SQLite and PostgreSQL."""

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.engine.helpers import a_task, task_row
from tests.engine.test_runner import LEASE, engine
from tests.paging.conftest import World, receiver, smtp, world
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.engine.claims import claim_due, next_due_at
from warroom.engine.handlers import default_handlers
from warroom.engine.models import TaskState
from warroom.engine.runner import MIN_POLL_SECONDS, Engine, TaskContext, poll_delay
from warroom.paging.models import Page, PageState
from warroom.users.actions import do_create_user
from warroom.users.contact_actions import MAX_THROTTLE_PER_MINUTE

__all__ = ["receiver", "smtp", "world"]

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- how long an engine waits before it polls again (pure) ------------------------------


def test_it_claims_again_at_once_after_a_full_batch() -> None:
    later = T0 + timedelta(minutes=5)
    assert poll_delay(claimed=20, batch=20, now=T0, next_due=later, idle_seconds=1.0) == 0.0


def test_it_wakes_when_the_next_task_comes_due_rather_than_a_full_idle_interval() -> None:
    soon = T0 + timedelta(seconds=0.3)
    assert poll_delay(claimed=0, batch=20, now=T0, next_due=soon, idle_seconds=1.0) == 0.3


def test_it_waits_the_idle_interval_when_nothing_is_pending() -> None:
    assert poll_delay(claimed=0, batch=20, now=T0, next_due=None, idle_seconds=1.0) == 1.0


def test_it_still_polls_every_idle_interval_when_the_next_task_is_far_off() -> None:
    # Another process may enqueue work due now at any moment.
    later = T0 + timedelta(hours=1)
    assert poll_delay(claimed=3, batch=20, now=T0, next_due=later, idle_seconds=1.0) == 1.0


def test_it_goes_on_at_once_after_a_partial_batch_when_more_came_due_meanwhile() -> None:
    overdue = T0 - timedelta(seconds=2)
    assert poll_delay(claimed=5, batch=20, now=T0, next_due=overdue, idle_seconds=1.0) == 0.0


def test_it_does_not_spin_on_due_work_it_could_not_claim() -> None:
    # Due but held by another engine's claim in progress: a short pause, not a busy loop.
    overdue = T0 - timedelta(seconds=2)
    delay = poll_delay(claimed=0, batch=20, now=T0, next_due=overdue, idle_seconds=1.0)
    assert delay == MIN_POLL_SECONDS


@given(
    claimed=st.integers(min_value=0, max_value=50),
    batch=st.integers(min_value=1, max_value=50),
    offset=st.floats(min_value=-3600, max_value=3600, allow_nan=False),
    idle=st.floats(min_value=0.01, max_value=60, allow_nan=False),
    nothing_pending=st.booleans(),
)
def test_the_wait_is_never_negative_nor_past_the_idle_interval(
    claimed: int, batch: int, offset: float, idle: float, nothing_pending: bool
) -> None:
    next_due = None if nothing_pending else T0 + timedelta(seconds=offset)
    delay = poll_delay(claimed=claimed, batch=batch, now=T0, next_due=next_due, idle_seconds=idle)
    assert 0.0 <= delay <= idle
    if claimed >= batch:
        assert delay == 0.0
    elif next_due is not None and next_due > T0:
        # Never past the moment the next task comes due (as stored: whole microseconds).
        assert delay <= (next_due - T0).total_seconds()


# --- the next due time, as an idle engine asks for it -----------------------------------


def test_the_next_due_time_ignores_tasks_held_other_kinds_and_finished_ones(
    db: Database, clock: FakeClock
) -> None:
    assert next_due_at(db, now=clock.now(), kinds={"probe"}) is None
    held = a_task(db, clock, due_at=clock.now() - timedelta(minutes=1))
    claim_due(
        db, name="other", now=clock.now(), lease=timedelta(minutes=5), limit=1, kinds={"probe"}
    )
    a_task(db, clock, kind="elsewhere", due_at=clock.now() + timedelta(seconds=1))
    a_task(db, clock, due_at=clock.now() + timedelta(seconds=30))

    assert next_due_at(db, now=clock.now(), kinds={"probe"}) == clock.now() + timedelta(seconds=30)
    # Once the other engine's lease runs out, its task is there to take over.
    clock.advance(minutes=6)
    assert task_row(db, held).state is TaskState.PENDING
    assert next_due_at(db, now=clock.now(), kinds={"probe"}) == clock.now() - timedelta(minutes=7)


# --- a batch on several threads ---------------------------------------------------------


def test_it_runs_a_batch_on_several_threads_each_task_once(db: Database, clock: FakeClock) -> None:
    ids = [a_task(db, clock) for _ in range(12)]
    # Two tasks must be in their handlers at the same time to get past this.
    together = threading.Barrier(2, timeout=30)
    threads: set[str] = set()
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(ctx: TaskContext) -> None:
        with lock:
            calls[ctx.task.id] += 1
            threads.add(threading.current_thread().name)
        if ctx.task.id in ids[:2]:
            together.wait()

    runner = engine(db, clock, handler, batch=12, concurrency=4)
    try:
        assert runner.run_once() == 12
        # run_once returned after its whole batch: nothing is left running or pending.
        assert {task_row(db, i).state for i in ids} == {TaskState.DONE}
        assert runner.run_once() == 0
    finally:
        runner.close()

    assert calls == dict.fromkeys(ids, 1)
    assert len(threads) > 1


def test_a_failing_task_on_a_thread_is_retried_and_the_others_finish(
    db: Database, clock: FakeClock
) -> None:
    ids = [a_task(db, clock) for _ in range(6)]
    flaky = ids[3]

    def handler(ctx: TaskContext) -> None:
        if ctx.task.id == flaky and ctx.task.attempts == 1:
            raise RuntimeError("boom")

    runner = engine(db, clock, handler, batch=6, concurrency=3)
    try:
        assert runner.run_once() == 6
        row = task_row(db, flaky)
        assert row.state is TaskState.PENDING
        assert row.last_error == "RuntimeError: boom"
        assert {task_row(db, i).state for i in ids if i != flaky} == {TaskState.DONE}
        clock.set(row.due_at)
        assert runner.run_once() == 1
        assert task_row(db, flaky).state is TaskState.DONE
    finally:
        runner.close()


def test_a_task_taken_over_while_its_batch_waited_is_not_run_on_a_thread(
    db: Database, clock: FakeClock
) -> None:
    first, second, third = a_task(db, clock), a_task(db, clock), a_task(db, clock)
    together = threading.Barrier(2, timeout=30)
    taken = threading.Event()
    calls: Counter[int] = Counter()

    def handler(ctx: TaskContext) -> None:
        calls[ctx.task.id] += 1
        if ctx.task.id == third:
            return
        with db.write() as session:
            ctx.complete(session)
        if ctx.task.id == first:
            together.wait()
            # An engine whose clock runs ahead sees the batch's lease as over and takes
            # the third task, which waits for a free thread here.
            ahead = clock.now() + timedelta(seconds=61)
            [stolen] = claim_due(db, name="e2", now=ahead, lease=LEASE, limit=1, kinds={"probe"})
            assert stolen.id == third
            taken.set()
        elif ctx.task.id == second:
            together.wait()
            assert taken.wait(30)

    runner = engine(db, clock, handler, batch=3, concurrency=2, lease_seconds=60)
    try:
        assert runner.run_once() == 2
    finally:
        runner.close()

    assert calls == {first: 1, second: 1}
    row = task_row(db, third)
    assert row.state is TaskState.PENDING
    assert row.claimed_by == "e2"


def test_many_threads_writing_to_sqlite_at_once_all_commit(db: Database, clock: FakeClock) -> None:
    ids = [a_task(db, clock) for _ in range(40)]

    def handler(ctx: TaskContext) -> None:
        # Each task writes in its own transaction, then completes in another.
        with db.write() as session:
            session.execute(select(1))
        time.sleep(0.001)

    runner = engine(db, clock, handler, batch=40, concurrency=8)
    try:
        assert runner.run_once() == 40
    finally:
        runner.close()
    assert {task_row(db, i).state for i in ids} == {TaskState.DONE}


# --- pages, with concurrency ------------------------------------------------------------


def _engine(world: World, name: str, concurrency: int) -> Engine:
    return Engine(
        world.db,
        world.clock,
        world.settings,
        default_handlers(),
        name=name,
        batch=10,
        concurrency=concurrency,
    )


def _users(world: World, *handles: str) -> None:
    # Dozens of pages a minute to one person: more than the default throttle lets out.
    with world.db.write() as session:
        for handle in handles:
            do_create_user(
                session,
                handle=handle,
                name=handle.title(),
                contacts=[world.url(handle)],
                now=world.clock.now(),
                throttle_per_minute=MAX_THROTTLE_PER_MINUTE,
            )


def _drain(runner: Engine) -> None:
    while runner.run_once():
        pass


def test_one_engine_with_threads_sends_every_page_once(world: World) -> None:
    _users(world, "a", "b")
    world.service([(5, [{"user": "a"}]), (5, [{"user": "b"}])])
    ids = [world.declare(title=f"incident {n}") for n in range(12)]
    runner = _engine(world, "threads", concurrency=6)
    try:
        _drain(runner)
        world.clock.advance(minutes=5)
        _drain(runner)
    finally:
        runner.close()

    received = Counter((path, body["title"]) for path, body in world.receiver.requests)
    assert set(received) == {
        (f"/{who}", f"[SEV-1] incident {n}") for n in range(len(ids)) for who in ("a", "b")
    }
    assert set(received.values()) == {1}
    assert {state for *_, state in world.pages()} == {"sent"}


def test_two_engines_with_threads_send_every_page_exactly_once(world: World) -> None:
    if world.db.is_sqlite:
        pytest.skip("several engines at once is the PostgreSQL deployment")
    _users(world, "a", "b")
    world.service([(5, [{"user": "a"}]), (5, [{"user": "b"}])])
    incidents = 30
    for n in range(incidents):
        world.declare(title=f"incident {n}")
    engines = [_engine(world, f"engine-{n}", concurrency=4) for n in range(2)]
    errors: list[BaseException] = []

    def work(runner: Engine, start: threading.Barrier) -> None:
        try:
            start.wait()
            idle = 0
            while idle < 3:  # a few empty claims in a row: the other has the rest
                idle = 0 if runner.run_once() else idle + 1
        except BaseException as exc:  # surfaced below; a thread cannot fail the test
            errors.append(exc)

    try:
        for _ in range(2):  # level 1 now, level 2 five minutes on
            start = threading.Barrier(2)
            threads = [threading.Thread(target=work, args=(e, start)) for e in engines]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            world.clock.advance(minutes=5)
    finally:
        for runner in engines:
            runner.close()

    assert not errors
    with world.db.read() as session:
        states = Counter(session.scalars(select(Page.state)))
    assert states == {PageState.SENT: 2 * incidents}
    received = Counter((path, body["title"]) for path, body in world.receiver.requests)
    assert set(received) == {
        (f"/{who}", f"[SEV-1] incident {n}") for n in range(incidents) for who in ("a", "b")
    }
    assert set(received.values()) == {1}
