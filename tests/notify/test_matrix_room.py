"""The Matrix room adapter against a real Synapse homeserver (one per test session)."""

from urllib.parse import quote

import pytest

from tests.notify.synapse import MatrixUser, Synapse
from warroom.notify.rooms import Room, RoomError
from warroom.notify.rooms.matrix import MatrixRoomAdapter

pytestmark = pytest.mark.xdist_group("synapse")


@pytest.fixture(scope="module")
def bot(synapse: Synapse) -> MatrixUser:
    return synapse.register("warroom-bot")


@pytest.fixture
def adapter(synapse: Synapse, bot: MatrixUser) -> MatrixRoomAdapter:
    return MatrixRoomAdapter(homeserver=synapse.url, access_token=bot.access_token)


def room_events(synapse: Synapse, user: MatrixUser, room_id: str) -> list[dict[str, object]]:
    response = synapse.client_api(
        user, "GET", f"/rooms/{quote(room_id, safe='')}/messages", params={"dir": "b", "limit": 100}
    )
    assert response.status_code == 200, response.text
    chunk = response.json()["chunk"]
    assert isinstance(chunk, list)
    return chunk


def test_open_invite_post_seen_by_the_people_invited(
    synapse: Synapse, adapter: MatrixRoomAdapter
) -> None:
    alice, bob = synapse.register("alice"), synapse.register("bob")
    ghost = f"@ghost-never-registered:{synapse.server_name}"

    room = adapter.open_room(
        incident_id=42, title="Checkout is down", topic="SEV1 · checkout · IC: Alice"
    )
    failed = adapter.invite(room, [alice.user_id, bob.user_id, ghost, "not-a-matrix-id", ""])
    adapter.post(room, "Incident declared: checkout is down. Next update in 30 minutes.")

    assert room.adapter == "matrix"
    assert room.name == "incident-42"
    assert room.id.startswith("!")
    assert room.url.startswith(f"https://matrix.to/#/{room.id}")
    assert failed == [ghost, "not-a-matrix-id"]

    # A private_chat room admits only the invited: both people can join.
    for person in (alice, bob):
        joined = synapse.join(person, room.id)
        assert joined.status_code == 200, joined.text
    events = room_events(synapse, alice, room.id)
    bodies = [
        e["content"]["body"]  # type: ignore[index]
        for e in events
        if e["type"] == "m.room.message"
    ]
    assert bodies == ["Incident declared: checkout is down. Next update in 30 minutes."]
    state = {e["type"]: e["content"] for e in events if "state_key" in e}
    assert state["m.room.topic"]["topic"] == "SEV1 · checkout · IC: Alice"  # type: ignore[index]
    assert state["m.room.name"]["name"] == "incident-42: Checkout is down"  # type: ignore[index]
    assert state["m.room.join_rules"]["join_rule"] == "invite"  # type: ignore[index]

    # Inviting people who already joined is not a failure.
    assert adapter.invite(room, [alice.user_id, bob.user_id]) == []


def test_an_uninvited_person_cannot_join(synapse: Synapse, adapter: MatrixRoomAdapter) -> None:
    room = adapter.open_room(incident_id=43, title="Private", topic="")
    outsider = synapse.register("outsider")

    assert synapse.join(outsider, room.id).status_code == 403


def test_each_post_is_its_own_message(
    synapse: Synapse, adapter: MatrixRoomAdapter, bot: MatrixUser
) -> None:
    room = adapter.open_room(incident_id=44, title="Twice", topic="t")
    adapter.post(room, "same words")
    adapter.post(room, "same words")

    bodies = [e for e in room_events(synapse, bot, room.id) if e["type"] == "m.room.message"]
    assert len(bodies) == 2


def test_a_bad_access_token_is_permanent(synapse: Synapse) -> None:
    adapter = MatrixRoomAdapter(homeserver=synapse.url, access_token="syt_not_a_token")

    with pytest.raises(RoomError) as caught:
        adapter.open_room(incident_id=45, title="x", topic="y")

    assert caught.value.permanent is True
    assert "M_UNKNOWN_TOKEN" in str(caught.value)


def test_a_room_the_bot_is_not_in_is_permanent_for_posts(
    synapse: Synapse, adapter: MatrixRoomAdapter
) -> None:
    stranger = MatrixRoomAdapter(
        homeserver=synapse.url, access_token=synapse.register("stranger").access_token
    )
    theirs = stranger.open_room(incident_id=46, title="Not ours", topic="")
    gone = Room(adapter="matrix", id=theirs.id, url=theirs.url, name=theirs.name)

    with pytest.raises(RoomError) as caught:
        adapter.post(gone, "hello?")

    assert caught.value.permanent is True


def test_posting_again_with_the_same_key_posts_once(
    synapse: Synapse, adapter: MatrixRoomAdapter, bot: MatrixUser
) -> None:
    room = adapter.open_room(incident_id=47, title="Once", topic="t")
    adapter.post(room, "only once", idempotency_key="warroom-task-7")
    # The engine runs the task again (the first answer was a 5xx, or was lost).
    adapter.post(room, "only once", idempotency_key="warroom-task-7")
    adapter.post(room, "another task", idempotency_key="warroom-task-8")

    bodies = [
        e["content"]["body"]  # type: ignore[index]
        for e in room_events(synapse, bot, room.id)
        if e["type"] == "m.room.message"
    ]
    assert sorted(bodies) == ["another task", "only once"]


def test_opening_twice_for_one_incident_gives_one_room(
    synapse: Synapse, adapter: MatrixRoomAdapter, bot: MatrixUser
) -> None:
    first = adapter.open_room(incident_id=48, title="Twice", topic="t")
    again = adapter.open_room(incident_id=48, title="Twice", topic="t")

    assert again == first
    alias = quote(f"#warroom-incident-48:{synapse.server_name}", safe="")
    found = synapse.client_api(bot, "GET", f"/directory/room/{alias}")
    assert found.json()["room_id"] == first.id


def test_an_alias_taken_by_a_room_the_bot_is_not_in_gets_a_suffix(
    synapse: Synapse, adapter: MatrixRoomAdapter, bot: MatrixUser
) -> None:
    stranger = MatrixRoomAdapter(
        homeserver=synapse.url, access_token=synapse.register("stranger").access_token
    )
    theirs = stranger.open_room(incident_id=49, title="Theirs", topic="")

    ours = adapter.open_room(incident_id=49, title="Ours", topic="")
    again = adapter.open_room(incident_id=49, title="Ours", topic="")

    assert ours.id != theirs.id
    assert again == ours
    assert ours.name == "incident-49"
    alias = quote(f"#warroom-incident-49-2:{synapse.server_name}", safe="")
    assert synapse.client_api(bot, "GET", f"/directory/room/{alias}").json()["room_id"] == ours.id
