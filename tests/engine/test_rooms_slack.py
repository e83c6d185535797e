"""An alert through the Events v2 endpoint opens a Slack channel for its incident,
invites the service's responders and posts the initial message: all through the engine,
against a fake Slack that holds the Web API's contract."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import Personas
from tests.engine.helpers import events
from tests.engine.stage import INITIAL, Stage, staged
from tests.fakes.slack import BOT_USER, FakeSlack
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.timeline import EventType
from warroom.engine.models import TaskState


@pytest.fixture
def stage(
    db: Database, clock: FakeClock, people: Personas, fake_slack: FakeSlack
) -> Iterator[Stage]:
    yield from staged(db, clock, people, fake_slack)


def test_an_alert_opens_a_slack_channel_invites_responders_and_posts(stage: Stage) -> None:
    incident_id = stage.trigger(stage.service_with_responders())

    assert stage.run_until_idle() == 3

    [create] = stage.slack.calls_to("conversations.create")
    assert create.args["name"] == f"incident-{incident_id}"
    [topic] = stage.slack.calls_to("conversations.setTopic")
    assert topic.args["topic"] == f"SEV-1 · checkout · http://warroom.test/incidents/{incident_id}"
    [invite] = stage.slack.calls_to("conversations.invite")
    assert invite.args["users"] == "U0ALICE001,U0BOB00001"
    [post] = stage.slack.calls_to("chat.postMessage")
    assert post.args["text"].startswith(INITIAL)
    assert "Status page: http://warroom.test/status" in post.args["text"]
    channel = stage.slack.channel_named(f"incident-{incident_id}")
    assert {"U0ALICE001", "U0BOB00001"} <= set(channel.members)
    assert [m["text"] for m in channel.messages] == [post.args["text"]]

    incident = stage.incident(incident_id)
    assert incident.room_url == f"https://app.slack.com/client/T0FAKETEAM/{channel.id}"
    assert 4 in {c.item for c in incident.checklist}
    [opened] = events(stage.db, incident_id, EventType.ROOM_OPENED)
    assert opened | {"url": incident.room_url} == {
        "url": incident.room_url,
        "previous": None,
        "adapter": "slack",
        "room_id": channel.id,
        "name": f"incident-{incident_id}",
    }
    [invited] = events(stage.db, incident_id, EventType.ROOM_INVITED)
    assert invited["invited"] == ["U0ALICE001", "U0BOB00001"]
    assert invited["failed"] == []
    assert invited["skipped"] == ["carol"]
    assert invited["handles"] == {"U0ALICE001": "alice", "U0BOB00001": "bob"}
    [posted] = events(stage.db, incident_id, EventType.ROOM_MESSAGE_POSTED)
    assert posted["text"] == post.args["text"]
    assert events(stage.db, incident_id, EventType.AUTOMATION_FAILED) == []
    assert {k: t.state for k, t in stage.tasks(incident_id).items()} == {
        "open_room": TaskState.DONE,
        "invite_room": TaskState.DONE,
        "post_room_message": TaskState.DONE,
    }

    # Nothing runs twice.
    stage.clock.advance(hours=1)
    assert stage.run_until_idle() == 0
    assert len(stage.slack.calls_to("conversations.create")) == 1


def test_a_rate_limited_slack_is_asked_again_later(stage: Stage) -> None:
    incident_id = stage.trigger(stage.service_with_responders())
    stage.slack.rate_limit_next("conversations.create", retry_after=30)

    assert stage.run_until_idle() == 1
    open_task = stage.tasks(incident_id)["open_room"]
    assert open_task.state is TaskState.PENDING
    assert "ratelimited" in (open_task.last_error or "")
    assert open_task.due_at == stage.clock.now() + timedelta(seconds=30)
    assert stage.incident(incident_id).room_url is None

    stage.clock.advance(seconds=29)
    assert stage.run_until_idle() == 0
    stage.clock.advance(seconds=1)
    assert stage.run_until_idle() == 3

    assert len(stage.slack.calls_to("conversations.create")) == 2
    assert len(stage.slack.channels) == 1
    assert stage.incident(incident_id).room_url is not None
    assert events(stage.db, incident_id, EventType.AUTOMATION_FAILED) == []
    assert len(events(stage.db, incident_id, EventType.ROOM_MESSAGE_POSTED)) == 1


def test_a_failed_post_is_retried_without_opening_a_second_channel(stage: Stage) -> None:
    incident_id = stage.trigger(stage.service_with_responders())
    stage.slack.fail_next("chat.postMessage", status=503)

    assert stage.run_until_idle() == 3
    assert stage.tasks(incident_id)["post_room_message"].state is TaskState.PENDING
    stage.clock.advance(seconds=10)
    assert stage.run_until_idle() == 1

    assert len(stage.slack.calls_to("conversations.create")) == 1
    assert len(stage.slack.calls_to("conversations.invite")) == 1
    assert len(stage.slack.channel_named(f"incident-{incident_id}").messages) == 1


@pytest.fixture
def bad_token_stage(
    db: Database, clock: FakeClock, people: Personas, fake_slack: FakeSlack
) -> Iterator[Stage]:
    yield from staged(db, clock, people, fake_slack, slack_bot_token="xoxb-revoked-token")


def test_an_invalid_token_fails_visibly_on_the_incident(bad_token_stage: Stage) -> None:
    stage = bad_token_stage
    incident_id = stage.trigger(stage.service_with_responders())

    assert stage.run_until_idle() == 1

    assert stage.tasks(incident_id)["open_room"].state is TaskState.FAILED
    [failed] = events(stage.db, incident_id, EventType.AUTOMATION_FAILED)
    assert failed["task"] == "open_room"
    assert failed["permanent"] is True
    assert "invalid_auth" in failed["error"]
    assert stage.incident(incident_id).room_url is None
    stage.clock.advance(hours=1)
    assert stage.run_until_idle() == 0


@pytest.fixture
def no_adapter_stage(
    db: Database, clock: FakeClock, people: Personas, fake_slack: FakeSlack
) -> Iterator[Stage]:
    yield from staged(db, clock, people, fake_slack, slack_bot_token=None)


def test_without_a_room_adapter_the_task_finishes_with_nothing_to_do(
    no_adapter_stage: Stage,
) -> None:
    stage = no_adapter_stage
    incident_id = stage.trigger(stage.service_with_responders())

    assert stage.run_until_idle() == 1

    assert stage.tasks(incident_id)["open_room"].state is TaskState.DONE
    assert stage.slack.calls == []
    assert stage.incident(incident_id).room_url is None
    assert events(stage.db, incident_id, EventType.AUTOMATION_FAILED) == []


def test_a_channel_an_earlier_run_created_is_the_room(stage: Stage) -> None:
    incident_id = stage.trigger(stage.service_with_responders())
    # An earlier run created the channel, and its answer was lost.
    earlier = stage.slack.add_channel(
        f"incident-{incident_id}", members=(BOT_USER,), creator=BOT_USER
    )

    assert stage.run_until_idle() == 3

    assert len(stage.slack.channels) == 1
    [opened] = events(stage.db, incident_id, EventType.ROOM_OPENED)
    assert opened["room_id"] == earlier.id
    assert len(earlier.messages) == 1
