"""`warroom runbook …`: lint runbook files (no server needed), sync a folder of them to
their services (so runbooks can live in git), and read them back.

`lint` prints `file:line: message` like a compiler, so editors and CI annotate the line;
it exits 1 when any runbook has a problem and 2 when a path cannot be read."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from warroom.cli.client import ApiError, connect
from warroom.cli.options import DEFAULT_LOCAL_USER, As, Json, Token, Url, connection
from warroom.cli.output import age, console, err, fail, print_json
from warroom.domain.runbook import Problem, lint
from warroom.domain.runbook_upkeep import split_front_matter

app = typer.Typer(
    help="Runbooks: lint Markdown files, sync a folder to services, show, list, review.",
    no_args_is_help=True,
)

# Files in a runbook folder that are about the folder, not a service.
NOT_RUNBOOKS = ("readme", "changelog", "contributing", "license")

RESULT_STYLE = {
    "created": "green",
    "updated": "cyan",
    "unchanged": "dim",
    "skipped": "dim",
    "refused": "bold red",
    "failed": "bold red",
}


class Unreadable(Exception):
    pass


@dataclass(frozen=True)
class RunbookFile:
    path: Path
    service: str
    markdown: str  # without front matter: what the service stores
    problems: list[Problem]  # with the file's own line numbers


def _display(path: Path) -> str:
    """The path as the person typed it, relative to here when it is below here."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_runbook(path: Path) -> RunbookFile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Unreadable(f"{_display(path)}: not UTF-8 text") from None
    except OSError as exc:
        raise Unreadable(f"{_display(path)}: {exc.strerror or exc}") from None
    source = split_front_matter(text)
    problems = [Problem(p.line + source.offset, p.message) for p in lint(source.markdown)]
    service = source.fields.get("service") or path.stem
    return RunbookFile(path, service, source.markdown, problems)


def markdown_files(path: Path, *, recursive: bool) -> list[Path]:
    if not path.exists():
        raise Unreadable(f"{_display(path)}: no such file or directory")
    if path.is_dir():
        found = path.rglob("*.md") if recursive else path.glob("*.md")
        return sorted(p for p in found if p.is_file())
    return [path]


@dataclass
class LintRun:
    files: list[RunbookFile] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return sum(len(f.problems) for f in self.files)


@app.command("lint")
def lint_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Runbook files, or folders of *.md (searched deeply).")
    ],
    as_json: Json = False,
) -> None:
    """Check runbooks against SPEC §5: each missing or empty section with file and line.
    Exits 1 if any problem, 2 if a path cannot be read."""
    run = LintRun()
    for path in paths:
        try:
            found = markdown_files(path, recursive=True)
            if not found:
                raise Unreadable(f"{_display(path)}: no *.md files in this folder")
        except Unreadable as exc:
            run.unreadable.append(str(exc))
            continue
        for file in found:
            try:
                run.files.append(read_runbook(file))
            except Unreadable as exc:
                run.unreadable.append(str(exc))
    if as_json:
        print_json(
            {
                "files": [
                    {
                        "path": _display(f.path),
                        "service": f.service,
                        "ok": not f.problems,
                        "problems": [{"line": p.line, "message": p.message} for p in f.problems],
                    }
                    for f in run.files
                ],
                "problems": run.problem_count,
                "unreadable": run.unreadable,
            }
        )
    else:
        for f in run.files:
            for p in f.problems:
                # Plain text, one per line: editors and CI jump to file:line.
                console.print(
                    f"{_display(f.path)}:{p.line}: {p.message}", markup=False, soft_wrap=True
                )
        for message in run.unreadable:
            err.print(f"[bold red]error:[/] [red]{escape(message)}[/]", soft_wrap=True)
        console.print(_lint_summary(run))
    if run.unreadable:
        raise typer.Exit(2)
    if run.problem_count:
        raise typer.Exit(1)


