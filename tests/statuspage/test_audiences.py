"""Internal audiences: configured by admins (URLs redacted in every answer), matched by
service and severity, and told of every update, internal ones included, through the
engine to a local json:// receiver. SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.notify.test_apprise import Receiver, receiver
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.subscribers import audience_hears
from warroom.engine import backoff
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task, TaskState
from warroom.engine.runner import Engine
from warroom.incidents.models import TimelineEvent
from warroom.settings import Settings
from warroom.statuspage.subscriptions import DELIVER_AUDIENCE
from warroom.web.app import create_app

__all__ = ["receiver"]

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

AUDIENCES = "/api/v1/audiences"
INCIDENTS = "/api/v1/incidents"


@pytest.fixture
def client(db: Database, clock: FakeClock, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db=db, clock=clock)) as c:
        yield c


def run_engine(db: Database, clock: FakeClock, settings: Settings) -> None:
    engine = Engine(db, clock, settings, default_handlers(), name="t")
    while engine.run_once():
        pass


def services(client: TestClient, people: Personas, *names: str) -> None:
    for name in names:
        r = client.post("/api/v1/services", json={"name": name}, headers=people.admin.headers)
        assert r.status_code == 201, r.text


def incident(client: TestClient, people: Personas, service: str, severity: str) -> int:
    r = client.post(
        INCIDENTS,
        json={"title": f"{service} broken", "severity": severity, "service": service},
        headers=people.responder.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def publish(client: TestClient, people: Personas, iid: int, body: str, *, public: bool) -> None:
    r = client.post(
        f"{INCIDENTS}/{iid}/updates",
        json={"kind": "update", "status": "identified", "body": body, "public": public},
        headers=people.responder.headers,
    )
    assert r.status_code == 201, r.text


def add(client: TestClient, people: Personas, **body: object) -> dict[str, object]:
    r = client.post(AUDIENCES, json=body, headers=people.admin.headers)
    assert r.status_code == 201, r.text
    out: dict[str, object] = r.json()
    return out


def test_audiences_hear_internal_and_public_updates_of_their_incidents(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    services(client, people, "checkout", "search")
    add(client, people, name="everything", url=receiver.url("/all"))
    add(
        client,
        people,
        name="checkout-major",
        url=receiver.url("/major"),
        service="checkout",
        severities=["SEV-1", "SEV-2"],
    )
    add(client, people, name="search", url=receiver.url("/search"), service="search")
    big = incident(client, people, "checkout", "SEV-1")
    small = incident(client, people, "checkout", "SEV-3")
    publish(client, people, big, "INTERNAL: rolled back the deploy", public=False)
    publish(client, people, small, "We see slow checkouts.", public=True)
    run_engine(db, clock, settings)
    got = sorted((path, payload["message"].splitlines()[0]) for path, payload in receiver.requests)
    assert got == [
        ("/all", "INTERNAL update · status identified · checkout"),
        ("/all", "PUBLIC update · status identified · checkout"),
        ("/major", "INTERNAL update · status identified · checkout"),
    ]
    internal = next(p for path, p in receiver.requests if path == "/major")
    assert "rolled back the deploy" in internal["message"]
    assert f"http://warroom.test/incidents/{big}" in internal["message"]
    assert internal["title"].startswith(f"[SEV-1] #{big} checkout broken")


def test_a_removed_audience_hears_nothing_more(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    services(client, people, "checkout")
    add(client, people, name="ops", url=receiver.url())
    iid = incident(client, people, "checkout", "SEV-2")
    publish(client, people, iid, "one", public=False)
    assert client.delete(f"{AUDIENCES}/ops", headers=people.admin.headers).status_code == 200
    run_engine(db, clock, settings)
    assert receiver.requests == []
    assert client.delete(f"{AUDIENCES}/ops", headers=people.admin.headers).status_code == 404


def test_a_failing_audience_is_retried_then_shown_on_the_incident(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    settings: Settings,
    people: Personas,
    receiver: Receiver,
) -> None:
    receiver.status = [500]
    services(client, people, "checkout")
    add(client, people, name="ops", url=receiver.url())
    iid = incident(client, people, "checkout", "SEV-2")
    publish(client, people, iid, "one", public=False)
    for _ in range(backoff.MAX_ATTEMPTS + 1):
        run_engine(db, clock, settings)
        clock.advance(seconds=backoff.CAP.total_seconds())
    assert len(receiver.requests) == backoff.MAX_ATTEMPTS
    with db.read() as session:
        task = session.scalars(select(Task).where(Task.kind == DELIVER_AUDIENCE)).one()
        assert task.state is TaskState.FAILED
        events = session.scalars(
            select(TimelineEvent).where(TimelineEvent.incident_id == iid)
        ).all()
        assert any(e.data.get("task") == DELIVER_AUDIENCE for e in events)
    [shown] = client.get(AUDIENCES, headers=people.admin.headers).json()["items"]
    assert "HTTP 500" in shown["last_error"]


def test_urls_are_redacted_in_every_answer(client: TestClient, people: Personas) -> None:
    created = add(
        client, people, name="exec", url="slack://T000/B000/very-secret-token", severities=["SEV-1"]
    )
    listed = client.get(AUDIENCES, headers=people.admin.headers).json()["items"]
    one = client.get(f"{AUDIENCES}/exec", headers=people.admin.headers).json()
    for shown in (created, listed[0], one):
        assert "very-secret-token" not in str(shown)
        assert shown["redacted_url"] == "slack://***"
        assert shown["severities"] == ["SEV-1"]
        assert shown["service"] is None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": "x", "url": "not a url"}, "url"),
        ({"name": "x", "url": "json://h/p", "severities": ["SEV-9"]}, "severities"),
        ({"name": "x", "url": "json://h/p", "service": "nope"}, "service"),
        ({"name": "42", "url": "json://h/p"}, "name"),
        ({"name": "", "url": "json://h/p"}, "name"),
        ({"name": "x", "url": "json://h/p", "extra": 1}, "extra"),
    ],
)
def test_it_refuses_bad_audiences_saying_what_to_fix(
    client: TestClient, people: Personas, body: dict[str, object], needle: str
) -> None:
    r = client.post(AUDIENCES, json=body, headers=people.admin.headers)
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_names_are_unique(client: TestClient, people: Personas) -> None:
    add(client, people, name="ops", url="json://127.0.0.1/x")
    r = client.post(
        AUDIENCES, json={"name": "ops", "url": "json://h/y"}, headers=people.admin.headers
    )
    assert r.status_code == 409


def test_only_admins_configure_audiences(client: TestClient, people: Personas) -> None:
    body = {"name": "ops", "url": "json://127.0.0.1/x"}
    for persona, code in ((people.responder, 403), (people.viewer, 403), (people.outsider, 401)):
        assert client.get(AUDIENCES, headers=persona.headers).status_code == code
        assert client.post(AUDIENCES, json=body, headers=persona.headers).status_code == code
        assert client.delete(f"{AUDIENCES}/ops", headers=persona.headers).status_code == code


def test_admins_manage_audiences_on_the_page(
    client: TestClient, people: Personas, receiver: Receiver
) -> None:
    services(client, people, "checkout")
    client.cookies.set("warroom_token", people.admin.token)
    page = client.get("/statuspage/subscribers")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/statuspage/audiences",
        data={
            "csrf": csrf,
            "name": "ops",
            "url": receiver.url(),
            "service": "checkout",
            "severities": ["SEV-1", "SEV-2"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    listed = client.get(r.headers["location"]).text
    assert "ops" in listed
    assert "SEV-1, SEV-2" in listed
    assert "Audience added." in listed
    bad = client.post("/statuspage/audiences", data={"csrf": csrf, "name": "bad", "url": "nope"})
    assert bad.status_code == 422
    assert "url" in bad.text
    [a] = client.get(AUDIENCES, headers=people.admin.headers).json()["items"]
    r = client.post(
        f"/statuspage/audiences/{a['id']}/delete", data={"csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert client.get(AUDIENCES, headers=people.admin.headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("audience_service", "severities", "service", "severity", "hears"),
    [
        (None, [], 1, "SEV-4", True),
        (1, [], 1, "SEV-3", True),
        (2, [], 1, "SEV-1", False),
        (None, ["SEV-1"], 1, "SEV-2", False),
        (1, ["SEV-1", "SEV-2"], 1, "SEV-2", True),
    ],
)
def test_which_audiences_hear_an_incident(
    audience_service: int | None, severities: list[str], service: int, severity: str, hears: bool
) -> None:
    assert (
        audience_hears(
            audience_service_id=audience_service,
            audience_severities=severities,
            service_id=service,
            severity=severity,
        )
        is hears
    )
