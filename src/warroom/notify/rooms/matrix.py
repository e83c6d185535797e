"""Incident rooms on a Matrix homeserver, through the client-server API (v3) over httpx.

The bot account behind the access token creates a private room per incident, invites
people by Matrix id (`@alice:example.org`) and posts plain-text messages.

Both are safe to repeat. A room is created with the local alias
`#warroom-incident-<id>:<server>`; when that alias is taken by a room the bot is in (an
earlier run created it and its answer was lost), that room is the incident's room. A
post's transaction id comes from the caller's idempotency key, so the homeserver
ignores a repeat (Synapse remembers transaction ids per device for about 30 minutes).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from warroom.notify.rooms.base import (
    OPERATION_DEADLINE_SECONDS,
    Deadline,
    Room,
    RoomError,
    room_name,
    unique_members,
)

log = logging.getLogger(__name__)

CLIENT_API = "/_matrix/client/v3"
# Room names are state events; keep them short enough for every client to show.
MAX_ROOM_NAME = 255
ALIAS_PREFIX = "warroom-"
# How many `warroom-incident-<id>-<n>` aliases to try when earlier ones belong to rooms
# the bot is not in (e.g. an earlier installation whose incident ids started over).
MAX_ALIAS_ATTEMPTS = 20


class MatrixRoomAdapter:
    name = "matrix"

    def __init__(
        self,
        *,
        homeserver: str,
        access_token: str,
        client: httpx.Client | None = None,
        timeout_seconds: float = 10.0,
        deadline_seconds: float = OPERATION_DEADLINE_SECONDS,
    ) -> None:
        self._base = homeserver.rstrip("/") + CLIENT_API
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._client = client or httpx.Client(timeout=timeout_seconds)
        self._timeout = timeout_seconds
        self._deadline_seconds = deadline_seconds
        # The operation under way: every request checks it and is cut to what is left.
        self._deadline = Deadline(deadline_seconds)
        self._server_name: str | None = None

    def open_room(self, *, incident_id: int, title: str, topic: str) -> Room:
        self._deadline = Deadline(self._deadline_seconds)
        name = room_name(incident_id)
        full_name = f"{name}: {title.strip()}" if title.strip() else name
        body: dict[str, Any] = {
            "name": full_name[:MAX_ROOM_NAME],
            "preset": "private_chat",
            "visibility": "private",
        }
        if topic.strip():
            body["topic"] = topic.strip()
        base_alias = f"{ALIAS_PREFIX}{name}"
        for attempt in range(1, MAX_ALIAS_ATTEMPTS + 1):
            alias_name = base_alias if attempt == 1 else f"{base_alias}-{attempt}"
            response = self._send(
                "POST", "/createRoom", "createRoom", json=body | {"room_alias_name": alias_name}
            )
            if response.status_code == 200:
                room_id = _json(response).get("room_id")
                break
            if _error_of(response).get("errcode") != "M_ROOM_IN_USE":
                raise _room_error("createRoom", response)
            # The alias is taken: by this incident's room if an earlier run created it
            # and lost the answer (the bot is in it), else by someone else's room.
            existing = self._room_of_alias(alias_name)
            if existing is not None and self._is_joined(existing):
                room_id = existing
                break
        else:
            raise RoomError(
                f"Matrix createRoom: #{base_alias} and {MAX_ALIAS_ATTEMPTS - 1} variants "
                "are all taken",
                permanent=True,
            )
        if not isinstance(room_id, str) or not room_id.startswith("!"):
            raise RoomError("Matrix createRoom answered without a room id", permanent=True)
        return Room(adapter=self.name, id=room_id, url=self._room_url(room_id), name=name)

    def invite(self, room: Room, members: Sequence[str]) -> list[str]:
        self._deadline = Deadline(self._deadline_seconds)
        return [m for m in unique_members(members) if not self._invite_one(room, m)]

    def post(self, room: Room, text: str, *, idempotency_key: str | None = None) -> None:
        # The transaction id makes a repeated PUT a no-op on the server, so the one retry
        # below (same id), and a later run with the same idempotency key (the engine
        # retrying the task), cannot post the message twice.
        self._deadline = Deadline(self._deadline_seconds)
        txn_id = idempotency_key or uuid.uuid4().hex
        path = f"/rooms/{_segment(room.id)}/send/m.room.message/{_segment(txn_id)}"
        content = {"msgtype": "m.text", "body": text}
        try:
            self._request("PUT", path, "send", json=content)
        except RoomError as exc:
            if exc.permanent or not isinstance(exc.__cause__, httpx.TransportError):
                raise
            self._request("PUT", path, "send", json=content)

    def _invite_one(self, room: Room, member: str) -> bool:
        """True when the member is invited (or already in the room)."""
        if not _looks_like_user_id(member):
            return False
        if not self._user_exists(member):
            return False
        response = self._send(
            "POST", f"/rooms/{_segment(room.id)}/invite", "invite", json={"user_id": member}
        )
        if response.status_code == 200:
            return True
        error = _error_of(response)
        if response.status_code == 403 and "already" in error.get("error", "").lower():
            return True
        if _is_call_failure(response):
            raise _room_error("invite", response)
        log.info(
            "Matrix refused to invite %s to %s: %s %s",
            member,
            room.id,
            response.status_code,
            error.get("errcode", ""),
        )
        return False

    def _room_of_alias(self, alias_name: str) -> str | None:
        """The room a local alias points at; None when it points nowhere (any more)."""
        server = self._own_server_name()
        if not server:
            raise RoomError(
                "Matrix whoami: cannot tell the homeserver's name to look up a room alias",
                permanent=False,
            )
        alias = f"#{alias_name}:{server}"
        response = self._send("GET", f"/directory/room/{_segment(alias)}", "directory")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _room_error("directory", response)
        room_id = _json(response).get("room_id")
        return room_id if isinstance(room_id, str) and room_id.startswith("!") else None

    def _is_joined(self, room_id: str) -> bool:
        """Whether the bot is in the room: only members may list its joined members."""
        response = self._send("GET", f"/rooms/{_segment(room_id)}/joined_members", "joined_members")
        if response.status_code == 200:
            return True
        if _is_call_failure(response):
            raise _room_error("joined_members", response)
        return False

    def _user_exists(self, member: str) -> bool:
        # Synapse accepts an invite for a local user that was never registered; the profile
        # lookup is the client-server API's way to tell. Only a clear "no such user" counts:
        # servers may hide profiles (403) or fail to reach a remote server (502).
        response = self._send("GET", f"/profile/{_segment(member)}", "profile")
        if response.status_code == 404:
            return False
        if response.status_code in (401, 429):
            raise _room_error("profile", response)
        return True

    def _room_url(self, room_id: str) -> str:
        url = f"https://matrix.to/#/{quote(room_id, safe='!:')}"
        if ":" not in room_id:
            # Room ids of recent room versions carry no server; a link needs one to route.
            server = self._own_server_name()
            if server:
                url += f"?via={quote(server, safe='')}"
        return url

    def _own_server_name(self) -> str:
        if self._server_name is None:
            try:
                answer = _json(self._request("GET", "/account/whoami", "whoami"))
            except RoomError as exc:
                log.info("Matrix whoami failed; room links go without via=: %s", exc)
                return ""
            user_id = str(answer.get("user_id") or "")
            self._server_name = user_id.split(":", 1)[1] if ":" in user_id else ""
        return self._server_name

    def _request(
        self, method: str, path: str, what: str, *, json: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        response = self._send(method, path, what, json=json)
        if response.status_code != 200:
            raise _room_error(what, response)
        return response

    def _send(
        self, method: str, path: str, what: str, *, json: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        self._deadline.check(f"Matrix {what}")
        timeout = min(self._timeout, max(self._deadline.remaining(), 0.1))
        try:
            return self._client.request(
                method, self._base + path, headers=self._headers, json=json, timeout=timeout
            )
        except httpx.TransportError as exc:
            raise RoomError(
                f"Matrix {what}: cannot reach the homeserver: {exc!r}", permanent=False
            ) from exc


def _segment(value: str) -> str:
    return quote(value, safe="")


def _looks_like_user_id(member: str) -> bool:
    localpart, _, server = member.partition(":")
    return member.startswith("@") and len(localpart) > 1 and bool(server)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_of(response: httpx.Response) -> dict[str, str]:
    data = _json(response)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _is_call_failure(response: httpx.Response) -> bool:
    """Failures of the call as a whole, as opposed to a refusal of one member."""
    return response.status_code in (401, 429) or response.status_code >= 500


def _room_error(what: str, response: httpx.Response) -> RoomError:
    data = _json(response)
    errcode = str(data.get("errcode") or f"HTTP {response.status_code}")
    detail = str(data.get("error") or "")
    message = f"Matrix {what}: {errcode}" + (f" ({detail})" if detail else "")
    if response.status_code == 429 or response.status_code >= 500:
        return RoomError(message, permanent=False, retry_after=_retry_after(response, data))
    # 401 M_UNKNOWN_TOKEN / M_MISSING_TOKEN, 403 M_FORBIDDEN, 400 M_BAD_JSON, 404, …
    return RoomError(message, permanent=True)


def _retry_after(response: httpx.Response, data: Mapping[str, Any]) -> float | None:
    millis = data.get("retry_after_ms")
    if isinstance(millis, int | float) and not isinstance(millis, bool):
        return max(0.0, millis / 1000)
    header = response.headers.get("Retry-After")
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None
