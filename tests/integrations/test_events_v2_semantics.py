"""PagerDuty Events API v2 semantics (SPEC §3, issue 3) over HTTP, on SQLite and
PostgreSQL: dedup_key rules, documented field limits and error shapes, rate limits, and
that a refused request stores nothing."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from warroom.alerts.models import Alert
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.incidents.models import Incident
from warroom.settings import Settings
from warroom.web.app import create_app

Json = dict[str, Any]
ENQUEUE = "/integrations/events/v2/enqueue"


def make_client(db: Database, clock: FakeClock, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url=db.url, **settings), db=db, clock=clock))


@pytest.fixture
def client(db: Database, clock: FakeClock) -> Iterator[TestClient]:
    with make_client(db, clock) as c:
        yield c


@pytest.fixture
def new_service(client: TestClient, people: Personas) -> Callable[[str], str]:
    """Creates a service; returns its integration key."""

    def create(name: str) -> str:
        r = client.post("/api/v1/services", json={"name": name}, headers=people.admin.headers)
        assert r.status_code == 201, r.text
        return str(r.json()["integration_key"])

    return create


@pytest.fixture
def key(new_service: Callable[[str], str]) -> str:
    return new_service("checkout")


def trigger(routing_key: str, dedup_key: str | None = None, **payload: Any) -> Json:
    event: Json = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "payload": {"summary": "Checkout is failing", "source": "web-1", "severity": "critical"}
        | payload,
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


def counts(db: Database) -> tuple[int, int]:
    """(alerts, incidents) stored."""
    with db.read() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    return alerts, incidents


def alerts(db: Database) -> list[Alert]:
    with db.read() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def incidents(db: Database) -> list[Incident]:
    with db.read() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def accepted(client: TestClient, event: Json, path: str = ENQUEUE) -> str:
    r = client.post(path, json=event)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "success"
    assert body["message"] == "Event processed"
    return str(body["dedup_key"])


# --- dedup_key ------------------------------------------------------------------------


def test_it_applies_a_repeated_trigger_to_the_open_alert(
    client: TestClient, key: str, db: Database, clock: FakeClock
) -> None:
    assert accepted(client, trigger(key, "db-down")) == "db-down"
    [alert] = alerts(db)
    first_seen = alert.last_event_at

    # The same payload again changes nothing at all.
    clock.advance(minutes=1)
    accepted(client, trigger(key, "db-down"))
    [alert] = alerts(db)
    assert alert.event_count == 1
    assert alert.last_event_at == first_seen

    # A different payload for the same key updates the same alert.
    clock.advance(minutes=1)
    accepted(client, trigger(key, "db-down", summary="Database still down", severity="error"))
    [alert] = alerts(db)
    assert alert.event_count == 2
    assert alert.summary == "Database still down"
    assert alert.severity == "error"
    assert alert.last_event_at == clock.now()
    assert counts(db) == (1, 1)


def test_it_opens_one_incident_per_service_for_the_same_dedup_key(
    client: TestClient, new_service: Callable[[str], str], db: Database
) -> None:
    checkout, search = new_service("checkout"), new_service("search")
    accepted(client, trigger(checkout, "disk-full"))
    accepted(client, trigger(search, "disk-full"))
    accepted(client, trigger(search, "disk-full"))
    assert counts(db) == (2, 2)
    assert sorted(i.service.name for i in incidents(db)) == ["checkout", "search"]


def test_it_applies_acknowledge_and_resolve_to_the_alert_and_its_incident(
    client: TestClient, key: str, db: Database
) -> None:
    accepted(client, trigger(key, "k"))
    ack = {"routing_key": key, "event_action": "acknowledge", "dedup_key": "k"}
    assert accepted(client, ack) == "k"
    [alert], [incident] = alerts(db), incidents(db)
    assert (alert.status, incident.status) == ("acknowledged", "acknowledged")

    assert accepted(client, ack | {"event_action": "resolve"}) == "k"
    [alert], [incident] = alerts(db), incidents(db)
    assert (alert.status, incident.status) == ("resolved", "resolved")
    assert alert.open_key is None
    assert incident.open_dedup_key is None

    # Resolving again, or acknowledging after resolve, is accepted and changes nothing.
    accepted(client, ack | {"event_action": "resolve"})
    accepted(client, ack)
    [incident] = incidents(db)
    assert incident.status == "resolved"
    assert counts(db) == (1, 1)


def test_it_accepts_and_ignores_acknowledge_and_resolve_of_an_unknown_key(
    client: TestClient, key: str, db: Database
) -> None:
    for action in ("acknowledge", "resolve"):
        event = {"routing_key": key, "event_action": action, "dedup_key": "never-triggered"}
        assert accepted(client, event) == "never-triggered"
    assert counts(db) == (0, 0)


def test_it_opens_a_new_incident_for_a_key_whose_incident_a_person_resolved(
    client: TestClient, key: str, db: Database, people: Personas
) -> None:
    accepted(client, trigger(key, "cpu"))
    [incident] = incidents(db)
    r = client.post(f"/api/v1/incidents/{incident.id}/resolve", headers=people.admin.headers)
    assert r.status_code == 200, r.text
    [alert] = alerts(db)
    assert alert.status == "resolved"  # its alerts end with it

    accepted(client, trigger(key, "cpu"))
    assert counts(db) == (2, 2)
    assert [i.status for i in incidents(db)] == ["resolved", "triggered"]


def test_it_generates_a_distinct_dedup_key_for_each_trigger_without_one(
    client: TestClient, key: str, db: Database
) -> None:
    first = accepted(client, trigger(key))
    second = accepted(client, trigger(key))
    assert first
    assert second
    assert first != second
    assert {a.alert_key for a in alerts(db)} == {first, second}
    assert counts(db) == (2, 2)


def test_it_takes_events_at_the_root_alias_too(client: TestClient, key: str, db: Database) -> None:
    accepted(client, trigger(key, "via-alias"), path="/v2/enqueue")
    assert counts(db) == (1, 1)


def test_it_accepts_fields_at_their_documented_limits(
    client: TestClient, key: str, db: Database
) -> None:
    accepted(client, trigger(key, "d" * 255, summary="s" * 1024))
    # Just under 512 KB of body.
    accepted(client, trigger(key, "big", custom_details={"blob": "x" * (500 * 1024)}))
    assert counts(db) == (2, 2)


# --- refused events: documented 400s, nothing stored ------------------------------------


def _without(event: Json, *path: str) -> Json:
    copy = {k: (dict(v) if isinstance(v, dict) else v) for k, v in event.items()}
    target = copy
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copy


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


REFUSED: dict[str, Callable[[str], Any]] = {
    "summary_1025_chars": lambda k: trigger(k, "x", summary="s" * 1025),
    "dedup_key_256_chars": lambda k: trigger(k, "d" * 256),
    "invalid_severity": lambda k: trigger(k, "x", severity="disaster"),
    "invalid_action": lambda k: trigger(k, "x") | {"event_action": "escalate"},
    "missing_action": lambda k: _without(trigger(k, "x"), "event_action"),
    "missing_routing_key": lambda k: _without(trigger(k, "x"), "routing_key"),
    "blank_routing_key": lambda k: trigger("   ", "x"),
    "missing_payload": lambda k: _without(trigger(k, "x"), "payload"),
    "missing_summary": lambda k: _without(trigger(k, "x"), "payload", "summary"),
    "missing_source": lambda k: _without(trigger(k, "x"), "payload", "source"),
    "missing_severity": lambda k: _without(trigger(k, "x"), "payload", "severity"),
    "timestamp_without_zone": lambda k: trigger(k, "x", timestamp="2026-01-05T09:00:00"),
    "resolve_without_dedup_key": lambda k: {"routing_key": k, "event_action": "resolve"},
    "not_an_object": lambda k: [trigger(k, "x")],
    "unknown_routing_key": lambda k: trigger("wri_" + "0" * 32, "x"),
    # What no database column can hold (PostgreSQL refuses NUL in text, NaN in json).
    "nul_in_summary": lambda k: trigger(k, "x", summary="a\x00b"),
    "nul_in_dedup_key": lambda k: trigger(k, "x\x00y"),
    "nan_in_custom_details": lambda k: trigger(k, "x", custom_details={"v": float("nan")}),
    "nested_40_deep": lambda k: trigger(k, "x", custom_details={"v": _nested(40)}),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_it_refuses_an_invalid_event_with_400_and_stores_nothing(
    client: TestClient, key: str, db: Database, case: str
) -> None:
    accepted(client, trigger(key, "existing"))
    before = counts(db)
    # Serialised here: httpx's json= refuses NaN, which Python's json (like many senders)
    # writes.
    body = json.dumps(REFUSED[case](key)).encode()
    r = client.post(ENQUEUE, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == "invalid event"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["errors"], list)
    assert body["errors"]
    assert all(isinstance(e, str) and e for e in body["errors"])
    assert counts(db) == before
    [alert] = alerts(db)
    assert alert.event_count == 1


def test_it_names_every_problem_of_an_event_at_once(client: TestClient, key: str) -> None:
    event = trigger(key, "d" * 256, summary="s" * 1025, severity="disaster")
    errors = " ".join(client.post(ENQUEUE, json=event).json()["errors"])
    assert "dedup_key" in errors
    assert "summary" in errors
    assert "severity" in errors


def test_it_refuses_a_body_over_512_kb_and_stores_nothing(
    client: TestClient, key: str, db: Database
) -> None:
    event = trigger(key, "huge", custom_details={"blob": "x" * (513 * 1024)})
    r = client.post(ENQUEUE, json=event)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "invalid event"
    assert r.json()["errors"]
    assert counts(db) == (0, 0)


def test_it_refuses_a_body_that_is_not_json_and_stores_nothing(
    client: TestClient, key: str, db: Database
) -> None:
    r = client.post(
        ENQUEUE, content=b'{"routing_key": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "invalid event"
    assert counts(db) == (0, 0)


# --- rate limit ---------------------------------------------------------------------------


def test_it_answers_429_with_retry_after_past_the_per_key_rate_limit(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    with make_client(db, clock, intake_rate_limit=3) as client:
        r = client.post("/api/v1/services", json={"name": "noisy"}, headers=people.admin.headers)
        key = r.json()["integration_key"]
        for n in range(3):
            accepted(client, trigger(key, f"k{n}"))
        r = client.post(ENQUEUE, json=trigger(key, "k3"))
        assert r.status_code == 429, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert counts(db) == (3, 3)  # the refused event left nothing behind

        # The limit is per key: another key of the same service still gets through.
        r = client.post(
            "/api/v1/services/noisy/integration-keys", json={}, headers=people.admin.headers
        )
        assert r.status_code == 201, r.text
        accepted(client, trigger(r.json()["key"], "k4"))


def test_it_has_no_rate_limit_when_set_to_zero(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    with make_client(db, clock, intake_rate_limit=0) as client:
        r = client.post("/api/v1/services", json={"name": "noisy"}, headers=people.admin.headers)
        key = r.json()["integration_key"]
        for n in range(12):
            accepted(client, trigger(key, f"k{n % 4}", summary=f"event {n}"))
    assert counts(db) == (4, 4)
