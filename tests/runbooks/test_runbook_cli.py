"""`warroom runbook lint` (a compiler-style checker, no server) and `warroom runbook sync`
(a folder of runbooks in git, put to their services), run as a user would."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.runbooks.conftest import EXAMPLES, example
from warroom.cli import app
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.services.actions import do_create_service
from warroom.settings import get_settings

BROKEN = "# bad\n\n## Service Overview\n- Purpose: x\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    runbooks = tmp_path / "runbooks"
    shutil.copytree(EXAMPLES, runbooks)
    return runbooks


def test_lint_is_clean_and_exits_0_for_the_example_runbooks(folder: Path) -> None:
    result = run("runbook", "lint", "runbooks")
    assert result.exit_code == 0, result.output
    assert "3 runbooks, no problems" in result.stdout


def test_lint_prints_file_line_message_for_each_problem_and_exits_1(folder: Path) -> None:
    (folder / "nested").mkdir()
    (folder / "nested" / "bad.md").write_text(BROKEN)
    result = run("runbook", "lint", "runbooks")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "runbooks/nested/bad.md:3: Service Overview: no Dependencies",
        "runbooks/nested/bad.md:3: Service Overview: no Impact",
        "runbooks/nested/bad.md:4: missing section “Key Metrics”",
        "runbooks/nested/bad.md:4: missing section “Common Issues”",
        "runbooks/nested/bad.md:4: missing section “Emergency Procedures”",
    ]
    assert "5 problems in 1 of 4 runbooks" in result.stdout


def test_lint_counts_front_matter_lines_in_the_file_line_numbers(folder: Path) -> None:
    (folder / "x.md").write_text("---\nservice: payments-api\n---\n" + BROKEN)
    result = run("runbook", "lint", "runbooks/x.md", "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["files"][0]["service"] == "payments-api"
    assert out["files"][0]["problems"][0] == {
        "line": 6,
        "message": "Service Overview: no Dependencies",
    }
    assert out["problems"] == 5


def test_lint_exits_2_for_paths_it_cannot_read(folder: Path) -> None:
    (folder / "latin1.md").write_bytes("Überblick".encode("latin-1"))
    result = run("runbook", "lint", "runbooks", "missing.md")
    assert result.exit_code == 2
    assert "missing.md: no such file or directory" in result.stderr
    assert "latin1.md: not UTF-8 text" in result.stderr


# --- sync, in-process on a database ----------------------------------------------------


@pytest.fixture
def database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    db = Database(url)
    with db.write() as session:
        for name in ("payments-api", "checkout-web"):
            do_create_service(session, name=name, now=SystemClock().now())
    db.dispose()
    assert run("token", "create", "--user", "admin", "--role", "admin").exit_code == 0
    yield db
    get_settings.cache_clear()


def _sync(*args: str) -> tuple[int, dict[str, Any]]:
    result = run("runbook", "sync", *args, "--json")
    return result.exit_code, {r["path"]: r for r in json.loads(result.stdout)}


def test_sync_puts_each_file_to_its_service_and_reports_what_changed(
    folder: Path, database: Database
) -> None:
    (folder / "README.md").write_text("How we keep runbooks.\n")
    (folder / "broken.md").write_text("---\nservice: checkout-web\n---\n" + BROKEN)
    code, rows = _sync("runbooks", "--dry-run")
    assert code == 1
    assert {p: r["result"] for p, r in rows.items()} == {
        "runbooks/README.md": "skipped",
        "runbooks/broken.md": "refused",
        "runbooks/checkout-web.md": "created",
        "runbooks/payments-api.md": "created",
        "runbooks/search-api.md": "failed",
    }
    assert "no service with id or name 'search-api'" in rows["runbooks/search-api.md"]["detail"]
    assert "line 6: Service Overview: no Dependencies" in rows["runbooks/broken.md"]["detail"]
    listed = json.loads(run("runbook", "list", "--json").stdout)
    assert not any(r["has_runbook"] for r in listed)  # a dry run writes nothing

    code, rows = _sync("runbooks")
    assert code == 1
    assert rows["runbooks/payments-api.md"]["result"] == "created"
    assert rows["runbooks/broken.md"]["service"] == "checkout-web"

    (folder / "payments-api.md").write_text(example("payments-api").replace("50 per", "60 per"))
    (folder / "search-api.md").unlink()
    (folder / "broken.md").unlink()
    code, rows = _sync("runbooks")
    assert code == 0
    assert rows["runbooks/payments-api.md"]["result"] == "updated"
    assert rows["runbooks/checkout-web.md"]["result"] == "unchanged"

    shown = json.loads(run("runbook", "show", "payments-api", "--json").stdout)
    assert shown["source_path"] == "runbooks/payments-api.md"
    assert "60 per pod" in shown["markdown"]
    assert shown["updated_by"] == "admin"


def test_sync_force_stores_runbooks_that_fail_lint(folder: Path, database: Database) -> None:
    for name in ("search-api.md", "checkout-web.md"):
        (folder / name).unlink()
    (folder / "payments-api.md").write_text(BROKEN)
    code, rows = _sync("runbooks", "--force")
    assert code == 0
    assert rows["runbooks/payments-api.md"]["result"] == "created"
    assert rows["runbooks/payments-api.md"]["detail"] == "5 lint problems kept"


def test_show_prints_the_markdown_for_pipes_and_review_marks_it_reviewed(
    folder: Path, database: Database
) -> None:
    assert run("runbook", "sync", "runbooks").exit_code == 1  # search-api has no service
    markdown = run("runbook", "show", "checkout-web", "--markdown")
    assert markdown.exit_code == 0
    assert markdown.stdout == example("checkout-web")
    reviewed = run("runbook", "review", "checkout-web")
    assert reviewed.exit_code == 0
    assert "marked reviewed by @admin" in reviewed.stdout
    table = run("runbook", "list")
    assert "2 of 2 services have a runbook" in table.stdout


def test_sync_of_a_missing_folder_exits_2(folder: Path) -> None:
    result = run("runbook", "sync", "nowhere")
    assert result.exit_code == 2
