"""`warroom serve`, `warroom engine` and `warroom db upgrade`."""

import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from warroom.cli.database import open_database, redact
from warroom.cli.output import console
from warroom.clock import SystemClock
from warroom.db import migrate
from warroom.db.session import Database
from warroom.settings import Settings, get_settings

if TYPE_CHECKING:
    from warroom.engine.runner import Engine

# Tasks mostly wait on the network (webhooks, mail, chat APIs), so a few run at once; a
# batch of 2-3 rounds keeps the threads busy between claims.
DEFAULT_CONCURRENCY = 8
DEFAULT_BATCH = 20

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
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="HTTP worker processes (one per core)")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="log every request (a proxy in front usually does)")
    ] = False,
) -> None:
    """Serve the API and web UI, with the background engine in a thread."""
    import uvicorn

    from warroom.users.actions import do_bootstrap_admin
    from warroom.web.access_log import uvicorn_log_config
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
    stop = threading.Event()
    # uvicorn handles SIGINT/SIGTERM itself, then restores these handlers and raises the
    # signal again once it has shut down: that sets `stop`, and the engine thread ends
    # after the task in hand instead of the process dying under it.
    with _stop_on_signals(stop), _engine_thread(settings, db, stop, enabled=not no_engine):
        # With several workers each process builds its own app (and pool) from settings.
        several = workers > 1
        uvicorn.run(
            "warroom.web.app:create_app" if several else create_app(settings, db=db),
            factory=several,
            workers=workers if several else None,
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            access_log=access_log,
            log_config=uvicorn_log_config(),
            ssl_certfile=settings.tls_certfile,
            ssl_keyfile=settings.tls_keyfile,
        )


def engine(
    name: Annotated[
        str | None, typer.Option(help="this engine's name in task claims (default host:pid)")
    ] = None,
    idle_seconds: Annotated[
        float,
        typer.Option(
            min=0.05,
            help="longest pause between polls when nothing is due (shorter when a task "
            "comes due sooner)",
        ),
    ] = 1.0,
    batch: Annotated[int, typer.Option(min=1, help="tasks claimed at a time")] = DEFAULT_BATCH,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="tasks run at once (threads): sending waits on the network"
        ),
    ] = DEFAULT_CONCURRENCY,
) -> None:
    """Run the background engine alone: timers, rooms, deliveries. Start any number
    against one PostgreSQL (next to `warroom serve --no-engine`); Ctrl-C stops it."""
    settings = get_settings()
    db = open_database(settings.database_url)
    stop = threading.Event()
    runner = _build_engine(settings, db, name=name, batch=batch, concurrency=concurrency)
    console.print(
        f"engine [bold]{runner.name}[/] running on {redact(settings.database_url)} "
        f"(batch {batch}, concurrency {concurrency})"
    )
    try:
        with _stop_on_signals(stop):
            runner.run_forever(stop, idle_seconds=idle_seconds)
    finally:
        db.dispose()
    console.print(f"engine [bold]{runner.name}[/] stopped")


def _build_engine(
    settings: Settings,
    db: Database,
    *,
    name: str | None = None,
    batch: int = DEFAULT_BATCH,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> "Engine":
    from warroom.engine.handlers import default_handlers
    from warroom.engine.runner import Engine

    return Engine(
        db,
        SystemClock(),
        settings,
        default_handlers(),
        name=name or _default_name(),
        batch=batch,
        concurrency=concurrency,
    )


def _default_name() -> str:
    # Unique per process, readable in the tasks table: which host and process holds a claim.
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextmanager
def _engine_thread(
    settings: Settings, db: Database, stop: threading.Event, *, enabled: bool
) -> Iterator[None]:
    if not enabled:
        yield
        return
    runner = _build_engine(settings, db)
    # A daemon thread: if the task in hand hangs, the server still exits.
    thread = threading.Thread(
        target=runner.run_forever, args=(stop,), name="warroom-engine", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`: the task in hand finishes, the loop ends."""

    def _handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