def _lint_summary(run: LintRun) -> str:
    files = len(run.files)
    failing = sum(bool(f.problems) for f in run.files)
    noun = f"{files} runbook{'s' if files != 1 else ''}"
    unread = len(run.unreadable)
    tail = f"; {unread} path{'s' if unread != 1 else ''} could not be read" if unread else ""
    if not run.problem_count:
        return f"[{'red' if unread else 'green'}]{noun}, no problems{tail}[/]"
    count = run.problem_count
    return f"[red]{count} problem{'s' if count != 1 else ''} in {failing} of {noun}{tail}[/]"


# --- sync -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    path: str
    service: str
    result: str
    detail: str = ""


def _sync_one(api: Any, file: RunbookFile, *, force: bool, dry_run: bool) -> SyncResult:
    where = _display(file.path)
    if file.problems and not force:
        first = file.problems[0]
        return SyncResult(
            where,
            file.service,
            "refused",
            f"{len(file.problems)} lint problem{'s' if len(file.problems) != 1 else ''} "
            f"(first, line {first.line}: {first.message}); fix, or --force",
        )
    ref = file.service
    try:
        if dry_run:
            api.get(f"/api/v1/services/{ref}")
            try:
                current = api.get(f"/api/v1/services/{ref}/runbook")
            except ApiError as exc:
                if exc.status != 404:
                    raise
                return SyncResult(where, ref, "created")
            same = current["markdown"] == file.markdown
            return SyncResult(where, ref, "unchanged" if same else "updated")
        query = "?force=true" if force else ""
        saved = api.put(
            f"/api/v1/services/{ref}/runbook{query}",
            {"markdown": file.markdown, "source_path": where},
        )
        detail = f"{len(saved['problems'])} lint problems kept" if saved["problems"] else ""
        return SyncResult(where, ref, saved["change"], detail)
    except ApiError as exc:
        return SyncResult(where, ref, "failed", exc.detail)


@app.command("sync")
def sync_command(
    folder: Annotated[
        Path, typer.Argument(help="A folder of <service-name>.md runbooks (not searched deeply).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Store runbooks that fail lint too (problems stay listed)."),
    ] = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
    as_json: Json = False,
) -> None:
    """Put each <service>.md (or the file's front matter `service: NAME`) as that
    service's runbook, recording the file it came from. Files failing lint are refused
    unless --force. Exits 1 if any file was refused or failed."""
    if not folder.is_dir():
        fail(f"{_display(folder)}: not a folder of runbooks", code=2)
    results: list[SyncResult] = []
    files: list[RunbookFile] = []
    unreadable = False
    for path in markdown_files(folder, recursive=False):
        if path.stem.lower() in NOT_RUNBOOKS:
            results.append(SyncResult(_display(path), "—", "skipped", "not a runbook"))
            continue
        try:
            files.append(read_runbook(path))
        except Unreadable as exc:
            unreadable = True
            results.append(SyncResult(_display(path), path.stem, "failed", str(exc)))
    if not files and not results:
        fail(f"{_display(folder)}: no *.md files in this folder", code=2)
    if files:
        with connect(connection(url, token, as_user)) as api:
            results += [_sync_one(api, f, force=force, dry_run=dry_run) for f in files]
    results.sort(key=lambda r: r.path)
    if as_json:
        print_json([r.__dict__ for r in results])
    else:
        console.print(_sync_table(results, dry_run=dry_run))
    if unreadable:
        raise typer.Exit(2)
    if any(r.result in ("refused", "failed") for r in results):
        raise typer.Exit(1)


