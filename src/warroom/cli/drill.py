"""`warroom drill …`: start a drill, list drills, read a drill's report, over the REST API
(see warroom.cli.client), on a server with --url/--token or on the configured database."""

from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group
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
from warroom.cli.output import (
    CLOCK,
    SEVERITY_STYLE,
    STATUS_STYLE,
    console,
    page_caption,
    parse_time,
    print_json,
    styled,
)
from warroom.domain.severity import Severity
from warroom.incidents.presentation import format_clock, format_duration

app = typer.Typer(
    help="Drills: practice incidents that page the real people (start, list, report).",
    no_args_is_help=True,
)

PATH = "/api/v1/drills"
OUTCOME_STYLE = {"met": "green", "missed": "bold red", "pending": "yellow"}
MEASURES = {
    "acknowledge": "Acknowledge",
    "assemble": "Assemble the team",
    "resolve": "Resolve",
}


def _when(value: str | None) -> str:
    at = parse_time(value)
    return "—" if at is None else format_clock(at, fmt=CLOCK)


def _minutes(value: float | None) -> str:
    return "—" if value is None else format_duration(value * 60)


@app.command()
def start(
    service: Annotated[str, typer.Option(help="The service (id or name) to drill on.")],
    severity: Annotated[Severity, typer.Option(help="SEV-1 … SEV-4: sets the targets.")],
    scenario: Annotated[
        str | None, typer.Option(help="What responders are told is happening (free text).")
    ] = None,
    issue: Annotated[
        str | None,
        typer.Option(help="A common issue of the service's runbook, by its title."),
    ] = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Start a drill: an incident titled [DRILL] … that pages the service's policy now."""
    body: dict[str, Any] = {"service": service, "severity": str(severity)}
    if scenario:
        body["scenario"] = scenario
    if issue:
        body["common_issue"] = issue
    with connect(connection(url, token, as_user)) as api:
        drill = api.post(PATH, body)
    if as_json:
        print_json(drill)
        return
    console.print(
        f"Drill [bold]#{drill['id']}[/] started: {escape(drill['title'])} · "
        f"{styled(drill['severity'], SEVERITY_STYLE)} on {escape(drill['service'])} · "
        f"incident #{drill['incident_id']}"
    )
    console.print(
        "Its escalation policy is paging now; the report fills in as people respond: "
        f"warroom drill report {drill['id']}"
    )


@app.command("list")
def list_drills(
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    cursor: Cursor = None,
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """Drills, latest first, with how each went against its targets."""
    params = page_params(limit=limit, cursor=cursor)
    with connect(connection(url, token, as_user)) as api:
        page = api.get(PATH, params=params)
    if as_json:
        print_json(page)
        return
    if not page["items"]:
        console.print("No drills yet: start one with `warroom drill start`.")
        return
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Started (UTC)", no_wrap=True)
    table.add_column("Drill")
    table.add_column("Sev", no_wrap=True)
    table.add_column("Status")
    table.add_column("Outcome")
    for d in page["items"]:
        started = parse_time(d["started_at"])
        table.add_row(
            str(d["id"]),
            format_clock(started, fmt="%Y-%m-%d %H:%M", named=False) if started else "—",
            escape(d["title"])
            + f"\n[dim]{escape(d['service'])}{escape(', ' + d['team'] if d['team'] else '')}[/]",
            styled(d["severity"], SEVERITY_STYLE),
            styled(d["status"], STATUS_STYLE),
            escape(d["outcome"]),
        )
    table.caption = page_caption(page, "drill")
    console.print(table)


@app.command()
def report(
    drill_id: Annotated[int, typer.Argument(help="The drill's id.", min=1)],
    as_json: Json = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """A drill's report: times against the severity's targets, checklist, responders."""
    with connect(connection(url, token, as_user)) as api:
        answer = api.get(f"{PATH}/{drill_id}")
    if as_json:
        print_json(answer)
        return
    console.print(_report(answer))


def _report(r: dict[str, Any]) -> Group:
    d = r["drill"]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in (
        ("Severity", styled(d["severity"], SEVERITY_STYLE)),
        ("Status", styled(d["status"], STATUS_STYLE)),
        ("Service", escape(d["service"] + (f" (team {d['team']})" if d["team"] else ""))),
        ("Scenario", escape(d["scenario"])),
        ("Started", f"{_when(d['started_at'])} by @{escape(d['started_by'])}"),
        ("Incident", f"#{d['incident_id']}"),
        ("Outcome", f"[bold]{escape(d['outcome'])}[/]"),
        ("Checklist", f"{round(r['checklist']['compliance'] * 100)}% complete"),
    ):
        facts.add_row(label, value)
    figures = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Against the targets")
    for name in ("Measure", "Took", "Target", "Outcome", "Verdict"):
        figures.add_column(name)
    for f in r["figures"]:
        figures.add_row(
            MEASURES.get(f["measure"], f["measure"]),
            _minutes(f["minutes"]),
            _minutes(f["target_minutes"]),
            styled(f["outcome"], OUTCOME_STYLE),
            escape(f["verdict"]),
        )
    people = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Who responded")
    for name in ("Person", "Paged", "Acknowledged", "Roles"):
        people.add_column(name)
    for p in r["responders"]:
        people.add_row(
            f"@{escape(p['user'])}",
            f"{p['pages']} page(s) from {_when(p['paged_at'])}" if p["paged_at"] else "not paged",
            "[green]yes[/]" if p["acknowledged"] else "—",
            escape(", ".join(p["roles"]) or "—"),
        )
    timeline = Table(box=box.SIMPLE_HEAD, padding=(0, 1), title="Timeline")
    timeline.add_column("+", justify="right", no_wrap=True)
    timeline.add_column("What happened")
    timeline.add_column("By")
    for e in r["timeline"]:
        timeline.add_row(
            format_duration(e["minutes"] * 60, compact=True), escape(e["text"]), escape(e["actor"])
        )
    return Group(
        f"[bold]Drill #{d['id']} {escape(d['title'])}[/]", facts, figures, people, timeline
    )
