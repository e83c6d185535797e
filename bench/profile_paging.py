"""Profile the engine's paging handlers (not run by `make bench`).

N incidents (WARROOM_PROFILE_INCIDENTS, default 300), round-robin over one service per
20 incidents, whose policy pages two users at once, each through a json:// contact to a
local receiver answering 200; every `escalate` task is due at once. One in-process
engine (concurrency 1 unless WARROOM_PROFILE_CONCURRENCY says otherwise) runs
`run_once()` until nothing is left, with only the paging handlers registered. Prints
the wall time, tasks/s and the mean time per task of each handler kind; with
--profile, also cProfile's top functions by cumulative time (and the raw stats in
$WARROOM_PROFILE_DUMP.<sqlite|postgres> when that is set).

    .venv/bin/python -m bench.profile_paging [--profile]
    WARROOM_PROFILE_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python -m bench.profile_paging

On PostgreSQL the run gets a schema of its own, dropped afterwards.
"""

import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import create_engine, func, select, text

from bench.escalation import Receiver
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import Engine, TaskContext
from warroom.escalation.actions import do_create_policy
from warroom.incidents.actions import do_declare
from warroom.paging import handlers as paging
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.users.contact_actions import MAX_THROTTLE_PER_MINUTE

INCIDENTS = int(os.environ.get("WARROOM_PROFILE_INCIDENTS", "300"))
CONCURRENCY = int(os.environ.get("WARROOM_PROFILE_CONCURRENCY", "1"))
BATCH = int(os.environ.get("WARROOM_PROFILE_BATCH", "20"))
# Two people per team, one team per 20 incidents: no contact reaches its throttle.
TEAMS = max(1, -(-INCIDENTS // 20))


def seed(url: str, receiver: Receiver) -> None:
    upgrade(url)
    db = Database(url)
    now = SystemClock().now() - timedelta(seconds=1)
    with db.write() as session:
        for team in range(TEAMS):
            for handle in (f"a-{team}", f"b-{team}"):
                do_create_user(
                    session,
                    handle=handle,
                    name=handle,
                    contacts=[receiver.url(handle)],
                    now=now,
                    throttle_per_minute=MAX_THROTTLE_PER_MINUTE,
                )
            do_create_policy(
                session,
                name=f"both-{team}",
                repeat=0,
                levels=[
                    {
                        "delay_minutes": 0,
                        "targets": [{"user": f"a-{team}"}, {"user": f"b-{team}"}],
                    }
                ],
                now=now,
            )
            do_create_service(
                session,
                name=f"checkout-{team}",
                now=now,
                escalation_policy=f"both-{team}",
                open_room=False,
                post_initial_message=False,
                mark_component=False,
            )
    for chunk in range(0, INCIDENTS, 500):
        with db.write() as session:
            for i in range(chunk, min(INCIDENTS, chunk + 500)):
                do_declare(
                    session,
                    title=f"profile incident {i}",
                    severity=Severity.SEV2,
                    service=f"checkout-{i % TEAMS}",
                    description="Payments fail for 5% of users.",
                    actor="bench",
                    now=now,
                )
    db.dispose()


def timed(
    handler: Callable[[TaskContext], None], spent: dict[str, list[float]], kind: str
) -> Callable[[TaskContext], None]:
    def run(ctx: TaskContext) -> None:
        t0 = time.perf_counter()
        try:
            handler(ctx)
        finally:
            spent[kind].append(time.perf_counter() - t0)

    return run


def measure(label: str, url: str, profile: bool) -> None:
    with Receiver() as receiver:
        seed(url, receiver)
        db = Database(url)
        spent: dict[str, list[float]] = defaultdict(list)
        handlers = {
            paging.ESCALATE: timed(paging.escalate, spent, paging.ESCALATE),
            paging.DELIVER_PAGE: timed(paging.deliver_page, spent, paging.DELIVER_PAGE),
        }
        settings = Settings(database_url=url)
        engine = Engine(
            db,
            SystemClock(),
            settings,
            handlers,
            name="profile",
            batch=BATCH,
            concurrency=CONCURRENCY,
        )
        profiler = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        ran = 0
        while n := engine.run_once():
            ran += n
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - t0
        engine.close()
        with db.read() as session:
            left = session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.kind.in_(list(handlers)), Task.state != TaskState.DONE)
            )
        db.dispose()
        received = len(receiver.arrivals)
    print(
        f"{label}: {ran} tasks in {wall:.2f} s = {ran / wall:.0f} tasks/s; "
        f"{received}/{2 * INCIDENTS} pages received; {left} paging tasks not done"
    )
    for kind, times in sorted(spent.items()):
        print(f"  {kind:13} {len(times):5} runs, mean {1000 * sum(times) / len(times):.2f} ms")
    if profiler is not None:
        dump = os.environ.get("WARROOM_PROFILE_DUMP")
        if dump:
            profiler.dump_stats(f"{dump}.{label}")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(45)


def main() -> None:
    profile = "--profile" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{tmp}/profile.db", profile)
    pg = os.environ.get("WARROOM_PROFILE_POSTGRES_URL")
    if pg:
        schema = f"profile_paging_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            sep = "&" if "?" in pg else "?"
            measure("postgres", f"{pg}{sep}options=-csearch_path%3D{schema}", profile)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
