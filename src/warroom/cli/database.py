"""Opening the configured database for commands that work on it directly."""

from sqlalchemy.exc import SQLAlchemyError

from warroom.cli.output import fail
from warroom.db import migrate
from warroom.db.session import Database


def open_database(url: str) -> Database:
    """The database at `url`, at the newest schema, or the command ends with a message.

    The embedded SQLite database needs no separate step, so it is brought up to date
    here; a shared PostgreSQL is upgraded only on purpose (`warroom db upgrade`), since
    other processes may be running against it."""
    db = Database(url)
    try:
        if db.is_sqlite:
            if migrate.pending(db.engine):
                migrate.upgrade(url)
        elif migrate.pending(db.engine):
            db.dispose()
            fail("the database schema is behind: run `warroom db upgrade` first", code=2)
    except SQLAlchemyError as exc:
        db.dispose()
        first_line = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        fail(f"cannot open the database {redact(url)}: {first_line}", code=2)
    return db


def redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in creds else url
    return url
