"""The room adapter interface and the choice of adapter from settings.

An adapter opens one chat room per incident, invites people into it and posts into it.
Callers treat every failure alike: a `RoomError` that says whether trying again later
can help. The system never needs an adapter: without one the incident page is the room.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The longest one adapter operation (open a room, invite, post) may take in all, however
# many requests it makes: checked before each request, so at most one request timeout
# more can pass. The engine's lease (warroom.engine.runner.DEFAULT_LEASE_SECONDS) is set
# well above it, so a task's claim outlasts its handler.
OPERATION_DEADLINE_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Room:
    adapter: str  # "slack" | "matrix"
    id: str  # Slack channel id (C…) / Matrix room id (!…)
    url: str  # a link a person can open
    name: str  # e.g. "incident-42"


class RoomError(Exception):
    """A room operation failed. `permanent=False` means the same call may work later
    (rate limit, server error, network); `permanent=True` means it will not until someone
    changes configuration (bad token, missing scope, unknown room)."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # Seconds the service asked us to wait (rate limits); None when it did not say.
        self.retry_after = retry_after


class RoomAdapter(Protocol):
    name: str

    def open_room(self, *, incident_id: int, title: str, topic: str) -> Room: ...

    def invite(self, room: Room, members: Sequence[str]) -> list[str]:
        """Invite adapter-specific member ids; return those that could not be invited.
        One bad member never raises; a failure of the whole call (auth, rate limit) does."""
        ...

    def post(self, room: Room, text: str, *, idempotency_key: str | None = None) -> None:
        """Post plain text. With an `idempotency_key` the adapter makes a repeat of the
        same post a no-op where its service allows (Matrix transaction ids); adapters
        whose service has no such thing (Slack) ignore it."""
        ...


class Deadline:
    """The time left for one adapter operation, on the monotonic clock."""

    def __init__(self, seconds: float = OPERATION_DEADLINE_SECONDS) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    def check(self, what: str) -> None:
        """Before a request: a transient RoomError once the operation has run too long."""
        if self.remaining() <= 0:
            raise RoomError(
                f"{what}: gave up, the operation took longer than {self.seconds:.0f}s",
                permanent=False,
            )


def room_name(incident_id: int) -> str:
    return f"incident-{incident_id}"


def unique_members(members: Sequence[str]) -> list[str]:
    """Members in the given order, stripped, without blanks or repeats."""
    seen: dict[str, None] = {}
    for member in members:
        cleaned = member.strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def configured_room_adapter(settings: Any) -> RoomAdapter | None:
    """The adapter the settings configure, Slack first; None when neither is configured.

    Reads the fields with defaults so that settings without them mean "no adapter"."""
    # Imported here so that a deployment without a chat transport never imports its client.
    slack_token = _setting(settings, "slack_bot_token")
    if slack_token:
        from warroom.notify.rooms.slack import SLACK_API_URL, SlackRoomAdapter

        return SlackRoomAdapter(
            token=slack_token, base_url=_setting(settings, "slack_api_url") or SLACK_API_URL
        )
    homeserver = _setting(settings, "matrix_homeserver")
    matrix_token = _setting(settings, "matrix_access_token")
    if homeserver and matrix_token:
        from warroom.notify.rooms.matrix import MatrixRoomAdapter

        return MatrixRoomAdapter(homeserver=homeserver, access_token=matrix_token)
    return None


def _setting(settings: Any, field: str) -> str | None:
    value = getattr(settings, field, None)
    if value is None:
        return None
    # A pydantic SecretStr keeps its value behind get_secret_value(); str() would mask it.
    reveal = getattr(value, "get_secret_value", None)
    text = str(reveal() if callable(reveal) else value).strip()
    return text or None
