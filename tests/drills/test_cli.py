"""`warroom team …` and `warroom drill …`, run as a user would against the configured
database (the in-process API)."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.drills.conftest import RUNBOOK
from warroom.cli import app, output
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.runbooks.models import Runbook
from warroom.services.actions import do_create_service
from warroom.settings import get_settings
from warroom.users.actions import do_create_user


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    # Wide enough that Rich keeps each table row on one line, whatever the terminal.
    monkeypatch.setattr(output.console, "_width", 200)
    get_settings.cache_clear()
    db = Database(url)
    now = SystemClock().now()
    with db.write() as session:
        service = do_create_service(session, name="checkout", now=now, open_room=False).service
        session.add(
            Runbook(
                service_id=service.id,
                markdown=RUNBOOK,
                updated_by="admin",
                created_at=now,
                updated_at=now,
            )
        )
        for handle in ("ann", "bob"):
            do_create_user(session, handle=handle, name=handle.title(), now=now)
    db.dispose()
    runner = Cli()
    runner.json("token", "create", "--user", "admin", "--role", "admin")
    yield runner
    get_settings.cache_clear()


def test_it_creates_a_team_and_adds_members_from_the_command_line(cli: Cli) -> None:
    assert "No teams yet" in cli.ok("team", "list")
    out = cli.ok("team", "create", "payments", "--member", "ann", "--description", "Money")
    assert "Team payments created: members @ann" in out
    team = cli.json("team", "add-member", "payments", "bob", "@admin")
    assert team["members"] == ["ann", "bob", "admin"]
    listed = cli.ok("team", "list")
    assert "payments" in listed
    assert "@ann, @bob, @admin" in listed
    assert "never" in listed
    assert cli.json("team", "list")["items"][0]["name"] == "payments"

    refused = cli.run("team", "add-member", "payments", "ghost")
    assert refused.exit_code == 1
    assert "no user with handle 'ghost'" in refused.stderr
    refused = cli.run("team", "create", "payments")
    assert refused.exit_code == 1
    assert "already exists" in refused.stderr


def test_it_starts_lists_and_reports_drills_from_the_command_line(cli: Cli) -> None:
    out = cli.ok(
        "drill",
        "start",
        "--service",
        "checkout",
        "--severity",
        "SEV-3",
        "--issue",
        "high memory usage",
    )
    assert "Drill #1 started: [DRILL] High Memory Usage" in out
    started = cli.json(
        "drill",
        "start",
        "--service",
        "checkout",
        "--severity",
        "SEV-1",
        "--scenario",
        "Card payments fail",
    )
    assert started["title"] == "[DRILL] Card payments fail"
    assert started["incident"]["drill"] is True

    listed = cli.ok("drill", "list")
    assert "[DRILL] High Memory Usage" in listed
    assert "[DRILL] Card payments fail" in listed
    assert "Running: 0 of 3 targets met so far" in listed
    assert [d["id"] for d in cli.json("drill", "list")["items"]] == [2, 1]

    report = cli.ok("drill", "report", "1")
    assert "Drill #1 [DRILL] High Memory Usage" in report
    assert "Not acknowledged yet" in report
    assert "the SEV-3 target is 2 h" in report
    assert "Drill started: High Memory Usage" in report
    assert cli.json("drill", "report", "1")["figures"][0]["target_minutes"] == 120

    # The incident list marks it too, in the title itself.
    assert "[DRILL] High Memory Usage" in cli.ok("incident", "list", "--drill")

    refused = cli.run(
        "drill", "start", "--service", "checkout", "--severity", "SEV-2", "--issue", "Disk full"
    )
    assert refused.exit_code == 1
    assert "it has: 'High Memory Usage'; 'Database Connection Exhaustion'" in refused.stderr
    missing = cli.run("drill", "report", "9")
    assert missing.exit_code == 1
    assert "no drill with id 9" in missing.stderr
