"""What every browser test needs: Debian's Chromium, a browser per module, and a migrated
database with an admin to sign in as."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import missing
from warroom.clock import SystemClock
from warroom.db.migrate import upgrade
from warroom.db.session import Database
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole

CHROMIUM = Path("/usr/bin/chromium")
# The lead looks at these after a run; a fixed, well-known place is the point.
SHOTS = Path("/tmp")  # noqa: S108
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        missing(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")


def database_with_admin(where: Path) -> tuple[Database, str]:
    """A migrated SQLite database holding user `admin`, and that admin's token."""
    url = f"sqlite:///{where / 'warroom.db'}"
    upgrade(url)
    db = Database(url)
    now = SystemClock().now()
    with db.write() as session:
        admin = do_create_user(
            session, handle="admin", name="Administrator", role=UserRole.ADMIN, now=now
        )
        token = do_create_token(session, user=admin, now=now).secret
    return db, token


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
