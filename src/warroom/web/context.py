from dataclasses import dataclass

from fastapi import Request

from warroom.clock import Clock
from warroom.db.session import Database
from warroom.settings import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    """What every request handler needs: configuration, the database and the time."""

    settings: Settings
    db: Database
    clock: Clock


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx
