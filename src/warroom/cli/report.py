"""`warroom report`: the incident report for a period (GET /api/v1/reports/incidents),
as Rich tables, the API's JSON (--json) or CSV (--csv), on a server with --url/--token
or on the configured database."""

import csv
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from warroom.cli.client import connect
from warroom.cli.options import DEFAULT_LOCAL_USER, As, Json, Token, Url, connection
from warroom.cli.output import console, print_json
from warroom.incidents.presentation import format_clock
from warroom.reports.schemas import ReportOut
from warroom.reports.text import (
    hours_text,
    minutes_text,
    phase_minutes_text,
    report_rows,
    share_text,
)

PATH = "/api/v1/reports/incidents"

_WHEN = "an ISO 8601 date or date-time (2026-11-01, 2026-11-01T09:00:00Z), UTC without an offset"
Since = Annotated[
    str | None,
    typer.Option(help=f"First moment counted: {_WHEN}. Default: 30 days before --until."),
]
Until = Annotated[
    str | None, typer.Option(help=f"End of the period, not counted: {_WHEN}. Default: now.")
]


def report(
    since: Since = None,
    until: Until = None,
    service: Annotated[
        str | None, typer.Option("--service", "-s", help="Only this service (id or name).")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", "-t", help="Only the services of this team.")
    ] = None,
    drills: Annotated[
        bool, typer.Option("--drills", help="Report on drills (left out otherwise).")
    ] = False,
    as_json: Json = False,
    as_csv: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="CSV: a header, then one row overall and one per severity, service and team.",
        ),
    ] = False,
    url: Url = None,
    token: Token = None,
    as_user: As = DEFAULT_LOCAL_USER,
) -> None:
    """MTTA, MTTD, MTTR, MTTF, response-target compliance and repeats (SPEC §2), overall
    and by severity, service and team."""
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--csv")
    params = {
        name: value
        for name, value in (
            ("since", since),
            ("until", until),
            ("service", service),
            ("team", team),
        )
        if value
    }
    if drills:
        params["drill"] = "true"
    with connect(connection(url, token, as_user)) as api:
        answer: dict[str, Any] = api.get(PATH, params=params)
    if as_json:
        print_json(answer)
    elif as_csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows(
            report_rows(ReportOut.model_validate(answer))
        )
    else:
        _print(ReportOut.model_validate(answer), service=service, team=team)


def _print(report: ReportOut, *, service: str | None, team: str | None) -> None:
    scope = " · ".join(
        part
        for part in (
            "drills" if report.drills else "",
            f"service {service}" if service else "",
            f"team {team}" if team else "",
        )
        if part
    )
    since, until = (format_clock(datetime.fromisoformat(t)) for t in (report.since, report.until))
    title = f"Incidents triggered {since} → {until}"
    console.print(f"[bold]{escape(title)}[/]" + (f" [dim]({escape(scope)})[/]" if scope else ""))
    overall = Table(box=box.SIMPLE_HEAD, show_header=False, padding=(0, 1))
    overall.add_column("figure")
    overall.add_column("value", justify="right")
    overall.add_column("meaning", style="dim")
    for label, value, meaning in (
        ("Incidents", str(report.total_incidents), ""),
        ("MTTA", minutes_text(report.mtta_minutes), "mean time to acknowledge"),
        ("MTTD", minutes_text(report.mttd_minutes), "mean time to detect"),
        ("MTTR", minutes_text(report.mttr_minutes), "mean time to resolve"),
        ("MTTF", hours_text(report.mttf_hours), "mean time between a service's failures"),
        ("Compliance", share_text(report.response_target_compliance), "acknowledged in time"),
        ("Repeats", str(report.repeat_incidents), "same alert within 7 days of the last"),
    ):
        overall.add_row(label, value, meaning)
    console.print(overall)
    phases = " · ".join(f"{name} {n}" for name, n in report.incidents_by_phase.items() if n)
    spent = " · ".join(f"{name} {text}" for name, text in phase_minutes_text(report))
    stages = report.mean_stage_minutes
    console.print(
        f"[dim]By phase now:[/] {escape(phases) or '—'}\n"
        f"[dim]Mean time per phase:[/] {escape(spent)}\n"
        f"[dim]Mean minutes per stage:[/] detect {minutes_text(stages.detect)} · "
        f"acknowledge {minutes_text(stages.acknowledge)} · "
        f"resolve {minutes_text(stages.resolve)}"
    )
    for heading, groups in (
        ("By severity", report.by_severity),
        ("By service", report.by_service),
        ("By team", report.by_team),
    ):
        if groups:
            console.print(_breakdown(heading, groups))


def _breakdown(heading: str, groups: Mapping[str, Any]) -> Table:
    table = Table(title=heading, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    name = heading.removeprefix("By ").capitalize()
    # Numbers keep their width; a long name folds onto a second line instead.
    table.add_column(name, min_width=len(name), overflow="fold")
    for column in ("Count", "MTTA", "MTTD", "MTTR", "MTTF", "In time", "Repeats"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, f in groups.items():
        table.add_row(
            escape(name),
            str(f.total_incidents),
            minutes_text(f.mtta_minutes),
            minutes_text(f.mttd_minutes),
            minutes_text(f.mttr_minutes),
            hours_text(f.mttf_hours),
            share_text(f.response_target_compliance),
            str(f.repeat_incidents),
        )
    return table
