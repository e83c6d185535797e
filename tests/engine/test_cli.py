"""`warroom engine` and `warroom serve` as real processes: the engine loop runs alone or
inside the server (not with --no-engine), and SIGTERM stops it cleanly."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.fakes.slack import FakeSlack
from tests.servers import free_port
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.engine.models import Task, TaskState
from warroom.incidents.timers import TIMER_KINDS
from warroom.services.actions import do_create_service

WAIT_SECONDS = 20


def _env(db: Database, slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    return env | {
        "WARROOM_DATABASE_URL": db.url,
        "WARROOM_SLACK_BOT_TOKEN": slack.token,
        "WARROOM_SLACK_API_URL": slack.api_url,
        "HOME": str(tmp_path),
    }


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "warroom", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")
        time.sleep(0.05)


def _key(db: Database) -> str:
    """A service without responders: its room is opened and posted to (two tasks)."""
    with db.write() as session:
        created = do_create_service(
            session, name="checkout", now=SystemClock().now(), mark_component=False
        )
        return created.first_key.secret


def _trigger(url: str, key: str) -> None:
    r = httpx.post(
        f"{url}/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "Checkout down", "source": "test", "severity": "error"},
        },
        timeout=10,
    )
    assert r.status_code == 202, r.text


def _states(db: Database) -> list[TaskState]:
    with db.read() as session:
        # Room work: the incident's timers (response target, …) wait for their due time.
        query = select(Task.state).where(Task.kind.not_in(TIMER_KINDS)).order_by(Task.id)
        return list(session.scalars(query))


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_warroom_engine_runs_tasks_and_stops_on_sigterm(
    sqlite_db: Database, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = _env(sqlite_db, fake_slack, tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_log, engine_log = tmp_path / "serve.log", tmp_path / "engine.log"
    with _process(["serve", "--port", str(port), "--no-engine"], env, server_log) as server:
        _wait_for(lambda: _serving(url), "the server", server_log)
        _trigger(url, _key(sqlite_db))
        time.sleep(1.5)
        # Served with --no-engine: the room waits for an engine.
        assert _states(sqlite_db) == [TaskState.PENDING]
        assert fake_slack.calls == []

        with _process(["engine", "--idle-seconds", "0.1"], env, engine_log) as engine:
            _wait_for(lambda: _states(sqlite_db) == [TaskState.DONE] * 2, "the tasks", engine_log)
            engine.send_signal(signal.SIGTERM)
            assert engine.wait(timeout=10) == 0
        assert "stopped" in engine_log.read_text()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert len(fake_slack.calls_to("conversations.create")) == 1


def test_warroom_serve_runs_the_engine_in_a_thread(
    sqlite_db: Database, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = _env(sqlite_db, fake_slack, tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with _process(["serve", "--port", str(port)], env, log) as server:
        _wait_for(lambda: _serving(url), "the server", log)
        _trigger(url, _key(sqlite_db))
        _wait_for(lambda: _states(sqlite_db) == [TaskState.DONE] * 2, "the tasks", log)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
