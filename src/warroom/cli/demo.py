"""`warroom demo`: fill an empty database with a realistic organisation."""

from rich.table import Table

from warroom.cli.client import DEFAULT_LOCAL_USER
from warroom.cli.database import open_database
from warroom.cli.output import console, fail
from warroom.clock import SystemClock
from warroom.demo.load import load_demo
from warroom.errors import WarroomError
from warroom.settings import get_settings
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.users.repository import find_user


def demo() -> None:
    """Load a realistic demo into an empty database: 4 teams, 12 people, services with
    runbooks, rotations, escalation policies, 90 days of incidents with postmortems and
    action items, and one past drill. Works directly on WARROOM_DATABASE_URL."""
    db = open_database(get_settings().database_url)
    now = SystemClock().now()
    console.print("Loading the demo (about half a minute)…")
    try:
        loaded = load_demo(db, now=now)
        secret = None
        with db.write() as session:
            # The account `make run` would have created on an empty database; without
            # it nobody could sign in, and the CLI acts as it on the database directly.
            if find_user(session, DEFAULT_LOCAL_USER) is None:
                admin = do_create_user(
                    session,
                    handle=DEFAULT_LOCAL_USER,
                    name="Administrator",
                    role=UserRole.ADMIN,
                    now=now,
                )
                secret = do_create_token(session, user=admin, name="demo", now=now).secret
    except WarroomError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    table = Table(title="Demo loaded")
    table.add_column("what")
    table.add_column("how many", justify="right")
    for what, count in (
        ("people", loaded.people),
        ("teams", loaded.teams),
        ("services (each with a runbook)", loaded.services),
        ("incidents over 90 days", loaded.incidents),
        ("postmortems", loaded.postmortems),
        ("action items", loaded.action_items),
        ("drills", loaded.drills),
    ):
        table.add_row(what, str(count))
    console.print(table)
    if secret is None:
        console.print("Sign in with the admin token `make run` printed.")
        return
    console.print(
        f"Created user [bold]{DEFAULT_LOCAL_USER}[/]. Its API token (shown once, keep it); "
        "sign in at http://127.0.0.1:8080/login with it:"
    )
    print(secret)
