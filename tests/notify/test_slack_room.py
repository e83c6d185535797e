"""The Slack room adapter against the fake Slack Web API (a real HTTP server)."""

import socket
from typing import Any

import pytest

from tests.fakes.slack import BOT_USER, TEAM_ID, FakeSlack
from warroom.notify.rooms import Room, RoomError
from warroom.notify.rooms.slack import SlackRoomAdapter

ALICE, BOB = "U0ALICE001", "U0BOB00001"
UNKNOWN = "U0NOBODY99"


def adapter_for(fake: FakeSlack, token: str | None = None) -> SlackRoomAdapter:
    return SlackRoomAdapter(token=token or fake.token, base_url=fake.api_url)


def test_open_room_creates_the_channel_and_sets_its_topic(fake_slack: FakeSlack) -> None:
    room = adapter_for(fake_slack).open_room(
        incident_id=42, title="Checkout is down", topic="SEV1 · checkout · IC: Alice"
    )

    channel = fake_slack.channel_named("incident-42")
    assert room == Room(
        adapter="slack",
        id=channel.id,
        url=f"https://app.slack.com/client/{TEAM_ID}/{channel.id}",
        name="incident-42",
    )
    assert channel.topic == "SEV1 · checkout · IC: Alice"
    assert channel.is_private is False
    create = fake_slack.calls_to("conversations.create")[0]
    assert create.args["name"] == "incident-42"
    assert create.authorization == f"Bearer {fake_slack.token}"


