"""The same automation against a real Synapse homeserver: a private room per incident,
the responder invited by Matrix id, the initial message in the room."""

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import update

from tests.conftest import Personas
from tests.engine.helpers import events
from tests.engine.stage import INITIAL, Stage, staged
from tests.notify.synapse import MatrixUser, Synapse
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.timeline import EventType
from warroom.engine.models import Task, TaskState

pytestmark = pytest.mark.xdist_group("synapse")


@pytest.fixture
def bot(synapse: Synapse) -> MatrixUser:
    return synapse.register("warroom-bot")


@pytest.fixture
def matrix_stage(
    db: Database, clock: FakeClock, people: Personas, synapse: Synapse, bot: MatrixUser
) -> Iterator[Stage]:
    yield from staged(
        db, clock, people, matrix_homeserver=synapse.url, matrix_access_token=bot.access_token
    )


def test_an_alert_opens_a_matrix_room_invites_and_posts(
    matrix_stage: Stage, synapse: Synapse, bot: MatrixUser
) -> None:
    stage = matrix_stage
    responder = synapse.register("alice")
    key = stage.service_with_responders(
        {"alice": {"matrix": responder.user_id}, "bob": {"slack": "U0BOB00001"}}
    )
    incident_id = stage.trigger(key)

    assert stage.run_until_idle() == 3

    assert events(stage.db, incident_id, EventType.AUTOMATION_FAILED) == []
    [opened] = events(stage.db, incident_id, EventType.ROOM_OPENED)
    room_id = opened["room_id"]
    assert opened["adapter"] == "matrix"
    incident = stage.incident(incident_id)
    assert incident.room_url == opened["url"]
    assert incident.room_url.startswith("https://matrix.to/#/!")
    assert 4 in {c.item for c in incident.checklist}
    [invited] = events(stage.db, incident_id, EventType.ROOM_INVITED)
    assert invited["invited"] == [responder.user_id]
    assert invited["skipped"] == ["bob"]

    # The responder really is invited, and finds the initial message once in the room.
    assert synapse.join(responder, room_id).status_code == 200
    answer = synapse.client_api(
        responder,
        "GET",
        f"/rooms/{quote(room_id, safe='')}/messages",
        params={"dir": "b", "limit": 50},
    )
    assert answer.status_code == 200, answer.text
    texts = [
        e["content"]["body"]
        for e in answer.json()["chunk"]
        if e["type"] == "m.room.message" and e["sender"] == bot.user_id
    ]
    assert len(texts) == 1
    assert texts[0].startswith(INITIAL)
    [posted] = events(stage.db, incident_id, EventType.ROOM_MESSAGE_POSTED)
    assert posted["text"] == texts[0]
    name = synapse.client_api(
        bot, "GET", f"/rooms/{quote(room_id, safe='')}/state/m.room.name/"
    ).json()["name"]
    assert name.startswith(f"incident-{incident_id}: ")


def test_a_post_run_again_after_a_lost_completion_shows_once(
    matrix_stage: Stage, synapse: Synapse, bot: MatrixUser
) -> None:
    stage = matrix_stage
    incident_id = stage.trigger(stage.service_with_responders({"bob": {"slack": "U0BOB00001"}}))
    assert stage.run_until_idle() == 3  # open, invite (none: bob is skipped), post
    [opened] = events(stage.db, incident_id, EventType.ROOM_OPENED)
    # The message went out but the engine never recorded it: the task is due again.
    post_task = stage.tasks(incident_id)["post_room_message"].id
    with stage.db.write() as session:
        session.execute(
            update(Task)
            .where(Task.id == post_task)
            .values(state=TaskState.PENDING, finished_at=None, claimed_until=None)
        )
    stage.clock.advance(minutes=10)
    assert stage.run_until_idle() == 1

    answer = synapse.client_api(
        bot,
        "GET",
        f"/rooms/{quote(opened['room_id'], safe='')}/messages",
        params={"dir": "b", "limit": 50},
    )
    assert answer.status_code == 200, answer.text
    messages = [e for e in answer.json()["chunk"] if e["type"] == "m.room.message"]
    assert len(messages) == 1
