"""The acknowledge link in every page: GET asks, POST acknowledges as the paged user
(no sign-in), and a tampered, expired or foreign token is refused."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.paging.conftest import World
from warroom.domain.timeline import EventType
from warroom.incidents.models import Incident, TimelineEvent
from warroom.paging import ack_links

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

DEMO = [(5, [{"user": "a"}]), (10, [{"user": "b"}]), (15, [{"user": "c"}])]
LINK = re.compile(r"http://warroom\.test(/ack/[A-Za-z0-9_\-.]+)")


@pytest.fixture
def demo(world: World) -> World:
    world.users("a", "b", "c")
    world.service(DEMO)
    return world


def _link(world: World, index: int = 0) -> str:
    _, body = world.receiver.requests[index]
    found = LINK.search(body["message"])
    assert found, body["message"]
    return found.group(1)


def _acknowledged(world: World, incident_id: int) -> tuple[bool, list[str]]:
    with world.db.read() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        actors = list(
            session.scalars(
                select(TimelineEvent.actor).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.type == EventType.ACKNOWLEDGED,
                )
            )
        )
        return incident.acknowledged_at is not None, actors


def test_the_page_link_acknowledges_by_get_then_post_and_stops_the_rest(
    demo: World, app_client: TestClient
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    demo.run()
    demo.at(5, t)
    assert demo.paged() == ["a", "b"]
    path = _link(demo, 1)  # b's page: b acknowledges
    app_client.cookies.clear()

    shown = app_client.get(path)
    assert shown.status_code == 200
    assert f"Acknowledge incident #{incident}: Checkout is failing?" in shown.text
    assert 'method="post"' in shown.text
    assert _acknowledged(demo, incident) == (False, [])  # a GET (a link scanner) changes nothing

    demo.clock.set(t + timedelta(minutes=7))
    done = app_client.post(path)
    assert done.status_code == 200
    assert "is acknowledged by @b" in done.text
    assert _acknowledged(demo, incident) == (True, ["b"])

    for minute in (15, 30, 90):
        demo.at(minute, t)
    assert demo.paged() == ["a", "b"]  # level 3 never paged

    again = app_client.get(path)
    assert again.status_code == 200
    assert "is already acknowledged" in again.text
    repeat = app_client.post(path)
    assert repeat.status_code == 200
    assert "is already acknowledged" in repeat.text
    assert _acknowledged(demo, incident) == (True, ["b"])


def test_tampered_foreign_and_expired_tokens_are_refused(
    demo: World, app_client: TestClient
) -> None:
    t = demo.clock.now()
    incident = demo.declare()
    other = demo.declare(title="Search is slow")
    demo.run()
    path = _link(demo)
    token = path.removeprefix("/ack/")
    body, mac = token.split(".")

    # The same MAC on a body naming the other incident: refused, nothing acknowledged.
    forged_body = ack_links._b64(f"{other}.1.{int((t + timedelta(hours=1)).timestamp())}".encode())
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in (f"{forged_body}.{mac}", f"{body}.{flipped}", "nonsense", f"{body}.", "a.b.c"):
        for method in ("GET", "POST"):
            r = app_client.request(method, f"/ack/{bad}")
            assert r.status_code == 403, (bad, method, r.status_code)
            assert "not valid" in r.text
    # A token made with some other key.
    stranger = ack_links.make_token(b"another-key", incident_id=incident, user_id=1, now=t)
    assert app_client.post(f"/ack/{stranger}").status_code == 403

    demo.clock.set(t + ack_links.LIFETIME + timedelta(seconds=1))
    for method in ("GET", "POST"):
        r = app_client.request(method, path)
        assert r.status_code == 410
        assert "expired" in r.text
    assert _acknowledged(demo, incident) == (False, [])
    assert _acknowledged(demo, other) == (False, [])


def test_a_set_secret_key_signs_links_and_a_stored_key_is_shared(demo: World) -> None:
    now = demo.clock.now()
    first = ack_links.signing_key(demo.db, demo.settings, now=now)
    assert first == ack_links.signing_key(demo.db, demo.settings, now=now)
    configured = demo.settings.model_copy(update={"secret_key": "s" * 32})
    assert ack_links.signing_key(demo.db, configured, now=now) == b"s" * 32
    token = ack_links.make_token(first, incident_id=7, user_id=3, now=now)
    grant = ack_links.read_token(first, token, now=now)
    assert (grant.incident_id, grant.user_id) == (7, 3)
    with pytest.raises(ack_links.BadLink):
        ack_links.read_token(b"s" * 32, token, now=now)
