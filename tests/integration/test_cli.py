"""The `warroom` command, run as a user would: against the configured database
(in-process API) and against a real server over HTTP."""

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from warroom.cli import app
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.services.actions import do_create_service
from warroom.settings import Settings, get_settings
from warroom.web.app import create_app


@dataclass(frozen=True)
class Cli:
    runner: CliRunner
    db_url: str

    def run(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), input=input)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    db = Database(url)
    with db.write() as session:
        do_create_service(session, name="checkout", now=SystemClock().now())
    db.dispose()
    yield Cli(CliRunner(), url)
    get_settings.cache_clear()


@pytest.fixture
def admin(cli: Cli) -> str:
    return str(cli.json("token", "create", "--user", "admin", "--role", "admin")["token"])


def test_it_lists_every_command_in_help(cli: Cli) -> None:
    top = cli.ok("--help").stdout
    for command in ("serve", "db", "token", "incident"):
        assert command in top
    for command in (
        "list",
        "show",
        "create",
        "ack",
        "resolve",
        "status",
        "role",
        "note",
        "update",
    ):
        assert command in top
        assert "--json" in cli.ok("incident", command, "--help").stdout


def test_it_creates_a_user_and_a_token_that_authenticates(cli: Cli) -> None:
    issued = cli.json("token", "create", "--user", "alice", "--role", "admin", "--name", "laptop")
    assert issued["user"] == "alice"
    assert issued["role"] == "admin"
    assert issued["name"] == "laptop"
    assert issued["user_created"] is True
    assert issued["token"].startswith("wr_")

    with TestClient(create_app(Settings(database_url=cli.db_url))) as api:
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert me.status_code == 200
    assert me.json()["handle"] == "alice"
    assert me.json()["role"] == "admin"

    again = cli.ok("token", "create", "--user", "alice")
    assert "Created user" not in again.stdout
    assert again.stdout.strip().splitlines()[-1].startswith("wr_")


def test_it_creates_new_users_as_responders_and_refuses_a_token_above_the_user(
    cli: Cli,
) -> None:
    assert cli.json("token", "create", "--user", "rita")["role"] == "responder"
    result = cli.run("token", "create", "--user", "rita", "--role", "admin")
    assert result.exit_code == 1
    assert "has role responder" in result.stderr
    bad = cli.run("token", "create", "--user", "Not A Handle")
    assert bad.exit_code == 2
    assert "is not a handle" in bad.stderr


def test_it_runs_an_incident_from_the_command_line(cli: Cli, admin: str) -> None:
    cli.ok("token", "create", "--user", "alice")
    created = cli.json(
        "incident",
        "create",
        "--title",
        "Checkout failing",
        "--severity",
        "sev-2",
        "--service",
        "checkout",
        "--description",
        "Card payments time out",
    )
    n = str(created["id"])
    assert created["status"] == "triggered"
    assert created["severity"] == "SEV-2"
    assert created["response_target_minutes"] == 30

    listed = cli.json("incident", "list", "--status", "triggered")
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    assert listed["total"] == 1
    assert cli.json("incident", "list", "--status", "resolved")["items"] == []

    acked = cli.json("incident", "ack", n)
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_at"] is not None

    assert cli.json("incident", "role", n, "ic", "admin")["roles"]["incident_commander"] == "admin"
    with_tl = cli.json("incident", "role", n, "tech_lead", "alice")
    assert with_tl["roles"]["tech_lead"] == "alice"
    assert cli.json("incident", "role", n, "tech_lead", "--unassign")["roles"]["tech_lead"] is None

    note = cli.json("incident", "note", n, "Rolled back deploy 42")
    assert note["type"] == "note_added"
    assert note["actor"] == "admin"
    assert note["data"]["text"] == "Rolled back deploy 42"

    update = cli.json(
        "incident",
        "update",
        n,
        "--kind",
        "update",
        "--status",
        "identified",
        "--public",
        "--impact",
        "1 in 5 payments fail",
        "--next-update-minutes",
        "15",
    )
    assert update["status"] == "identified"
    assert update["public"] is True
    assert update["next_update_minutes"] == 15
    assert "1 in 5 payments fail" in update["body"]

    assert cli.json("incident", "status", n, "monitoring")["phase"] == "recovery"
    resolved = cli.json("incident", "resolve", n)
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None

    shown = cli.json("incident", "show", n)
    assert shown["id"] == created["id"]
    assert shown["status"] == "resolved"
    assert "Acknowledge incident" in shown["checklist"]["completed"]
    assert shown["checklist"]["compliance"] > 0
    types = [e["type"] for e in shown["timeline"]]
    assert types[0] == "declared"
    for expected in ("acknowledged", "role_assigned", "role_unassigned", "note_added"):
        assert expected in types
    assert "update_published" in types


def test_it_prints_tables_and_panels_for_people(cli: Cli, admin: str) -> None:
    cli.ok(
        "incident",
        "create",
        "--title",
        "Search slow",
        "--severity",
        "SEV-3",
        "--service",
        "checkout",
    )
    listing = cli.ok("incident", "list").stdout
    assert "Search" in listing
    assert "SEV-3" in listing
    assert "1 of 1 incident" in listing
    details = cli.ok("incident", "show", "1").stdout
    for part in ("Search slow", "Incident commander", "Checklist", "Timeline", "declared"):
        assert part in details


