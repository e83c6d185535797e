"""`warroom oncall`: who is on call now (or at --at), on every schedule or one."""

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from warroom.cli.client import connect
from warroom.cli.options import DEFAULT_LOCAL_USER, As, Json, Token, Url, connection
from warroom.cli.output import console, print_json


def oncall(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="ISO 8601 time (default now); without an offset it is local to the schedule "
            "with --schedule, UTC without.",
        ),
    ] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", "-s", help="Only this schedule (id or name).")
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Who is on call: schedule, user, layer, until when."""
    params = {"at": at} if at else None
    path = f"/api/v1/schedules/{schedule}/oncall" if schedule else "/api/v1/oncall"
    with connect(connection(url, token, as_user)) as api:
        answer: dict[str, Any] = api.get(path, params=params)
    if as_json:
        print_json(answer)
        return
    table = Table(title=f"On call at {answer['at']}")
    for column in ("schedule", "user", "layer", "until"):
        table.add_column(column)
    for entry in answer["oncall"]:
        table.add_row(
            escape(entry["schedule"]),
            f"[bold]{escape(entry['user'])}[/]",
            escape(entry["layer"]),
            escape(entry["end"]),
        )
    if not answer["oncall"]:
        console.print(
            "[yellow]nobody is on call[/]" + (f" on {escape(schedule)}" if schedule else "")
        )
        return
    console.print(table)
