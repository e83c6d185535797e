"""`warroom postmortem …`, run as a user would against the configured database (the
in-process API): create, show (Rich, --markdown, --html, --json), status, list, items."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from warroom.cli import app
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.services.actions import do_create_service
from warroom.settings import get_settings


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
    get_settings.cache_clear()
    db = Database(url)
    with db.write() as session:
        do_create_service(session, name="checkout", now=SystemClock().now(), open_room=False)
    db.dispose()
    runner = Cli()
    runner.json("token", "create", "--user", "admin", "--role", "admin")
    yield runner
    get_settings.cache_clear()


def resolved_incident(cli: Cli) -> int:
    made = cli.json(
        "incident",
        "create",
        "--title",
        "Checkout is failing",
        "--severity",
        "SEV-2",
        "--service",
        "checkout",
    )
    iid = int(made["id"])
    cli.json("incident", "resolve", str(iid))
    return iid


def test_it_creates_shows_and_publishes_a_postmortem(cli: Cli) -> None:
    iid = resolved_incident(cli)
    said = cli.ok("postmortem", "create", str(iid))
    assert f"Postmortem for incident #{iid} started as a draft" in said
    shown = cli.ok("postmortem", "show", str(iid))
    assert "draft" in shown
    assert "Postmortem: Checkout is failing" in shown
    assert "Timeline" in shown
    assert "Review the checkout runbook" in shown
    markdown = cli.ok("postmortem", "show", str(iid), "--markdown")
    assert markdown.startswith("# Postmortem: Checkout is failing\n")
    html = cli.ok("postmortem", "show", str(iid), "--html")
    assert html.startswith("<!doctype html>")
    assert "<h2>Timeline</h2>" in html
    assert cli.json("postmortem", "show", str(iid))["status"] == "draft"
    moved = cli.json("postmortem", "status", str(iid), "published")
    assert (moved["status"], moved["incident_phase"]) == ("published", "improvement")


def test_it_explains_a_refusal(cli: Cli) -> None:
    made = cli.json(
        "incident",
        "create",
        "--title",
        "Still burning",
        "--severity",
        "SEV-1",
        "--service",
        "checkout",
    )
    result = cli.run("postmortem", "create", str(made["id"]))
    assert result.exit_code == 1
    assert "starts once it is resolved" in result.stderr
    assert cli.run("postmortem", "show", "999").exit_code == 1


def test_it_lists_postmortems_and_action_items(cli: Cli) -> None:
    iid = resolved_incident(cli)
    cli.ok("postmortem", "create", str(iid))
    listed = cli.json("postmortem", "list")
    assert [r["incident_id"] for r in listed["items"]] == [iid]
    table = cli.ok("postmortem", "list")
    assert f"#{iid}" in table
    assert "draft" in table
    items = cli.json("postmortem", "items")
    assert [i["title"] for i in items["items"]] == [
        "Review the checkout runbook after this incident"
    ]
    assert "Review the" in cli.ok("postmortem", "items")
    assert cli.json("postmortem", "items", "--overdue")["items"] == []
    assert "No overdue action items." in cli.ok("postmortem", "items", "--overdue")
