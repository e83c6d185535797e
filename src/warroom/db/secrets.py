"""Secrets the application makes for itself, one row each, shared by every process on
the database (`serve`, any number of `warroom engine`s).

The signing key for acknowledge links comes from WARROOM_SECRET_KEY when it is set;
otherwise the first process that needs it generates one and stores it here, and every
process after reads the same row. Two processes generating at once both try to insert
the same primary key: one wins, the other reads the winner's key. Rotating the stored
key (delete the row) invalidates every link sent so far, as setting a new
WARROOM_SECRET_KEY does."""

import secrets
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, UTCDateTime
from warroom.db.session import Database

SIGNING_KEY = "signing_key"


class AppSecret(Base):
    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def stored_secret(db: Database, name: str, *, now: datetime) -> str:
    """The secret called `name`, generated (256 random bits) and stored on first use."""
    with db.read() as session:
        found = session.get(AppSecret, name)
        if found is not None:
            return found.value
    try:
        with db.write() as session:
            session.add(AppSecret(name=name, value=secrets.token_urlsafe(32), created_at=now))
    except IntegrityError:
        pass  # another process stored it first: use theirs
    with db.read() as session:
        found = session.get(AppSecret, name)
        if found is None:  # pragma: no cover - deleted between the two statements
            raise RuntimeError(f"the stored secret '{name}' vanished while being read")
        return found.value
