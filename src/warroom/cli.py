"""The `warroom` command. Each subcommand parses its arguments, calls one action (or the
API), and prints a Rich table, or JSON with --json."""

from typing import Annotated

import typer
from rich.console import Console

from warroom.clock import SystemClock
from warroom.db import migrate
from warroom.db.session import Database
from warroom.settings import get_settings

app = typer.Typer(
    help="warroom: self-hosted incident response.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")

console = Console()
err = Console(stderr=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to WARROOM_DATABASE_URL."""
    url = get_settings().database_url
    migrate.upgrade(url)
    console.print(f"database is up to date: [bold]{_redact(url)}[/]")


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in creds else url
    return url


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    no_engine: Annotated[
        bool, typer.Option("--no-engine", help="serve HTTP only; run `warroom engine` apart")
    ] = False,
) -> None:
    """Serve the API and web UI (and, later, the background engine)."""
    import uvicorn

    from warroom.users.actions import do_bootstrap_admin
    from warroom.web.app import create_app

    settings = get_settings()
    db = Database(settings.database_url)
    if db.is_sqlite:
        # The embedded database needs no separate step: bring it to the newest schema.
        migrate.upgrade(settings.database_url)
    elif migrate.pending(db.engine):
        err.print("[red]the database schema is behind: run `warroom db upgrade` first[/]")
        raise typer.Exit(2)
    with db.write() as session:
        issued = do_bootstrap_admin(session, now=SystemClock().now())
    if issued is not None:
        console.print(
            "[bold green]Created user 'admin'.[/] Its API token (shown once, keep it):\n"
            f"  [bold]{issued.secret}[/]\n"
            f"Sign in at {settings.base_url.rstrip('/')}/login with it."
        )
    uvicorn.run(
        create_app(settings, db=db),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def main() -> None:
    app()
