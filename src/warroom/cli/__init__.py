"""The `warroom` command. Each subcommand parses its arguments, calls the REST API (on a
server, or in-process on the configured database) or one action, and prints a Rich
table, or JSON with --json."""

import typer

from warroom.cli import (
    demo,
    drill,
    incidents,
    oncall,
    postmortem,
    report,
    runbook,
    server,
    team,
    tokens,
)
from warroom.cli import maintenance as maintenance_cli

app = typer.Typer(
    help="warroom: self-hosted incident response.", no_args_is_help=True, add_completion=False
)
app.command()(server.serve)
app.command()(server.engine)
app.add_typer(server.db_app, name="db")
app.add_typer(tokens.app, name="token")
app.add_typer(incidents.app, name="incident")
app.add_typer(maintenance_cli.app, name="maintenance")
app.command("oncall")(oncall.oncall)
app.command("report")(report.report)
app.add_typer(postmortem.app, name="postmortem")
app.add_typer(runbook.app, name="runbook")
app.add_typer(drill.app, name="drill")
app.add_typer(team.app, name="team")
app.command("demo")(demo.demo)


def main() -> None:
    app()


__all__ = ["app", "main"]
