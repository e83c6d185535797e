"""What an incident opened by an alert sets going (issue 3's automation), visible now:
the status-page component, the incident-room task, and the dedup key a repeat-incident
report needs (SPEC §2). SQLite and PostgreSQL."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.incidents.models import Incident
from warroom.settings import Settings
from warroom.web.app import create_app

Json = dict[str, Any]
ENQUEUE = "/integrations/events/v2/enqueue"


@pytest.fixture
def client(db: Database, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=db.url), db=db, clock=clock)) as c:
        yield c


@pytest.fixture
def admin(people: Personas) -> dict[str, str]:
    return people.admin.headers


def make_service(client: TestClient, admin: dict[str, str], name: str, **fields: Any) -> str:
    r = client.post("/api/v1/services", json={"name": name, **fields}, headers=admin)
    assert r.status_code == 201, r.text
    return str(r.json()["integration_key"])


def event(
    client: TestClient, key: str, action: str, dedup_key: str, severity: str = "critical"
) -> None:
    body: Json = {"routing_key": key, "event_action": action, "dedup_key": dedup_key}
    if action == "trigger":
        body["payload"] = {"summary": f"{dedup_key} failing", "source": "mon", "severity": severity}
    r = client.post(ENQUEUE, json=body)
    assert r.status_code == 202, r.text


def settle(db: Database, clock: FakeClock) -> None:
    """Let the engine run what intake asked of it (the component is its work)."""
    engine = Engine(db, clock, Settings(database_url=db.url), default_handlers(), name="test")
    while engine.run_once():
        pass


@pytest.fixture
def component_status(
    db: Database, clock: FakeClock
) -> Callable[[TestClient, dict[str, str], str], str]:
    def status(client: TestClient, admin: dict[str, str], service: str) -> str:
        settle(db, clock)
        r = client.get(f"/api/v1/services/{service}", headers=admin)
        return str(r.json()["component_status"])

    return status


def component_changes(client: TestClient, admin: dict[str, str], incident_id: int) -> list[Json]:
    r = client.get(f"/api/v1/incidents/{incident_id}/timeline", headers=admin)
    assert r.status_code == 200, r.text
    return [e["data"] for e in r.json()["items"] if e["type"] == "component_status_changed"]


def incident_ids(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Incident.id).order_by(Incident.id)))


def test_it_marks_the_component_while_an_alert_incident_is_open_and_restores_it(
    client: TestClient, admin: dict[str, str], db: Database, component_status: Any
) -> None:
    key = make_service(client, admin, "checkout", component="Checkout")
    assert component_status(client, admin, "checkout") == "operational"

    event(client, key, "trigger", "5xx", severity="critical")
    [incident_id] = incident_ids(db)
    assert component_status(client, admin, "checkout") == "major_outage"
    [marked] = component_changes(client, admin, incident_id)
    assert marked["component"] == "Checkout"
    assert (marked["from"], marked["to"]) == ("operational", "major_outage")

    event(client, key, "resolve", "5xx")
    assert component_status(client, admin, "checkout") == "operational"
    assert [(c["from"], c["to"]) for c in component_changes(client, admin, incident_id)] == [
        ("operational", "major_outage"),
        ("major_outage", "operational"),
    ]


def test_it_shows_the_worst_open_alert_incident_on_the_component(
    client: TestClient, admin: dict[str, str], db: Database, component_status: Any
) -> None:
    key = make_service(client, admin, "checkout", component="Checkout")
    event(client, key, "trigger", "slow", severity="warning")
    assert component_status(client, admin, "checkout") == "degraded_performance"
    event(client, key, "trigger", "down", severity="critical")
    assert component_status(client, admin, "checkout") == "major_outage"
    event(client, key, "trigger", "slower", severity="warning")
    assert component_status(client, admin, "checkout") == "major_outage"

    event(client, key, "resolve", "down")
    # Two warnings still open: the component says what is still wrong.
    assert component_status(client, admin, "checkout") == "degraded_performance"
    first, _, third = incident_ids(db)
    r = client.post(f"/api/v1/incidents/{first}/resolve", headers=admin)  # a person resolves
    assert r.status_code == 200, r.text
    assert component_status(client, admin, "checkout") == "degraded_performance"
    event(client, key, "resolve", "slower")
    assert component_status(client, admin, "checkout") == "operational"
    assert component_changes(client, admin, third)[-1]["to"] == "operational"


def test_it_leaves_the_component_alone_when_the_service_says_so(
    client: TestClient, admin: dict[str, str], db: Database, component_status: Any
) -> None:
    key = make_service(client, admin, "checkout", component="Checkout", mark_component=False)
    event(client, key, "trigger", "5xx")
    [incident_id] = incident_ids(db)
    assert component_status(client, admin, "checkout") == "operational"
    assert component_changes(client, admin, incident_id) == []


def _room_tasks(db: Database) -> list[Task]:
    with db.read() as session:
        return list(session.scalars(select(Task).where(Task.kind == "open_room")))


def test_it_writes_an_open_room_task_for_a_service_that_opens_rooms(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    key = make_service(client, admin, "checkout", open_room=True)
    event(client, key, "trigger", "5xx")
    event(client, key, "trigger", "5xx")  # a repeat opens nothing new
    [incident_id] = incident_ids(db)
    [task] = _room_tasks(db)
    assert task.incident_id == incident_id
    assert task.state == "pending"


def test_it_writes_no_open_room_task_for_a_service_that_does_not(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    key = make_service(client, admin, "checkout", open_room=False)
    event(client, key, "trigger", "5xx")
    assert len(incident_ids(db)) == 1
    assert _room_tasks(db) == []


def test_it_keeps_the_dedup_key_on_incidents_opened_by_alerts(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    key = make_service(client, admin, "checkout")
    event(client, key, "trigger", "disk-full")
    event(client, key, "resolve", "disk-full")
    event(client, key, "trigger", "disk-full")
    with db.read() as session:
        rows = list(session.scalars(select(Incident).order_by(Incident.id)))
    # Both carry the key (a repeat incident is found by it), even the resolved one.
    assert [i.dedup_key for i in rows] == ["disk-full", "disk-full"]
    assert [i.status for i in rows] == ["resolved", "triggered"]
    assert rows[0].open_dedup_key is None
    assert rows[1].open_dedup_key is not None
