"""How the Matrix adapter classifies homeserver answers it is hard to get from a real one
(rate limits, server errors, lost connections): an httpx mock transport stands in."""

import json
import socket
from collections.abc import Callable

import httpx
import pytest

from warroom.notify.rooms import Room, RoomError
from warroom.notify.rooms.matrix import MatrixRoomAdapter

ROOM = Room(adapter="matrix", id="!abc:example.org", url="", name="incident-1")


def adapter_answering(
    handler: Callable[[httpx.Request], httpx.Response],
) -> MatrixRoomAdapter:
    return MatrixRoomAdapter(
        homeserver="http://matrix.test",
        access_token="secret-token",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_requests_carry_the_token_and_encode_the_room_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"event_id": "$e"})

    adapter_answering(handler).post(ROOM, "hello")

    (request,) = seen
    assert request.method == "PUT"
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.url.raw_path.decode().startswith(
        "/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/"
    )
    assert json.loads(request.content) == {"msgtype": "m.text", "body": "hello"}


def test_rate_limited_is_transient_with_the_wait() -> None:
    adapter = adapter_answering(
        lambda _: httpx.Response(
            429,
            json={"errcode": "M_LIMIT_EXCEEDED", "error": "Too many", "retry_after_ms": 2500},
        )
    )

    with pytest.raises(RoomError) as caught:
        adapter.open_room(incident_id=1, title="x", topic="y")

    assert caught.value.permanent is False
    assert caught.value.retry_after == 2.5
    assert "M_LIMIT_EXCEEDED" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status: int) -> None:
    adapter = adapter_answering(lambda _: httpx.Response(status, text="<html>down</html>"))

    with pytest.raises(RoomError) as caught:
        adapter.post(ROOM, "x")

    assert caught.value.permanent is False


@pytest.mark.parametrize(
    ("status", "errcode"), [(401, "M_UNKNOWN_TOKEN"), (403, "M_FORBIDDEN"), (400, "M_BAD_JSON")]
)
def test_client_errors_are_permanent(status: int, errcode: str) -> None:
    adapter = adapter_answering(lambda _: httpx.Response(status, json={"errcode": errcode}))

    with pytest.raises(RoomError) as caught:
        adapter.open_room(incident_id=1, title="x", topic="y")

    assert caught.value.permanent is True
    assert errcode in str(caught.value)


def test_a_lost_send_is_retried_once_with_the_same_transaction_id() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if len(paths) == 1:
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(200, json={"event_id": "$e"})

    adapter_answering(handler).post(ROOM, "hello")

    assert len(paths) == 2
    assert paths[0] == paths[1]


def test_invite_raises_for_the_call_and_reports_members() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "/profile/" in request.url.path:
            return httpx.Response(200, json={"displayname": "x"})
        user = json.loads(request.content)["user_id"]
        if user == "@banned:example.org":
            return httpx.Response(403, json={"errcode": "M_FORBIDDEN", "error": "banned"})
        if user == "@slow:example.org":
            return httpx.Response(429, json={"errcode": "M_LIMIT_EXCEEDED"})
        return httpx.Response(200, json={})

    adapter = adapter_answering(handler)

    assert adapter.invite(ROOM, ["@a:example.org", "@banned:example.org"]) == [
        "@banned:example.org"
    ]
    with pytest.raises(RoomError) as caught:
        adapter.invite(ROOM, ["@a:example.org", "@slow:example.org"])
    assert caught.value.permanent is False


def test_an_unreachable_homeserver_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    adapter = MatrixRoomAdapter(
        homeserver=f"http://127.0.0.1:{closed_port}", access_token="t", timeout_seconds=2
    )

    with pytest.raises(RoomError) as caught:
        adapter.open_room(incident_id=1, title="x", topic="y")

    assert caught.value.permanent is False
