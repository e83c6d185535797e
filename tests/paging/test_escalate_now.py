"""Escalate now: the next level is paged at once, later levels move earlier with it,
and the request is refused when there is nothing to escalate."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.paging.conftest import World
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.incidents.models import TimelineEvent
from warroom.paging.hooks import ESCALATE
from warroom.services.actions import do_create_service

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])]


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "c")
    world.service(DEMO)
    return world


def test_escalate_now_pages_level_2_at_once_and_shifts_the_rest(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    assert demo.paged() == ["a"]

    demo.at(2, t)
    r = app_client.post(f"/api/v1/incidents/{incident}/escalate", headers=people.responder.headers)
    assert r.status_code == 200, r.text
    demo.run()
    assert demo.paged() == ["a", "b"]  # level 2 at +2 instead of +5

    with demo.db.read() as session:
        manual = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == incident, TimelineEvent.type == EventType.ESCALATED
            )
        ).all()
    assert [(e.actor, e.data.get("manual"), e.data["level"]) for e in manual] == [
        (SYSTEM_ACTOR, None, 1),
        ("rita", True, 2),
        (SYSTEM_ACTOR, None, 2),
    ]
    # Level 3 keeps its 10 minutes after level 2: due at +12, not +15.
    level3 = demo.tasks(incident, ESCALATE)[2]
    assert level3.due_at == t + timedelta(minutes=12)
    demo.at(11.9, t)
    assert demo.paged() == ["a", "b"]
    demo.at(12, t)
    assert demo.paged() == ["a", "b", "c"]

    # The policy is exhausted: nothing left to escalate to.
    r = app_client.post(f"/api/v1/incidents/{incident}/escalate", headers=people.responder.headers)
    assert r.status_code == 409


def test_escalate_now_is_refused_once_acknowledged_or_without_a_policy(
    demo: World, app_client: TestClient, people: Personas
) -> None:
    incident = demo.declare()
    demo.run()
    viewer = app_client.post(
        f"/api/v1/incidents/{incident}/escalate", headers=people.viewer.headers
    )
    assert viewer.status_code == 403
    demo.ack(incident)
    r = app_client.post(f"/api/v1/incidents/{incident}/escalate", headers=people.responder.headers)
    assert r.status_code == 409
    assert "acknowledg" in r.text

    with demo.db.write() as session:
        do_create_service(
            session, name="search", now=demo.clock.now(), open_room=False, mark_component=False
        )
    bare = demo.declare(service="search")
    r = app_client.post(f"/api/v1/incidents/{bare}/escalate", headers=people.responder.headers)
    assert r.status_code == 409
    demo.run()
    assert demo.paged() == ["a"]
