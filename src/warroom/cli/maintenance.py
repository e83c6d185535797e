"""`warroom maintenance …`: scheduled maintenance over the REST API (see
warroom.cli.client), on a server with --url/--token or on the configured database."""

from datetime import UTC
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from warroom.cli.client import connect
from warroom.cli.options import (
    DEFAULT_LOCAL_USER,
    As,
    Cursor,
    Json,
    Token,
    Url,
    connection,
    page_params,
)
from warroom.cli.output import CLOCK, console, moment, page_caption, parse_time, print_json, styled
from warroom.domain.statuspage import MaintenanceStatus
from warroom.incidents.presentation import format_clock

app = typer.Typer(
    help="Scheduled maintenance: list, show, schedule, status, update.", no_args_is_help=True
)

PATH = "/api/v1/maintenances"
STYLE = {
    "scheduled": "cyan",
    "in_progress": "bold yellow",
    "verifying": "blue",
    "completed": "green",
}

Ref = Annotated[str, typer.Argument(help="The maintenance's id or public code.")]


def _when(value: str | None) -> str:
    at = parse_time(value)
    return "—" if at is None else format_clock(at, fmt=CLOCK)


def _span(start: str, end: str) -> str:
    """`2030-01-10 02:00 → 03:00`, or both dates when it runs past midnight (UTC)."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return "—"
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    tail = last.strftime("%H:%M" if last.date() == first.date() else "%Y-%m-%d %H:%M")
    return f"{first.strftime('%Y-%m-%d %H:%M')} → {tail}"


def _table(page: dict[str, Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Name", min_width=12)
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Components", min_width=10)
    for m in page["items"]:
        table.add_row(
            str(m["id"]),
            m["code"],
            styled(m["status"], STYLE),
            escape(m["name"]),
            _span(m["scheduled_for"], m["scheduled_until"]),
            escape(", ".join(c["name"] for c in m["components"]) or "—"),
        )
    table.caption = page_caption(page, "maintenance")
    return table


def _details(m: dict[str, Any]) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    components = ", ".join(f"{c['name']} ({c['status']})" for c in m["components"])
    for label, value in (
        ("Status", styled(m["status"], STYLE)),
        ("Code", m["code"]),
        ("Scheduled", f"{_when(m['scheduled_for'])} → {_when(m['scheduled_until'])}"),
        ("Automatic", f"start {_on(m['auto_start'])}, complete {_on(m['auto_complete'])}"),
        ("Started", moment(m["started_at"])),
        ("Completed", moment(m["completed_at"])),
        ("Components", escape(components or "—")),
        ("Next", escape(", ".join(m["allowed_statuses"]) or "— (completed)")),
    ):
        facts.add_row(label, value)
    updates = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Updates")
    for name in ("At", "Status", "By", "Text"):
        updates.add_column(name)
    for u in m["updates"]:
        updates.add_row(
            _when(u["created_at"]),
            styled(u["status"], STYLE),
            escape(u["author"]),
            escape(u["body"]),
        )
    return Group(f"[bold]#{m['id']} {escape(m['name'])}[/]", facts, updates)


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _show(m: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(m)
    else:
        console.print(
            f"Maintenance [bold]#{m['id']}[/] ({m['code']}) {verb}: "
            f"{escape(m['name'])} · {styled(m['status'], STYLE)} · "
            f"{_when(m['scheduled_for'])} → {_when(m['scheduled_until'])}"
        )


@app.command("list")
def list_maintenances(
    status: Annotated[
        list[MaintenanceStatus] | None,
        typer.Option("--status", "-s", help="Only this status (repeat for several)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    cursor: Cursor = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """List maintenances, latest planned start first."""
    params = page_params(limit=limit, cursor=cursor)
    if status:
        params["status"] = [str(s) for s in status]
    with connect(connection(url, token, as_user)) as api:
        page = api.get(PATH, params=params)
    if as_json:
        print_json(page)
    elif not page["items"]:
        console.print("No maintenance matches." if status else "No maintenance scheduled yet.")
    else:
        console.print(_table(page))


@app.command()
def show(
    ref: Ref,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """A maintenance with its updates."""
    with connect(connection(url, token, as_user)) as api:
        m = api.get(f"{PATH}/{ref}")
    if as_json:
        print_json(m)
    else:
        console.print(_details(m))


@app.command()
def schedule(
    name: Annotated[str, typer.Option(help="What the public page calls it.")],
    start: Annotated[
        str, typer.Option(help="ISO 8601 with offset, e.g. 2026-03-01T02:00:00+00:00.")
    ],
    end: Annotated[str, typer.Option(help="ISO 8601 with offset; after --start.")],
    component: Annotated[
        list[str] | None,
        typer.Option("--component", "-c", help="A component's name (repeat for several)."),
    ] = None,
    body: Annotated[str, typer.Option(help="What will happen (the first update).")] = "",
    auto_start: Annotated[
        bool, typer.Option("--auto-start/--no-auto-start", help="Start at --start by itself.")
    ] = True,
    auto_complete: Annotated[
        bool,
        typer.Option("--auto-complete/--no-auto-complete", help="Complete at --end by itself."),
    ] = True,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Schedule a maintenance.

    Its components show under maintenance while it runs, and alerts on their services
    open no incident in its window."""
    payload = {
        "name": name,
        "body": body,
        "components": list(component or []),
        "scheduled_for": start,
        "scheduled_until": end,
        "auto_start": auto_start,
        "auto_complete": auto_complete,
    }
    with connect(connection(url, token, as_user)) as api:
        m = api.post(PATH, payload)
    _show(m, "scheduled", as_json)


@app.command("status")
def change_status(
    ref: Ref,
    status: Annotated[
        MaintenanceStatus, typer.Argument(help="in_progress, verifying or completed.")
    ],
    body: Annotated[
        str | None, typer.Option(help="The update's text (a default if absent).")
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Move a maintenance to another status.

    Completing a scheduled one cancels it; a refused move names the allowed ones."""
    payload: dict[str, Any] = {"status": str(status)}
    if body:
        payload["body"] = body
    with connect(connection(url, token, as_user)) as api:
        m = api.post(f"{PATH}/{ref}/status", payload)
    _show(m, f"moved to {status}", as_json)


@app.command()
def update(
    ref: Ref,
    body: Annotated[str, typer.Argument(help="What to tell the status page.")],
    status: Annotated[
        MaintenanceStatus | None, typer.Option(help="Move it to this status as well.")
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Post an update on a maintenance."""
    payload: dict[str, Any] = {"body": body}
    if status is not None:
        payload["status"] = str(status)
    with connect(connection(url, token, as_user)) as api:
        m = api.post(f"{PATH}/{ref}/updates", payload)
    _show(m, "updated", as_json)
