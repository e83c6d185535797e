"""Options every API-speaking command takes: where to connect, as whom, and --json."""

from typing import Annotated, Any

import typer

from warroom.cli.client import DEFAULT_LOCAL_USER, Connection

_PANEL = "Connection"

Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="WARROOM_URL",
        help="A warroom server, e.g. http://127.0.0.1:8080. Without it, the command works "
        "directly on the configured database (WARROOM_DATABASE_URL).",
        rich_help_panel=_PANEL,
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="WARROOM_TOKEN",
        help="API token (see `warroom token create`). Needed with --url; without --url "
        "it authenticates on the local database instead of --as.",
        rich_help_panel=_PANEL,
    ),
]
As = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="WARROOM_USER",
        help="Without --url: the user to act as, with that user's role.",
        rich_help_panel=_PANEL,
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead of a table.")
]

Cursor = Annotated[
    str | None, typer.Option(help="Continue a previous listing (the cursor it printed).")
]


def page_params(*, limit: int, cursor: str | None) -> dict[str, Any]:
    """The query for one page of a list; a command adds its filters."""
    return {"limit": limit, **({"cursor": cursor} if cursor else {})}


def connection(url: str | None, token: str | None, as_user: str) -> Connection:
    url = (url or "").strip().rstrip("/") or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"'{url}' is not an http:// or https:// URL", param_hint="--url")
    return Connection(url=url, token=token or None, as_user=as_user)


__all__ = [
    "DEFAULT_LOCAL_USER",
    "As",
    "Cursor",
    "Json",
    "Token",
    "Url",
    "connection",
    "page_params",
]
