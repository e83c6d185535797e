"""`warroom report`: Rich tables, --json (the API's answer) and --csv (a row per scope),
on the configured database and against a server with --url/--token."""

import csv
import io
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import Result
from typer.testing import CliRunner

from warroom.cli import app
from warroom.db.session import Database
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.incidents.models import Incident
from warroom.services.models import Service
from warroom.settings import Settings, get_settings
from warroom.teams.models import Team
from warroom.web.app import create_app

MARCH = ("--since", "2026-03-01", "--until", "2026-04-01")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Cli:
    runner: CliRunner
    db_url: str

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result.stdout


def _incident(
    service: Service, minutes: float, *, ack: float | None, resolve: float | None
) -> Incident:
    at = T0 + timedelta(minutes=minutes)
    return Incident(
        title="Errors",
        severity=Severity.SEV2,
        status=Status.RESOLVED if resolve is not None else Status.ACKNOWLEDGED,
        service=service,
        started_at=at,
        detected_at=at,
        triggered_at=at,
        acknowledged_at=at + timedelta(minutes=ack) if ack is not None else None,
        resolved_at=at + timedelta(minutes=resolve) if resolve is not None else None,
        response_target_minutes=30.0,
        updated_at=at,
        roles=[],
        checklist=[],
    )


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """checkout (team payments): acknowledged after 10 and 50 minutes, resolved after an
    hour and two; search (no team): acknowledged after 20 minutes, still open."""
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    db = Database(url)
    with db.write() as session:
        team = Team(name="payments", description="", created_at=T0)
        checkout = Service(name="checkout", team=team, created_at=T0)
        search = Service(name="search", created_at=T0)
        session.add_all(
            [
                _incident(checkout, 0, ack=10, resolve=60),
                _incident(checkout, 24 * 60, ack=50, resolve=120),
                _incident(search, 48 * 60, ack=20, resolve=None),
            ]
        )
    db.dispose()
    runner = CliRunner()
    result = runner.invoke(app, ["token", "create", "--user", "admin", "--role", "admin"])
    assert result.exit_code == 0, result.stdout
    yield Cli(runner, url)
    get_settings.cache_clear()


def test_it_prints_the_report_as_tables(cli: Cli) -> None:
    out = cli.ok("report", *MARCH)
    assert "Incidents triggered 2026-03-01 00:00 UTC → 2026-04-01 00:00 UTC" in out
    for heading in ("By severity", "By service", "By team", "MTTA", "MTTF", "In time"):
        assert heading in out
    assert "26 min" in out  # MTTA (10 + 50 + 20) / 3
    assert "1 h 30 min" in out  # MTTR (60 + 120) / 2
    assert "67%" in out  # 2 of 3 acknowledged within 30 minutes
    assert "payments" in out


def test_it_prints_the_apis_json(cli: Cli) -> None:
    answer: dict[str, Any] = json.loads(cli.ok("report", *MARCH, "--json"))
    assert answer["total_incidents"] == 3
    assert answer["mtta_minutes"] == pytest.approx(80 / 3)
    assert answer["by_team"]["payments"]["total_incidents"] == 2
    assert "search" not in answer["by_team"]
    only = json.loads(cli.ok("report", *MARCH, "--service", "search", "--json"))
    assert only["total_incidents"] == 1
    team = json.loads(cli.ok("report", *MARCH, "--team", "payments", "--json"))
    assert team["total_incidents"] == 2
    drills = json.loads(cli.ok("report", *MARCH, "--drills", "--json"))
    assert (drills["total_incidents"], drills["drills"]) == (0, True)


def test_it_prints_csv_with_a_row_per_scope(cli: Cli) -> None:
    rows = list(csv.reader(io.StringIO(cli.ok("report", *MARCH, "--csv"))))
    assert rows[0] == [
        "scope",
        "name",
        "total_incidents",
        "mtta_minutes",
        "mttd_minutes",
        "mttr_minutes",
        "mttf_hours",
        "response_target_compliance",
        "repeat_incidents",
        "detection_minutes",
        "triage_minutes",
        "response_minutes",
        "recovery_minutes",
        "analysis_minutes",
        "improvement_minutes",
    ]
    scopes = {(r[0], r[1]): r for r in rows[1:]}
    assert set(scopes) == {
        ("overall", ""),
        ("severity", "SEV-2"),
        ("service", "checkout"),
        ("service", "search"),
        ("team", "payments"),
    }
    assert scopes[("overall", "")][2] == "3"
    assert float(scopes[("service", "checkout")][5]) == pytest.approx(90.0)
    assert scopes[("service", "search")][5] == ""  # never resolved: no MTTR


def test_it_refuses_what_does_not_work_with_a_message(cli: Cli) -> None:
    both = cli.run("report", "--json", "--csv")
    assert both.exit_code == 2
    assert "choose one of --json and --csv" in both.stderr
    unknown = cli.run("report", "--service", "nope")
    assert unknown.exit_code == 1
    assert "no service with id or name 'nope'" in unknown.stderr
    backwards = cli.run("report", "--since", "2026-04-01", "--until", "2026-03-01")
    assert backwards.exit_code == 1
    assert "must be before until" in backwards.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(cli: Cli) -> Iterator[str]:
    port = _free_port()
    running = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=cli.db_url)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert thread.is_alive(), "server stopped while starting"
        assert time.monotonic() < deadline, "server did not start in 10 s"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=5)


def test_it_reads_the_report_from_a_server_with_a_token(cli: Cli, server: str) -> None:
    token = json.loads(cli.ok("token", "create", "--user", "vic", "--role", "viewer", "--json"))[
        "token"
    ]
    remote = ("--url", server, "--token", token)
    answer = json.loads(cli.ok("report", *MARCH, *remote, "--json"))
    assert answer["total_incidents"] == 3
    assert "By service" in cli.ok("report", *MARCH, *remote)
    refused = cli.run("report", "--url", server)
    assert refused.exit_code == 1
    assert "missing token" in refused.stderr
