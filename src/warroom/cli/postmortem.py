"""`warroom postmortem …`: postmortems and action items over the REST API (see
warroom.cli.client), on a server with --url/--token or on the configured database."""

from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.markdown import Markdown
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
from warroom.domain.action_items import ActionItemStatus
from warroom.domain.postmortem import PostmortemStatus
from warroom.incidents.presentation import format_clock
from warroom.postmortems.schemas import PostmortemOut
from warroom.postmortems.views import export_html

app = typer.Typer(
    help="Postmortems and action items: show, create, list, status, items.",
    no_args_is_help=True,
)

STYLE = {"draft": "dim", "in_review": "yellow", "published": "green"}
ITEM_STYLE = {"open": "", "in_progress": "cyan", "done": "green", "wont_do": "dim"}

IncidentRef = Annotated[int, typer.Argument(min=1, help="The incident's id.")]


def _path(incident_id: int, *rest: str) -> str:
    return "/".join([f"/api/v1/incidents/{incident_id}/postmortem", *rest])


def _when(value: str | None) -> str:
    at = parse_time(value)
    return "—" if at is None else format_clock(at, fmt=CLOCK)


def _items_table(items: list[dict[str, Any]], *, incident: bool = False) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Action items")
    table.add_column("ID", justify="right", no_wrap=True)
    if incident:
        table.add_column("Incident", justify="right", no_wrap=True)
    table.add_column("Title", min_width=16)
    table.add_column("Owner", no_wrap=True)
    table.add_column("Due", no_wrap=True)
    table.add_column("Priority", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for i in items:
        due = i["due_on"] or "—"
        row = [
            str(i["id"]),
            *([f"#{i['incident_id']}"] if incident else []),
            escape(i["title"]),
            f"@{escape(i['owner'])}" if i["owner"] else "[dim]unassigned[/]",
            f"[bold red]{due} overdue[/]" if i["overdue"] else due,
            i["priority"],
            styled(i["status"], ITEM_STYLE),
        ]
        table.add_row(*row)
    return table


@app.command()
def show(
    incident_id: IncidentRef,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the document as Markdown.")
    ] = False,
    html: Annotated[bool, typer.Option("--html", help="Print a standalone HTML document.")] = False,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """An incident's postmortem: its review status, action items and document."""
    if sum((markdown, html, as_json)) > 1:
        raise typer.BadParameter("choose one of --markdown, --html and --json")
    conn = connection(url, token, as_user)
    with connect(conn) as api:
        pm = api.get(_path(incident_id))
    if as_json:
        print_json(pm)
    elif markdown:
        typer.echo(pm["document"], nl=False)
    elif html:
        link = f"{conn.url}/incidents/{incident_id}" if conn.url else None
        typer.echo(export_html(PostmortemOut.model_validate(pm), incident_url=link), nl=False)
    else:
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        reviewers = ", ".join(f"@{r}" for r in pm["reviewers"]) or "—"
        for label, value in (
            ("Status", styled(pm["status"], STYLE)),
            ("Incident", f"#{pm['incident_id']} {escape(pm['incident_title'])}"),
            ("Phase", pm["incident_phase"]),
            ("Meeting", moment(pm["meeting_at"])),
            ("Reviewers", escape(reviewers)),
            ("Published", moment(pm["published_at"])),
            ("Next", ", ".join(pm["allowed_statuses"])),
        ):
            facts.add_row(label, value)
        parts: list[Any] = [facts]
        if pm["action_items"]:
            parts.append(_items_table(pm["action_items"]))
        parts.append(Markdown(pm["document"]))
        console.print(Group(*parts))


@app.command()
def create(
    incident_id: IncidentRef,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Start a resolved incident's postmortem: a blameless draft from its timeline."""
    with connect(connection(url, token, as_user)) as api:
        pm = api.post(_path(incident_id))
    if as_json:
        print_json(pm)
    else:
        console.print(
            f"Postmortem for incident [bold]#{incident_id}[/] started as a draft: "
            f"{len(pm['markdown'].splitlines())} lines, "
            f"{pm['open_action_items']} open action item(s). "
            f"Read it with `warroom postmortem show {incident_id}`."
        )


@app.command("status")
def change_status(
    incident_id: IncidentRef,
    status: Annotated[PostmortemStatus, typer.Argument(help="draft, in_review or published.")],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Move a postmortem through its review: draft → in_review → published."""
    with connect(connection(url, token, as_user)) as api:
        pm = api.post(_path(incident_id, "status"), {"status": str(status)})
    if as_json:
        print_json(pm)
    else:
        console.print(
            f"Postmortem for incident [bold]#{incident_id}[/] is {styled(pm['status'], STYLE)}; "
            f"the incident is in the {pm['incident_phase']} phase."
        )


@app.command("list")
def list_postmortems(
    status: Annotated[
        PostmortemStatus | None, typer.Option("--status", "-s", help="Only this status.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    cursor: Cursor = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Postmortems, newest first, with their open and overdue action items."""
    params = page_params(limit=limit, cursor=cursor)
    if status:
        params["status"] = str(status)
    with connect(connection(url, token, as_user)) as api:
        page = api.get("/api/v1/postmortems", params=params)
    if as_json:
        print_json(page)
        return
    if not page["items"]:
        console.print("No postmortem matches." if status else "No postmortems yet.")
        return
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    for name in ("Incident", "Severity", "Title", "Status", "Meeting (UTC)", "Open items"):
        table.add_column(name, no_wrap=name != "Title")
    for r in page["items"]:
        overdue = r["overdue_action_items"]
        table.add_row(
            f"#{r['incident_id']}",
            r["severity"],
            escape(r["incident_title"]),
            styled(r["status"], STYLE),
            _when(r["meeting_at"]),
            f"{r['open_action_items']}" + (f" [bold red]({overdue} overdue)[/]" if overdue else ""),
        )
    table.caption = page_caption(page, "postmortem")
    console.print(table)


@app.command()
def items(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue items.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only this owner's (a handle).")] = None,
    incident: Annotated[int | None, typer.Option(min=1, help="Only this incident's.")] = None,
    status: Annotated[
        list[ActionItemStatus] | None,
        typer.Option("--status", "-s", help="Only this status (repeat); default open ones."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Action items, newest first: open ones unless --status says otherwise."""
    chosen = status or [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS]
    params: dict[str, Any] = {"limit": limit, "status": [str(s) for s in chosen]}
    if overdue:
        params["overdue"] = "true"
    if owner:
        params["owner"] = owner
    if incident:
        params["incident"] = incident
    with connect(connection(url, token, as_user)) as api:
        page = api.get("/api/v1/action-items", params=params)
    if as_json:
        print_json(page)
    elif not page["items"]:
        console.print("No overdue action items." if overdue else "No action items match.")
    else:
        table = _items_table(page["items"], incident=True)
        table.caption = f"{len(page['items'])} of {page['total']}"
        console.print(table)
