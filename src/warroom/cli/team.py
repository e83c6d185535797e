"""`warroom team …`: teams over the REST API (see warroom.cli.client), on a server with
--url/--token or on the configured database."""

from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich import box
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
from warroom.cli.output import console, page_caption, parse_time, print_json
from warroom.incidents.presentation import format_clock

app = typer.Typer(
    help="Teams: who owns which services and practises on them (list, create, add-member).",
    no_args_is_help=True,
)

PATH = "/api/v1/teams"
Name = Annotated[str, typer.Argument(help="The team's name (or id).")]


def _day(value: str | None) -> str:
    at = parse_time(value)
    return "—" if at is None else format_clock(at, fmt="%Y-%m-%d", named=False)


def _next_drill(team: dict[str, Any]) -> str:
    due = _day(team["next_drill_due_at"])
    return f"[bold yellow]overdue since {due}[/]" if team["drill_overdue"] else f"due {due}"


def _table(page: dict[str, Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("Team", no_wrap=True)
    table.add_column("Members", min_width=10)
    table.add_column("Services", min_width=10)
    table.add_column("Last drill", no_wrap=True)
    table.add_column("Next drill", no_wrap=True)
    for t in page["items"]:
        table.add_row(
            f"[bold]{escape(t['name'])}[/]",
            escape(", ".join(f"@{h}" for h in t["members"]) or "—"),
            escape(", ".join(t["services"]) or "—"),
            f"#{t['last_drill_id']} {_day(t['last_drill_at'])}" if t["last_drill_id"] else "never",
            _next_drill(t),
        )
    table.caption = page_caption(page, "team")
    return table


def _show(team: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(team)
        return
    members = ", ".join(f"@{h}" for h in team["members"]) or "nobody yet"
    console.print(
        f"Team [bold]{escape(team['name'])}[/] {verb}: members {escape(members)} · "
        f"next drill {_next_drill(team)}"
    )


@app.command("list")
def list_teams(
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    cursor: Cursor = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Teams by name, with their members, services and drills."""
    params = page_params(limit=limit, cursor=cursor)
    with connect(connection(url, token, as_user)) as api:
        page = api.get(PATH, params=params)
    if as_json:
        print_json(page)
    elif not page["items"]:
        console.print("No teams yet: create one with `warroom team create NAME`.")
    else:
        console.print(_table(page))


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The new team's name.")],
    member: Annotated[
        list[str] | None,
        typer.Option("--member", "-m", help="A member's handle (repeat for several)."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the team does.")] = "",
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Create a team (admins). Its first drill is due in 90 days."""
    body = {"name": name, "description": description, "members": list(member or [])}
    with connect(connection(url, token, as_user)) as api:
        team = api.post(PATH, body)
    _show(team, "created", as_json)


@app.command("add-member")
def add_member(
    team: Name,
    handles: Annotated[list[str], typer.Argument(help="Handles of the people to add.")],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Add people to a team (admins)."""
    path = f"{PATH}/{quote(team, safe='')}/members"
    with connect(connection(url, token, as_user)) as api:
        answer: dict[str, Any] = {}
        for handle in handles:
            answer = api.post(path, {"user": handle.lstrip("@")})
    _show(answer, "changed", as_json)
