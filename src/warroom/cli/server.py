"""`warroom serve` and `warroom db upgrade`."""

from typing import Annotated

import typer

from warroom.cli.database import open_database, redact
from warroom.cli.output import console
from warroom.clock import SystemClock
from warroom.db import migrate
from warroom.settings import get_settings

db_app = typer.Typer(help="Database maintenance: upgrade.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to WARROOM_DATABASE_URL."""
    url = get_settings().database_url
    migrate.upgrade(url)
    console.print(f"database is up to date: [bold]{redact(url)}[/]")


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
    db = open_database(settings.database_url)
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