def _sync_table(results: list[SyncResult], *, dry_run: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("File", no_wrap=True)
    table.add_column("Service", no_wrap=True)
    table.add_column("Result" + (" (dry run)" if dry_run else ""), no_wrap=True)
    table.add_column("Detail")
    for r in results:
        style = RESULT_STYLE.get(r.result, "")
        table.add_row(
            escape(r.path),
            escape(r.service),
            f"[{style}]{r.result}[/]" if style else r.result,
            escape(r.detail),
        )
    counts: dict[str, int] = {}
    for r in results:
        counts[r.result] = counts.get(r.result, 0) + 1
    table.caption = ", ".join(f"{n} {what}" for what, n in counts.items())
    return table


# --- reading ----------------------------------------------------------------------------

ServiceArg = Annotated[str, typer.Argument(help="The service's name or id.")]


@app.command("show")
def show_command(
    service: ServiceArg,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown only (to pipe or save).")
    ] = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
    as_json: Json = False,
) -> None:
    """A service's runbook: review state, lint problems and common issues."""
    with connect(connection(url, token, as_user)) as api:
        out = api.get(f"/api/v1/services/{service}/runbook")
    if as_json:
        print_json(out)
        return
    if markdown:
        typer.echo(out["markdown"], nl=not out["markdown"].endswith("\n"))
        return
    console.print(f"[bold]{escape(out['title'] or out['service'] + ' runbook')}[/]")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    reviewed = (
        f"{age(out['reviewed_at'])} by @{escape(out['reviewed_by'])}"
        if out["reviewed_at"]
        else "never"
    )
    stale = f" [bold red]stale: {out['review_days']} days[/]" if out["stale"] else ""
    for label, value in (
        ("Service", escape(out["service"])),
        ("Updated", f"{age(out['updated_at'])} by @{escape(out['updated_by'])}"),
        ("Source", escape(out["source_path"] or "—")),
        ("Reviewed", reviewed + stale),
        ("Lint", "[green]ok[/]" if out["lint_ok"] else f"[red]{len(out['problems'])} problems[/]"),
        ("Open reviews", str(len(out["open_reviews"]))),
    ):
        facts.add_row(label, value)
    console.print(facts)
    for p in out["problems"]:
        console.print(f"  line {p['line']}: {escape(p['message'])}", style="red")
    issues = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Common issues")
    for name in ("Line", "Issue", "Symptoms", "Diagnosis", "Resolution"):
        issues.add_column(name)
    for i in out["common_issues"]:
        issues.add_row(
            str(i["line"]),
            escape(i["title"]),
            escape("; ".join(i["symptoms"])[:120]),
            str(len(i["diagnosis"])),
            str(len(i["resolution"])),
        )
    console.print(issues)


@app.command("list")
def list_command(
    url: Url = None, token: Token = None, as_user: As = DEFAULT_LOCAL_USER, as_json: Json = False
) -> None:
    """Every service: has a runbook, last reviewed and by whom, stale, lint."""
    items: list[dict[str, Any]] = []
    with connect(connection(url, token, as_user)) as api:
        cursor: str | None = None
        while True:
            page = api.get("/api/v1/runbooks", params={"limit": 500, "cursor": cursor})
            items += page["items"]
            cursor = page["next"]
            if not cursor:
                break
    if as_json:
        print_json(items)
        return
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    for name in ("Service", "Runbook", "Reviewed", "By", "Stale", "Lint", "Open reviews"):
        table.add_column(name, no_wrap=name != "Service")
    for r in items:
        if not r["has_runbook"]:
            table.add_row(
                escape(r["service"]), "[dim]none[/]", "", "", "", "", str(r["open_reviews"])
            )
            continue
        table.add_row(
            escape(r["service"]),
            f"{r['issues']} issues",
            age(r["reviewed_at"]) if r["reviewed_at"] else "[dim]never[/]",
            escape(r["reviewed_by"] or "—"),
            f"[bold red]{r['review_days']} days[/]" if r["stale"] else "no",
            "[green]ok[/]" if r["lint_ok"] else f"[red]{r['problems']} problems[/]",
            str(r["open_reviews"]),
        )
    written = sum(r["has_runbook"] for r in items)
    table.caption = f"{written} of {len(items)} services have a runbook"
    console.print(table)


@app.command("review")
def review_command(
    service: ServiceArg,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
    as_json: Json = False,
) -> None:
    """Mark the runbook reviewed (you read it and it holds); finishes its review items."""
    with connect(connection(url, token, as_user)) as api:
        out = api.post(f"/api/v1/services/{service}/runbook/review")
    if as_json:
        print_json(out)
        return
    done = out["finished_items"]
    console.print(
        f"Runbook of [bold]{escape(out['service'])}[/] marked reviewed by "
        f"@{escape(out['reviewed_by'])}"
        + (f"; finished {len(done)} review item{'s' if len(done) != 1 else ''}" if done else "")
    )
