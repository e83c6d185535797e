"""`warroom incident public` and `warroom incident update` with status-page options, run
as a user would against the configured database (in-process API)."""

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
from warroom.statuspage.component_actions import do_create_component


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout)


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
    now = SystemClock().now()
    with db.write() as session:
        do_create_service(session, name="checkout", now=now, open_room=False)
        do_create_component(session, name="API", now=now)
        do_create_component(session, name="Payments DB", now=now, public=False)
    db.dispose()
    runner = Cli()
    runner.json("token", "create", "--user", "admin", "--role", "admin")
    yield runner
    get_settings.cache_clear()


def test_it_makes_an_incident_public_and_private_from_the_command_line(cli: Cli) -> None:
    created = cli.json(
        "incident",
        "create",
        "--title",
        "Checkout failing",
        "--severity",
        "SEV-2",
        "--service",
        "checkout",
    )
    n = str(created["id"])
    out = cli.json(
        "incident",
        "public",
        n,
        "--title",
        "Card payments failing",
        "--impact",
        "critical",
        "--component",
        "API=major_outage",
        "--component",
        "Payments DB",
    )
    assert out["public"]["public"] is True
    assert out["public"]["title"] == "Card payments failing"
    assert out["public"]["impact"] == "critical"
    code = out["public"]["code"]
    said = cli.run("incident", "public", n, "--impact", "severity")
    assert said.exit_code == 0, said.stdout
    assert f"code {code}, impact major" in " ".join(said.stdout.split())
    hidden = cli.json("incident", "public", n, "--private")
    assert (hidden["public"]["public"], hidden["public"]["code"]) == (False, code)

    bad = cli.run("incident", "public", n, "--component", "Mainframe=major_outage")
    assert bad.exit_code != 0
    assert "Mainframe" in bad.stdout + bad.stderr
    bad = cli.run("incident", "public", n, "--impact", "huge")
    assert bad.exit_code != 0


def test_it_publishes_public_updates_with_components_and_the_postmortem(cli: Cli) -> None:
    n = str(
        cli.json(
            "incident",
            "create",
            "--title",
            "Checkout failing",
            "--severity",
            "SEV-3",
            "--service",
            "checkout",
        )["id"]
    )
    update = cli.json(
        "incident",
        "update",
        n,
        "--kind",
        "initial",
        "--public",
        "--component",
        "API=partial_outage",
        "--public-title",
        "Slow checkout",
    )
    assert update["next_update_minutes"] == 120  # SEV-3's cadence
    assert [c["name"] for c in update["component_changes"]] == ["API"]
    assert cli.json("incident", "show", n)["public"]["title"] == "Slow checkout"
    early = cli.run("incident", "update", n, "--kind", "update", "--status", "postmortem")
    assert early.exit_code != 0
    assert "resolved or closed" in early.stdout + early.stderr
    done = cli.json("incident", "update", n, "--kind", "resolution", "--public")
    assert done["component_changes"][0]["new_status"] == "operational"
    pm = cli.json("incident", "update", n, "--kind", "update", "--status", "postmortem", "--public")
    assert pm["status"] == "postmortem"
    shown = cli.run(
        "incident",
        "update",
        n,
        "--kind",
        "update",
        "--status",
        "postmortem",
        "--internal",
        "--body",
        "Postmortem is on the wiki.",
    )
    assert shown.exit_code == 0, shown.stdout
    assert "internal" in shown.stdout
