from dataclasses import dataclass

from fastapi import Request

from warroom.alerts.intake import Intake
from warroom.clock import Clock
from warroom.db.session import Database
from warroom.integrations.keys import KeyResolver, RateLimiter
from warroom.settings import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    """What every request handler needs: configuration, the database and the time."""

    settings: Settings
    db: Database
    clock: Clock
    # Alert intake: the group-commit writer, key lookups, per-key rate limits.
    intake: Intake
    keys: KeyResolver
    limiter: RateLimiter
    # The CLI's local mode: whoever can open the database already holds every key, so
    # requests without a token act as this user, with that user's role. Never set for
    # a served app.
    acting_as: str | None = None


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx
