"""`warroom token create`: how an admin bootstraps access, straight on the database."""

from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from warroom.cli.database import open_database
from warroom.cli.output import console, fail, print_json
from warroom.clock import SystemClock
from warroom.errors import WarroomError
from warroom.schemas import Handle
from warroom.settings import get_settings
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.users.repository import find_user

app = typer.Typer(help="API tokens: create.", no_args_is_help=True)

_HANDLE: TypeAdapter[str] = TypeAdapter(Handle)


def _handle(value: str) -> str:
    try:
        return _HANDLE.validate_python(value)
    except ValidationError:
        raise typer.BadParameter(
            f"'{value}' is not a handle: lowercase letters, digits, '.', '_' or '-', "
            "up to 64 characters",
            param_hint="--user",
        ) from None


@app.command()
def create(
    user: Annotated[str, typer.Option(help="The user's handle; created if missing.")],
    role: Annotated[
        UserRole | None,
        typer.Option(
            case_sensitive=False,
            help="viewer, responder or admin. A new user gets this role (default "
            "responder); the token gets it too (default: the user's role).",
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="A label to tell tokens apart.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the token as JSON.")] = False,
) -> None:
    """Create an API token for a user (and the user, if missing); the token is shown once.

    Works directly on the configured database (WARROOM_DATABASE_URL)."""
    handle = _handle(user)
    if len(name) > 100:
        raise typer.BadParameter("at most 100 characters", param_hint="--name")
    now = SystemClock().now()
    db = open_database(get_settings().database_url)
    try:
        with db.write() as session:
            account = find_user(session, handle)
            created = account is None
            if account is None:
                account = do_create_user(
                    session, handle=handle, name=handle, role=role or UserRole.RESPONDER, now=now
                )
            issued = do_create_token(session, user=account, role=role, name=name, now=now)
            token = issued.token
            out: dict[str, Any] = {
                "id": token.id,
                "token": issued.secret,
                "user": account.handle,
                "role": str(token.role),
                "prefix": token.prefix,
                "name": token.name,
                "created_at": token.created_at.isoformat(),
                "user_created": created,
            }
    except WarroomError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    if as_json:
        print_json(out)
        return
    if created:
        console.print(f"Created user [bold]{handle}[/] with role {out['role']}.")
    console.print(
        f"API token for [bold]{handle}[/] (role {out['role']}, name '{name}'); shown once, keep it:"
    )
    # Printed bare so it can be copied (or captured with `| tail -1`) as it is.
    print(issued.secret)