def test_invite_reports_the_unknown_user_and_invites_the_rest(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    room = slack.open_room(incident_id=7, title="Latency", topic="SEV2")

    failed = slack.invite(room, [ALICE, UNKNOWN, BOB, ALICE, BOT_USER])

    assert failed == [UNKNOWN]
    assert fake_slack.channels[room.id].members == [BOT_USER, ALICE, BOB]
    # The list was tried first, then member by member to learn who failed.
    first = fake_slack.calls_to("conversations.invite")[0]
    assert first.args["users"] == f"{ALICE},{UNKNOWN},{BOB},{BOT_USER}"


def test_invite_is_quiet_when_everyone_is_already_there(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    room = slack.open_room(incident_id=8, title="x", topic="y")
    assert slack.invite(room, [ALICE, BOB]) == []
    assert len(fake_slack.calls_to("conversations.invite")) == 1

    assert slack.invite(room, [ALICE]) == []
    assert slack.invite(room, [ALICE, BOB]) == []
    assert slack.invite(room, []) == []
    assert slack.invite(room, [UNKNOWN]) == [UNKNOWN]


def test_post_sends_the_text_to_the_channel(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    room = slack.open_room(incident_id=9, title="x", topic="y")

    slack.post(room, "Incident declared: *SEV1* checkout is down")

    assert [m["text"] for m in fake_slack.channels[room.id].messages] == [
        "Incident declared: *SEV1* checkout is down"
    ]
    post = fake_slack.calls_to("chat.postMessage")[0]
    assert post.content_type.startswith("application/json")


def test_a_taken_name_gets_a_numbered_suffix(fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("incident-5")
    fake_slack.add_channel("incident-5-2")

    room = adapter_for(fake_slack).open_room(incident_id=5, title="x", topic="y")

    assert room.name == "incident-5-3"
    assert [c.args["name"] for c in fake_slack.calls_to("conversations.create")] == [
        "incident-5",
        "incident-5-2",
        "incident-5-3",
    ]


def test_rate_limited_is_a_transient_error_with_the_wait(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    fake_slack.rate_limit_next("conversations.create", retry_after=17)

    with pytest.raises(RoomError) as caught:
        slack.open_room(incident_id=1, title="x", topic="y")

    assert caught.value.permanent is False
    assert caught.value.retry_after == 17
    assert "ratelimited" in str(caught.value)
    # Once the limit has passed the same call works.
    assert slack.open_room(incident_id=1, title="x", topic="y").name == "incident-1"


def test_rate_limit_while_inviting_or_posting_is_transient(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    room = slack.open_room(incident_id=2, title="x", topic="y")

    fake_slack.rate_limit_next("conversations.invite", retry_after=3)
    with pytest.raises(RoomError) as invited:
        slack.invite(room, [ALICE])
    fake_slack.rate_limit_next("chat.postMessage")
    with pytest.raises(RoomError) as posted:
        slack.post(room, "hello")

    assert (invited.value.permanent, posted.value.permanent) == (False, False)


def test_server_errors_and_unreachable_slack_are_transient(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next(status=503)
    with pytest.raises(RoomError) as failed:
        adapter_for(fake_slack).open_room(incident_id=3, title="x", topic="y")
    assert failed.value.permanent is False

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    nowhere = SlackRoomAdapter(token="xoxb-1", base_url=f"http://127.0.0.1:{closed_port}/api/")
    with pytest.raises(RoomError) as unreachable:
        nowhere.open_room(incident_id=3, title="x", topic="y")
    assert unreachable.value.permanent is False


def test_an_invalid_token_is_permanent(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack, token="xoxb-revoked-token")

    with pytest.raises(RoomError) as caught:
        slack.open_room(incident_id=4, title="x", topic="y")

    assert caught.value.permanent is True
    assert "invalid_auth" in str(caught.value)
    assert fake_slack.channels == {}


def test_an_unknown_channel_is_permanent_for_invite_and_post(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    gone = Room(adapter="slack", id="C999999999", url="slack://channel?id=C999999999", name="x")

    for call in (lambda: slack.invite(gone, [ALICE]), lambda: slack.post(gone, "hi")):
        with pytest.raises(RoomError) as caught:
            call()
        assert caught.value.permanent is True
        assert "channel_not_found" in str(caught.value)


def test_a_failed_topic_does_not_fail_the_opened_room(fake_slack: FakeSlack) -> None:
    # The channel exists once create succeeded; raising would make a retry open another.
    fake_slack.rate_limit_next("conversations.setTopic")

    room = adapter_for(fake_slack).open_room(incident_id=6, title="x", topic="y")

    assert fake_slack.channels[room.id].topic == ""
    assert len(fake_slack.channels) == 1


def test_the_link_falls_back_to_auth_test_for_the_workspace() -> None:
    with FakeSlack(include_context_team_id=False) as fake:
        slack = adapter_for(fake)
        first = slack.open_room(incident_id=10, title="x", topic="y")
        second = slack.open_room(incident_id=11, title="x", topic="y")

        assert first.url == f"https://app.slack.com/client/{TEAM_ID}/{first.id}"
        assert second.url.endswith(second.id)
        assert len(fake.calls_to("auth.test")) == 1


def test_the_fake_holds_clients_to_slacks_contract(fake_slack: FakeSlack) -> None:
    def call(method: str, args: dict[str, str], auth: str | None = None) -> object:
        return fake_slack.handle(
            method,
            args,
            content_type="application/x-www-form-urlencoded",
            authorization=auth if auth is not None else f"Bearer {fake_slack.token}",
        )[2]

    assert call("conversations.create", {"name": "x"}, auth="") == {
        "ok": False,
        "error": "invalid_auth",
    }
    assert fake_slack.handle(
        "auth.test", {}, content_type="application/x-www-form-urlencoded", authorization=None
    )[2] == {"ok": False, "error": "not_authed"}
    for name, error in (
        ("", "invalid_name_required"),
        ("Incident-1", "invalid_name_specials"),
        ("incident 1", "invalid_name_specials"),
        ("incident.1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("---", "invalid_name_punctuation"),
    ):
        assert call("conversations.create", {"name": name}) == {"ok": False, "error": error}
    assert call("conversations.invite", {"channel": "C1"}) == {
        "ok": False,
        "error": "channel_not_found",
    }
    channel = fake_slack.add_channel("ops", members=(BOT_USER,))
    assert call("conversations.invite", {"channel": channel.id}) == {
        "ok": False,
        "error": "no_user",
    }
    assert call("chat.postMessage", {"channel": channel.id}) == {"ok": False, "error": "no_text"}


def test_opening_again_after_a_lost_answer_reuses_the_channel(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    first = slack.open_room(incident_id=12, title="x", topic="SEV1")
    # The answer to that create was lost: the engine runs the step again.
    fake_slack.list_page_size = 1  # Slack may page even short lists
    fake_slack.add_channel("general", members=(BOT_USER,))
    fake_slack.add_channel("incident-120", members=(BOT_USER,))

    again = slack.open_room(incident_id=12, title="x", topic="SEV1")

    assert again == first
    assert [c.name for c in fake_slack.channels.values()].count("incident-12") == 1
    assert not any(c.name.startswith("incident-12-") for c in fake_slack.channels.values())
    lists = fake_slack.calls_to("conversations.list")
    assert len(lists) == 3  # one channel a page, every page read
    assert lists[0].args["types"] == "public_channel,private_channel"
    assert [c.args.get("cursor") for c in lists][1:] == ["dGVhbTpD1", "dGVhbTpD2"]


def test_a_taken_name_the_bot_is_not_in_still_gets_a_suffix(fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("incident-13", members=(ALICE,))
    fake_slack.add_channel("incident-13-2", members=(BOT_USER,), is_archived=True)
    slack = adapter_for(fake_slack)

    room = slack.open_room(incident_id=13, title="x", topic="y")
    again = slack.open_room(incident_id=13, title="x", topic="y")

    assert room.name == "incident-13-3"
    assert again == room
    assert len(fake_slack.calls_to("conversations.list")) == 2


def test_a_private_channel_of_the_bot_is_found_again(fake_slack: FakeSlack) -> None:
    slack = SlackRoomAdapter(token=fake_slack.token, base_url=fake_slack.api_url, private=True)
    room = slack.open_room(incident_id=14, title="x", topic="y")

    assert slack.open_room(incident_id=14, title="x", topic="y") == room
    assert fake_slack.channels[room.id].is_private


def test_without_permission_to_list_a_taken_name_gets_a_suffix(fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("incident-15", members=(BOT_USER,))
    fake_slack.fail_next("conversations.list", status=403)

    room = adapter_for(fake_slack).open_room(incident_id=15, title="x", topic="y")

    assert room.name == "incident-15-2"


def test_post_escapes_slacks_control_characters(fake_slack: FakeSlack) -> None:
    slack = adapter_for(fake_slack)
    room = slack.open_room(incident_id=16, title="x", topic="y")

    slack.post(room, "<!channel> p99 > 2s & <@U0ALICE001> <https://evil.example|docs>")

    [message] = fake_slack.channels[room.id].messages
    assert message["text"] == (
        "&lt;!channel&gt; p99 &gt; 2s &amp; &lt;@U0ALICE001&gt; &lt;https://evil.example|docs&gt;"
    )
    assert message["mentions"] == []


def test_the_fake_lists_channels_as_slack_documents(fake_slack: FakeSlack) -> None:
    def call(args: dict[str, str]) -> Any:
        return fake_slack.handle(
            "conversations.list",
            args,
            content_type="",
            authorization=f"Bearer {fake_slack.token}",
            http_method="GET",
        )[2]

    ours = fake_slack.add_channel("ours", members=(BOT_USER,), is_private=True)
    fake_slack.add_channel("secret", members=(ALICE,), is_private=True)
    public = fake_slack.add_channel("public")
    old = fake_slack.add_channel("old", is_archived=True)

    default = call({})
    assert [c["id"] for c in default["channels"]] == [public.id, old.id]
    both = call({"types": "public_channel,private_channel", "exclude_archived": "true"})
    assert [c["name"] for c in both["channels"]] == ["ours", "public"]
    assert both["channels"][0]["is_member"] is True
    assert both["channels"][1]["is_member"] is False
    assert both["response_metadata"]["next_cursor"] == ""
    first = call({"types": "public_channel,private_channel", "limit": "1"})
    assert [c["id"] for c in first["channels"]] == [ours.id]
    cursor = first["response_metadata"]["next_cursor"]
    second = call({"types": "public_channel,private_channel", "limit": "1", "cursor": cursor})
    assert [c["id"] for c in second["channels"]] == [public.id]
    assert call({"types": "channels"}) == {"ok": False, "error": "invalid_types"}
    assert call({"limit": "1001"}) == {"ok": False, "error": "invalid_limit"}
    assert call({"cursor": "nonsense"}) == {"ok": False, "error": "invalid_cursor"}
    # Write methods stay POST-only.
    status, _, _ = fake_slack.handle(
        "chat.postMessage",
        {"channel": public.id, "text": "x"},
        content_type="",
        authorization=f"Bearer {fake_slack.token}",
        http_method="GET",
    )
    assert status == 405
