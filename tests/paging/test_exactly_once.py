"""Three engines on one PostgreSQL database page every planned page exactly once."""

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.paging.conftest import World
from warroom.engine.models import Task, TaskState
from warroom.paging.models import Page, PageState

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

INCIDENTS = 50


def _pending_due(world: World) -> int:
    with world.db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.state == TaskState.PENDING, Task.due_at <= world.clock.now())
            )
            or 0
        )


def _wait_idle(world: World, deadline: float) -> None:
    while _pending_due(world):
        assert time.monotonic() < deadline, "the engines did not finish in time"
        time.sleep(0.05)


def test_three_engines_send_every_page_exactly_once(world: World) -> None:
    if world.db.is_sqlite:
        pytest.skip("several engines at once is the PostgreSQL deployment")
    world.users("a", "b", throttle_per_minute=10**6)  # a storm on purpose: no throttle
    world.service([(5, [{"user": "a"}]), (5, [{"user": "b"}])])
    ids = [world.declare(title=f"incident {n}") for n in range(INCIDENTS)]
    stop = threading.Event()
    engines = [world.engine(name=f"engine-{n}") for n in range(3)]
    threads = [
        threading.Thread(target=e.run_forever, args=(stop, 0.01), daemon=True) for e in engines
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    try:
        _wait_idle(world, deadline)
        world.clock.advance(minutes=5)
        _wait_idle(world, deadline)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    with world.db.read() as session:
        rows = session.execute(select(Page.incident_id, Page.level, Page.state)).all()
    assert sorted((r.incident_id, r.level) for r in rows) == sorted(
        (i, level) for i in ids for level in (0, 1)
    )
    assert {r.state for r in rows} == {PageState.SENT}
    received = Counter((path, body["title"]) for path, body in world.receiver.requests)
    expected = {
        (f"/{who}", f"[SEV-1] incident {n}") for n in range(INCIDENTS) for who in ("a", "b")
    }
    assert set(received) == expected
    assert set(received.values()) == {1}