def test_it_reads_an_update_body_from_a_file(cli: Cli, admin: str, tmp_path: Path) -> None:
    cli.ok("incident", "create", "--title", "T", "--severity", "SEV-4", "--service", "checkout")
    body = tmp_path / "update.md"
    body.write_text("We found the bad index.\n")
    update = cli.json("incident", "update", "1", "--kind", "update", "--body-file", str(body))
    assert update["body"] == "We found the bad index."
    assert update["public"] is False
    both = cli.run("incident", "update", "1", "--kind", "update", "--body", "x", "--body-file", "y")
    assert both.exit_code == 2


def test_it_refuses_an_invalid_move_and_names_the_allowed_ones(cli: Cli, admin: str) -> None:
    cli.ok("incident", "create", "--title", "T", "--severity", "SEV-2", "--service", "checkout")
    cli.ok("incident", "resolve", "1")
    result = cli.run("incident", "status", "1", "acknowledged")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "Traceback" not in result.stderr
    assert "allowed" in result.stderr
    assert "investigating" in result.stderr
    assert "closed" in result.stderr
    assert result.stdout == ""


def test_it_names_an_unknown_service_or_incident(cli: Cli, admin: str) -> None:
    result = cli.run(
        "incident", "create", "--title", "T", "--severity", "SEV-2", "--service", "nope"
    )
    assert result.exit_code == 1
    assert "no service with id or name 'nope'" in result.stderr
    missing = cli.run("incident", "ack", "999")
    assert missing.exit_code == 1
    assert "no incident with id 999" in missing.stderr


def test_it_acts_as_a_local_user_with_that_users_role(cli: Cli, admin: str) -> None:
    cli.ok("token", "create", "--user", "vic", "--role", "viewer")
    cli.ok("incident", "create", "--title", "T", "--severity", "SEV-2", "--service", "checkout")
    assert cli.json("incident", "list", "--as", "vic")["total"] == 1
    refused = cli.run("incident", "ack", "1", "--as", "vic")
    assert refused.exit_code == 1
    assert "needs the responder role" in refused.stderr
    unknown = cli.run("incident", "list", "--as", "ghost")
    assert unknown.exit_code == 1
    assert "no user 'ghost'" in unknown.stderr
    assert "warroom token create --user ghost" in unknown.stderr


def test_it_leaves_no_tokens_behind_in_local_mode(cli: Cli, admin: str) -> None:
    cli.ok("incident", "list")
    with TestClient(create_app(Settings(database_url=cli.db_url))) as api:
        users = api.get("/api/v1/users", headers={"Authorization": f"Bearer {admin}"}).json()
    assert [u["handle"] for u in users["items"]] == ["admin"]
    db = Database(cli.db_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM api_tokens").scalar() == 1
    db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(cli: Cli) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(database_url=cli.db_url)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    running = uvicorn.Server(config)
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


def test_it_speaks_to_a_server_with_a_token(cli: Cli, server: str) -> None:
    token = cli.json("token", "create", "--user", "rita")["token"]
    remote = ("--url", server + "/", "--token", token)
    created = cli.json(
        "incident",
        "create",
        "--title",
        "Remote",
        "--severity",
        "SEV-1",
        "--service",
        "checkout",
        *remote,
    )
    assert created["response_target_minutes"] == 15
    acked = cli.json("incident", "ack", str(created["id"]), *remote)
    assert acked["status"] == "acknowledged"
    listed = cli.json("incident", "list", "--status", "acknowledged", *remote)
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    events = cli.json("incident", "show", str(created["id"]), *remote)["timeline"]
    assert {e["actor"] for e in events} >= {"rita"}


def test_it_takes_the_server_and_token_from_the_environment(
    cli: Cli, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = cli.json("token", "create", "--user", "rita")["token"]
    monkeypatch.setenv("WARROOM_URL", server)
    monkeypatch.setenv("WARROOM_TOKEN", token)
    assert cli.json("incident", "list")["total"] == 0


def test_it_explains_a_missing_token_and_an_unreachable_server(cli: Cli, server: str) -> None:
    no_token = cli.run("incident", "list", "--url", server)
    assert no_token.exit_code == 1
    assert "missing token" in no_token.stderr
    assert "--token" in no_token.stderr
    off = cli.run("incident", "list", "--url", server + "/healthz", "--token", "wr_x")
    assert off.exit_code == 1
    assert "base URL of a warroom server" in off.stderr
    nobody = cli.run("incident", "list", "--url", f"http://127.0.0.1:{_free_port()}")
    assert nobody.exit_code == 2
    assert "cannot reach warroom at" in nobody.stderr
    assert "Traceback" not in nobody.stderr


def test_it_uses_a_token_in_local_mode_when_given_one(cli: Cli, admin: str) -> None:
    viewer = cli.json("token", "create", "--user", "vic", "--role", "viewer")["token"]
    assert cli.json("incident", "list", "--token", viewer)["total"] == 0
    refused = cli.run("incident", "ack", "1", "--token", viewer)
    assert refused.exit_code == 1
    assert "needs the responder role" in refused.stderr
    bogus = cli.run("incident", "list", "--token", "wr_bogus")
    assert bogus.exit_code == 1
    assert "invalid or revoked token" in bogus.stderr


def test_it_migrates_a_new_embedded_database_before_using_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    assert cli.json("token", "create", "--user", "admin", "--role", "admin")["user_created"]
    assert cli.json("incident", "list")["total"] == 0
    assert "database is up to date" in cli.ok("db", "upgrade").stdout
