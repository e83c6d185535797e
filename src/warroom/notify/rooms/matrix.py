"""Incident rooms on a Matrix homeserver, through the client-server API (v3) over httpx.

The bot account behind the access token creates a private room per incident, invites
people by Matrix id (`@alice:example.org`) and posts plain-text messages.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from warroom.notify.rooms.base import Room, RoomError, room_name, unique_members

log = logging.getLogger(__name__)

CLIENT_API = "/_matrix/client/v3"
# Room names are state events; keep them short enough for every client to show.
MAX_ROOM_NAME = 255


class MatrixRoomAdapter:
    name = "matrix"

    def __init__(
        self,
        *,
        homeserver: str,
        access_token: str,
        client: httpx.Client | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._base = homeserver.rstrip("/") + CLIENT_API
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._client = client or httpx.Client(timeout=timeout_seconds)
        self._server_name: str | None = None

    def open_room(self, *, incident_id: int, title: str, topic: str) -> Room:
        name = room_name(incident_id)
        full_name = f"{name}: {title.strip()}" if title.strip() else name
        body: dict[str, Any] = {
            "name": full_name[:MAX_ROOM_NAME],
            "preset": "private_chat",
            "visibility": "private",
        }
        if topic.strip():
            body["topic"] = topic.strip()
        answer = _json(self._request("POST", "/createRoom", "createRoom", json=body))
        room_id = answer.get("room_id")
        if not isinstance(room_id, str) or not room_id.startswith("!"):
            raise RoomError("Matrix createRoom answered without a room id", permanent=True)
        return Room(adapter=self.name, id=room_id, url=self._room_url(room_id), name=name)

    def invite(self, room: Room, members: Sequence[str]) -> list[str]:
        return [m for m in unique_members(members) if not self._invite_one(room, m)]

    def post(self, room: Room, text: str) -> None:
        # The transaction id makes a repeated PUT a no-op on the server, so the one retry
        # below (same id) cannot post the message twice.
        path = f"/rooms/{_segment(room.id)}/send/m.room.message/{uuid.uuid4().hex}"
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
        try:
            return self._client.request(method, self._base + path, headers=self._headers, json=json)
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
