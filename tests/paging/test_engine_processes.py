"""Reliability of the paging engine as real `warroom engine` processes on PostgreSQL
(issue 4): three engines page every due page exactly once; an engine killed with
SIGKILL mid-run loses nothing and makes nobody get paged twice; after downtime a
restarted engine fires every overdue step at once.

A killed engine's claims stay held until their lease ends (300 s, not configurable from
the CLI). The engine to be killed claims one task at a time (`--batch 1`), so at most
one task waits for its lease; the test checks it is held, not lost, then ends the lease
early in the database (what 300 s would do) and checks the survivors finish it.

One window is at-least-once by design: an engine killed after its page's POST and
before recording it leaves the page pending, so the engine that takes the task over
after the lease sends it again. Only that page (at most one, with --batch 1) may be
heard twice, and only after the lease; before it, nothing is."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from tests.notify.test_apprise import Receiver
from warroom.clock import SystemClock
from warroom.db.models import Base
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.engine.models import Task, TaskState
from warroom.escalation.actions import do_create_policy
from warroom.incidents.actions import do_declare
from warroom.incidents.timers import TIMER_KINDS
from warroom.paging.models import Page, PageState
from warroom.services.actions import do_create_service
from warroom.users.actions import do_create_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.xdist_group("engines"),
    pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning"),
]

INCIDENTS = 1000  # phase 1: three engines, one killed
LATE_INCIDENTS = 50  # phase 2: declared while no engine runs
DOWNTIME_SECONDS = 3.0
WAIT_SECONDS = 45.0
IDLE = ("--idle-seconds", "0.05")
DOOMED = "engine-0"  # the engine that is killed: it claims one task at a time


@pytest.fixture
def pg(postgres_schema_url: str) -> Iterator[Database]:
    database = Database(postgres_schema_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    database.dispose()


class Engines:
    """`python -m warroom engine` processes, each logging to its own file; whatever is
    still running at the end is killed."""

    def __init__(self, db: Database, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        self.env = env | {
            "WARROOM_DATABASE_URL": db.url,
            "WARROOM_BASE_URL": "http://warroom.test",
            "HOME": str(tmp_path),
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        with (self.tmp_path / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "warroom", "engine", "--name", name, *IDLE, *extra],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running[name] = process
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()}" for p in sorted(self.tmp_path.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.running.items():
            code = process.wait(timeout=20)
            assert code in (0, -signal.SIGKILL), f"{name} exited {code}:\n{self.logs()}"
        self.running.clear()

    def kill_leftovers(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def engines(pg: Database, tmp_path: Path) -> Iterator[Engines]:
    group = Engines(pg, tmp_path)
    try:
        yield group
    finally:
        group.kill_leftovers()


def _wait_for(condition: Callable[[], bool], what: str, engines: Engines) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}\n{engines.logs()}"
            )
        time.sleep(0.05)


def _seed(db: Database, receiver: Receiver) -> None:
    """Users a, b, c (each paged at its own path); service `checkout` pages a at once
    (one level, repeat 0); service `overdue` pages b at once and c 1.2 s later."""
    now = SystemClock().now()
    with db.write() as session:
        for handle in ("a", "b", "c"):
            do_create_user(
                session,
                handle=handle,
                name=handle.title(),
                contacts=[receiver.url(f"/{handle}")],
                now=now,
                throttle_per_minute=1_000_000,  # a storm on purpose: no per-contact throttle
            )
        policies = {
            "checkout": [{"delay_minutes": 1, "targets": [{"user": "a"}]}],
            "overdue": [
                {"delay_minutes": 0.02, "targets": [{"user": "b"}]},
                {"delay_minutes": 1, "targets": [{"user": "c"}]},
            ],
        }
        for service, levels in policies.items():
            policy = do_create_policy(
                session, name=f"{service}-policy", repeat=0, levels=levels, now=now
            )
            do_create_service(
                session,
                name=service,
                now=now,
                open_room=False,
                mark_component=False,
                escalation_policy=policy.name,
            )


def _declare(db: Database, service: str, titles: list[str]) -> dict[str, int]:
    with db.write() as session:
        return {
            title: do_declare(
                session,
                title=title,
                severity=Severity.SEV1,
                service=service,
                description="Payments fail for 5% of users.",
                actor="ada",
                now=SystemClock().now(),
            ).id
            for title in titles
        }


def _received(receiver: Receiver) -> Counter[tuple[str, str]]:
    """Pages heard, per (user, incident title); one level per user, so per page."""
    return Counter(
        (path.lstrip("/"), body["title"].removeprefix("[SEV-1] "))
        for path, body in list(receiver.requests)
    )


def _held_by(db: Database, name: str) -> list[Task]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Task).where(Task.state == TaskState.PENDING, Task.claimed_by == name)
            )
        )


def _open_work(db: Database, *, except_held_by: str | None = None) -> int:
    """Pending tasks (due or not: a retry counts), not counting those claimed by
    `except_held_by` under a lease that has not ended."""
    now = datetime.now(UTC)
    with db.read() as session:
        pending = session.execute(
            # Paging work: the incidents' own timers (response target, …) wait for their time.
            select(Task.claimed_by, Task.claimed_until).where(
                Task.state == TaskState.PENDING, Task.kind.not_in(TIMER_KINDS)
            )
        ).all()
    return sum(
        1
        for by, until in pending
        if not (by is not None and by == except_held_by and until is not None and until > now)
    )


def test_engine_processes_page_once_survive_kill_9_and_catch_up_after_downtime(
    pg: Database, receiver: Receiver, engines: Engines
) -> None:
    _seed(pg, receiver)
    titles = [f"incident {n}" for n in range(INCIDENTS)]
    ids = _declare(pg, "checkout", titles)
    title_of = {incident_id: title for title, incident_id in ids.items()}

    # Phase 1: three engines; kill -9 one of them about a third of the way through.
    doomed = engines.start(DOOMED, "--batch", "1")
    engines.start("engine-1")
    engines.start("engine-2")
    _wait_for(
        lambda: sum(_received(receiver).values()) >= INCIDENTS // 3, "a third of the pages", engines
    )
    os.kill(doomed.pid, signal.SIGKILL)
    assert doomed.wait(timeout=10) == -signal.SIGKILL
    killed_at = datetime.now(UTC)
    heard_at_kill = sum(_received(receiver).values())
    assert heard_at_kill < INCIDENTS, "the kill came too late to test anything"

    # The survivors finish everything except what the dead engine still holds.
    _wait_for(lambda: _open_work(pg, except_held_by=DOOMED) == 0, "the survivors", engines)
    held = _held_by(pg, DOOMED)
    assert len(held) <= 1, f"--batch 1 holds at most one task, the dead engine holds {held}"
    for task in held:  # held, not lost: it waits for its lease
        assert task.claimed_until is not None
        assert task.claimed_until > killed_at + timedelta(minutes=4)
    held_incidents = {title_of[t.incident_id] for t in held if t.incident_id is not None}

    received = _received(receiver)
    assert max(received.values()) == 1, f"paged twice: {received.most_common(3)}"
    assert {("a", t) for t in titles} - set(received) <= {("a", t) for t in held_incidents}
    assert set(received) <= {("a", t) for t in titles}

    # The dead engine may have been killed after its POST and before recording it: that
    # page was heard, and running its task again (after the lease) would page twice.
    sent_but_unrecorded = {t for t in held_incidents if received[("a", t)] == 1}

    # End the dead engine's lease now, as 300 s would: a survivor takes the task over.
    with pg.write() as session:
        session.execute(
            update(Task)
            .where(Task.state == TaskState.PENDING, Task.claimed_by == DOOMED)
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
    _wait_for(lambda: _open_work(pg) == 0, "the dead engine's task after its lease", engines)

    received = _received(receiver)
    assert set(received) == {("a", t) for t in titles}, "a page was lost"
    twice = {t for (_, t), n in received.items() if n > 1}
    # Only the page in flight at the kill (sent, not yet recorded) can go out again.
    assert twice <= sent_but_unrecorded, f"paged twice: {sorted(twice)}"
    with pg.read() as session:
        rows = session.execute(select(Page.incident_id, Page.level, Page.state)).all()
    assert sorted((r.incident_id, r.level) for r in rows) == sorted((i, 0) for i in ids.values())
    assert {r.state for r in rows} == {PageState.SENT}

    # Phase 2: no engine runs; incidents come in and their steps fall due (the second
    # level 1.2 s after the first); then one engine starts and fires them all at once.
    engines.stop_all()
    late = [f"late {n}" for n in range(LATE_INCIDENTS)]
    late_ids = _declare(pg, "overdue", late)
    time.sleep(DOWNTIME_SECONDS)
    assert _received(receiver).keys().isdisjoint({("b", t) for t in late}), "no engine ran"

    started = time.monotonic()
    restart = datetime.now(UTC)
    engines.start("engine-3")
    expected = {(who, t) for t in late for who in ("b", "c")}
    _wait_for(
        lambda: expected <= set(_received(receiver)) and _open_work(pg) == 0,
        "the overdue pages",
        engines,
    )
    caught_up = time.monotonic() - started

    received = _received(receiver)
    assert {received[key] for key in expected} == {1}
    with pg.read() as session:
        pages = session.execute(
            select(Page.incident_id, Page.level, Page.state).where(
                Page.incident_id.in_(late_ids.values())
            )
        ).all()
        late_tasks = session.scalars(
            select(Task).where(
                Task.incident_id.in_(late_ids.values()), Task.kind.not_in(TIMER_KINDS)
            )
        ).all()
    assert sorted((p.incident_id, p.level) for p in pages) == sorted(
        (i, level) for i in late_ids.values() for level in (0, 1)
    )
    assert {p.state for p in pages} == {PageState.SENT}
    # Every step was overdue when the engine came back, the second level included, and
    # none waited for its own delay again: all went out within seconds of the restart.
    assert all(t.due_at < restart for t in late_tasks)
    assert caught_up < 20, f"catching up took {caught_up:.1f} s"
    engines.stop_all()
