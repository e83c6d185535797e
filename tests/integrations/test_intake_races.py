"""Dedup that holds under races (issue 3): senders posting the same dedup_key at the same
moment to different writers open exactly one incident. On PostgreSQL the writers are two
`warroom serve` processes; in-process, two apps with their own intake writers and
database engines on one database (SQLite and PostgreSQL)."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import _truncate_all
from tests.servers import free_port, serve_app
from warroom.alerts.models import Alert
from warroom.clock import FakeClock, SystemClock
from warroom.db.session import Database
from warroom.incidents.models import Incident
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.web.app import create_app

pytestmark = pytest.mark.xdist_group("race")

SENDERS_PER_SERVER = 20


def new_service(db: Database, name: str) -> str:
    """A service straight in the database; its integration key."""
    with db.write() as session:
        return do_create_service(session, name=name, now=SystemClock().now()).first_key.secret


def fire(urls: Sequence[str], key: str, dedup_keys: Sequence[str]) -> list[tuple[int, str]]:
    """SENDERS_PER_SERVER threads per server, released together by a barrier; sender n
    triggers dedup_keys[n % len(dedup_keys)]. The answers: (status, body)."""
    senders = [(url, n) for url in urls for n in range(SENDERS_PER_SERVER)]
    barrier = threading.Barrier(len(senders))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(url: str, n: int) -> None:
        dedup_key = dedup_keys[n % len(dedup_keys)]
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            # Some senders repeat a payload exactly, others change it: both paths race.
            "payload": {"summary": f"{dedup_key} v{n % 3}", "source": "mon", "severity": "error"},
        }
        with httpx.Client(base_url=url, timeout=30) as client:
            client.get("/healthz")  # connected before the barrier: the posts start together
            barrier.wait(timeout=30)
            r = client.post("/integrations/events/v2/enqueue", json=event)
        with lock:
            answers.append((r.status_code, r.text))

    threads = [threading.Thread(target=send, args=sender) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def stored(db: Database) -> tuple[list[str], list[str], int]:
    """(dedup keys of open alerts, dedup keys of incidents, alerts in all)."""
    with db.read() as session:
        open_alerts = list(
            session.scalars(select(Alert.alert_key).where(Alert.open_key.is_not(None)))
        )
        incidents = list(session.scalars(select(Incident.dedup_key)))
        total = session.scalar(select(func.count()).select_from(Alert)) or 0
    return sorted(open_alerts), sorted(k or "" for k in incidents), total


def assert_deduplicated(
    db: Database, answers: list[tuple[int, str]], dedup_keys: Sequence[str]
) -> None:
    refused = [answer for answer in answers if answer[0] != 202]
    assert len(answers) == 2 * SENDERS_PER_SERVER
    assert refused == []
    open_alerts, incidents, total = stored(db)
    assert open_alerts == sorted(dedup_keys)
    assert incidents == sorted(dedup_keys)
    assert total == len(dedup_keys)


# --- two warroom processes on PostgreSQL ------------------------------------------------


@pytest.fixture(scope="module")
def pg_servers(
    postgres_schema_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two `warroom serve --no-engine` processes on this worker's (migrated) schema."""
    db = Database(postgres_schema_url)
    _truncate_all(db)
    with db.write() as session:  # a user first: serve then has no admin to bootstrap
        do_create_user(session, handle="ada", name="Ada", now=SystemClock().now())
    db.dispose()
    env = os.environ | {
        "WARROOM_DATABASE_URL": postgres_schema_url,
        "WARROOM_INTAKE_RATE_LIMIT": "0",
    }
    env.pop("WARROOM_CONFIG", None)
    logs = tmp_path_factory.mktemp("serve")
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "warroom", "serve", "--port", str(port), "--no-engine"],
            env=env,
            cwd=logs,
            stdout=(logs / f"{port}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, url in zip(processes, urls, strict=True):
            _wait_ready(process, url, logs)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, logs: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = "\n".join(p.read_text() for p in logs.glob("*.log"))
            pytest.fail(f"warroom serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"warroom serve at {url} did not become ready")


@pytest.fixture
def pg_db(postgres_schema_url: str) -> Iterator[Database]:
    db = Database(postgres_schema_url)
    _truncate_all(db)
    yield db
    db.dispose()


@pytest.mark.postgres
def test_it_opens_one_incident_when_two_intake_processes_race_on_one_dedup_key(
    pg_servers: list[str], pg_db: Database
) -> None:
    key = new_service(pg_db, "checkout")
    answers = fire(pg_servers, key, ["db-down"])
    assert_deduplicated(pg_db, answers, ["db-down"])


@pytest.mark.postgres
def test_it_opens_one_incident_per_dedup_key_when_two_intake_processes_race(
    pg_servers: list[str], pg_db: Database
) -> None:
    key = new_service(pg_db, "search")
    dedup_keys = [f"key-{n}" for n in range(10)]
    answers = fire(pg_servers, key, dedup_keys)
    assert_deduplicated(pg_db, answers, dedup_keys)


# --- two intake writers in one process (SQLite and PostgreSQL) --------------------------


@pytest.fixture
def two_apps(db: Database, clock: FakeClock) -> Iterator[list[str]]:
    """Two apps, each with its own group-commit writer and database engine, on `db`."""
    other = Database(db.url)
    settings = Settings(database_url=db.url, intake_rate_limit=0)
    try:
        with (
            serve_app(create_app(settings, db=db, clock=clock)) as first,
            serve_app(create_app(settings, db=other, clock=clock)) as second,
        ):
            yield [first, second]
    finally:
        other.dispose()


def test_it_opens_one_incident_when_two_intake_writers_race_on_one_dedup_key(
    two_apps: list[str], db: Database
) -> None:
    key = new_service(db, "checkout")
    answers = fire(two_apps, key, ["db-down"])
    assert_deduplicated(db, answers, ["db-down"])


def test_it_opens_one_incident_per_dedup_key_when_two_intake_writers_race(
    two_apps: list[str], db: Database
) -> None:
    key = new_service(db, "search")
    dedup_keys = [f"key-{n}" for n in range(10)]
    answers = fire(two_apps, key, dedup_keys)
    assert_deduplicated(db, answers, dedup_keys)
