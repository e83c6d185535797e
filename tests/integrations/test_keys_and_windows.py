"""Integration keys (create, rotate, revoke; ingest only; stored hashed), maintenance
windows, silences and per-service severity rules, on SQLite and PostgreSQL."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.incidents.models import Incident
from warroom.services.models import IntegrationKey
from warroom.settings import Settings
from warroom.web.app import create_app

Json = dict[str, Any]
ENQUEUE = "/integrations/events/v2/enqueue"


@pytest.fixture
def client(db: Database, clock: FakeClock) -> Iterator[TestClient]:
    # No key cache: a rotated or revoked key must stop working on the next request.
    settings = Settings(database_url=db.url, intake_key_cache_seconds=0)
    with TestClient(create_app(settings, db=db, clock=clock)) as c:
        yield c


@pytest.fixture
def admin(people: Personas) -> dict[str, str]:
    return people.admin.headers


@pytest.fixture
def service(client: TestClient, admin: dict[str, str]) -> Json:
    r = client.post("/api/v1/services", json={"name": "checkout"}, headers=admin)
    assert r.status_code == 201, r.text
    body: Json = r.json()
    return body


def send(client: TestClient, key: str, dedup_key: str, **payload: Any) -> int:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": f"alert {dedup_key}", "source": "mon", "severity": "critical"}
        | payload,
    }
    return client.post(ENQUEUE, json=event).status_code


def incident_titles(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Incident.title).order_by(Incident.id)))


def alerts_json(client: TestClient, admin: dict[str, str]) -> list[Json]:
    r = client.get("/api/v1/alerts", params={"limit": 500}, headers=admin)
    assert r.status_code == 200, r.text
    items: list[Json] = r.json()["items"]
    return sorted(items, key=lambda a: a["id"])


# --- integration keys ---------------------------------------------------------------------


def test_it_lets_every_key_of_a_service_ingest(
    client: TestClient, admin: dict[str, str], service: Json, db: Database
) -> None:
    r = client.post(
        "/api/v1/services/checkout/integration-keys", json={"name": "grafana"}, headers=admin
    )
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["key"]
    assert second["key"] != service["integration_key"]
    assert second["name"] == "grafana"
    assert send(client, service["integration_key"], "a") == 202
    assert send(client, second["key"], "b") == 202
    assert incident_titles(db) == ["alert a", "alert b"]

    listed = client.get("/api/v1/services/checkout/integration-keys", headers=admin).json()
    assert [k["name"] for k in listed["items"]] == ["", "grafana"]
    assert all(k["key"] is None for k in listed["items"])  # secrets are shown once


def test_it_stops_the_old_secret_at_once_when_a_key_is_rotated(
    client: TestClient, admin: dict[str, str], service: Json
) -> None:
    old = service["integration_key"]
    assert send(client, old, "before") == 202  # and now it is cached, were there a cache
    [key] = client.get("/api/v1/services/checkout/integration-keys", headers=admin).json()["items"]
    r = client.post(f"/api/v1/services/checkout/integration-keys/{key['id']}/rotate", headers=admin)
    assert r.status_code == 200, r.text
    new = r.json()["key"]
    assert new
    assert new != old
    assert send(client, old, "after") == 400
    assert send(client, new, "after") == 202


def test_it_stops_a_rotated_or_revoked_key_at_once_despite_the_key_cache(
    db: Database, clock: FakeClock, people: Personas
) -> None:
    # The default cache: this process forgets what it cached when a key changes.
    settings = Settings(database_url=db.url, intake_key_cache_seconds=60)
    admin = people.admin.headers
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        r = client.post("/api/v1/services", json={"name": "checkout"}, headers=admin)
        old = r.json()["integration_key"]
        assert send(client, old, "cached") == 202
        [key] = client.get("/api/v1/services/checkout/integration-keys", headers=admin).json()[
            "items"
        ]
        r = client.post(
            f"/api/v1/services/checkout/integration-keys/{key['id']}/rotate", headers=admin
        )
        new = r.json()["key"]
        assert send(client, old, "after-rotate") == 400
        assert send(client, new, "after-rotate") == 202
        r = client.delete(f"/api/v1/services/checkout/integration-keys/{key['id']}", headers=admin)
        assert r.status_code == 200, r.text
        assert send(client, new, "after-revoke") == 400


def test_it_refuses_a_revoked_key_on_every_inbound_route(
    client: TestClient, admin: dict[str, str], service: Json, db: Database
) -> None:
    key = service["integration_key"]
    assert send(client, key, "before") == 202
    [row] = client.get("/api/v1/services/checkout/integration-keys", headers=admin).json()["items"]
    r = client.delete(f"/api/v1/services/checkout/integration-keys/{row['id']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None

    assert send(client, key, "after") == 400
    am = {"version": "4", "groupKey": "g", "status": "firing", "alerts": []}
    assert client.post(f"/integrations/alertmanager/{key}", json=am).status_code in (400, 401)
    assert incident_titles(db) == ["alert before"]
    r = client.post(f"/api/v1/services/checkout/integration-keys/{row['id']}/rotate", headers=admin)
    assert r.status_code == 409  # a revoked key stays revoked


def test_it_lets_a_key_read_nothing(client: TestClient, service: Json) -> None:
    key = {"Authorization": f"Bearer {service['integration_key']}"}
    assert send(client, service["integration_key"], "x") == 202
    for path in (
        "/api/v1/incidents",
        "/api/v1/alerts",
        "/api/v1/services",
        "/api/v1/services/checkout/integration-keys",
    ):
        assert client.get(path, headers=key).status_code == 401, path


def test_it_stores_keys_only_hashed(
    client: TestClient, admin: dict[str, str], service: Json, db: Database
) -> None:
    r = client.post("/api/v1/services/checkout/integration-keys", json={}, headers=admin)
    secrets = [service["integration_key"], r.json()["key"]]
    with db.read() as session:
        rows = list(session.scalars(select(IntegrationKey).order_by(IntegrationKey.id)))
    assert [k.key_hash for k in rows] == [hashlib.sha256(s.encode()).hexdigest() for s in secrets]
    for row in rows:
        stored = " ".join(str(getattr(row, c.key)) for c in IntegrationKey.__table__.columns)
        assert not any(secret in stored for secret in secrets)


# --- maintenance windows --------------------------------------------------------------


def test_it_stores_alerts_during_maintenance_but_opens_no_incident(
    client: TestClient, admin: dict[str, str], service: Json, db: Database, clock: FakeClock
) -> None:
    key = service["integration_key"]
    r = client.post(
        "/api/v1/services/checkout/maintenance-windows",
        json={"ends_at": (clock.now() + timedelta(hours=1)).isoformat(), "reason": "db upgrade"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert send(client, key, "during") == 202
    [alert] = alerts_json(client, admin)
    assert alert["incident_id"] is None
    assert "db upgrade" in alert["suppressed_by"]
    assert incident_titles(db) == []

    clock.advance(hours=1, seconds=1)
    assert send(client, key, "after") == 202
    assert incident_titles(db) == ["alert after"]
    after = alerts_json(client, admin)[-1]
    assert after["suppressed_by"] is None
    assert after["incident_id"] is not None


def test_it_opens_an_incident_for_a_suppressed_alert_still_firing_after_maintenance(
    client: TestClient, admin: dict[str, str], service: Json, db: Database, clock: FakeClock
) -> None:
    # Monitoring keeps resending a firing alert; once maintenance is over it must page,
    # as Alertmanager notifies about a still-firing alert when its silence expires.
    key = service["integration_key"]
    client.post(
        "/api/v1/services/checkout/maintenance-windows",
        json={"ends_at": (clock.now() + timedelta(minutes=30)).isoformat()},
        headers=admin,
    )
    assert send(client, key, "disk") == 202
    assert send(client, key, "disk") == 202
    assert incident_titles(db) == []

    clock.advance(minutes=31)
    assert send(client, key, "disk") == 202
    assert incident_titles(db) == ["alert disk"]
    [alert] = alerts_json(client, admin)
    assert alert["suppressed_by"] is None
    assert alert["incident_id"] is not None


def test_it_opens_incidents_again_once_maintenance_is_ended_by_hand(
    client: TestClient, admin: dict[str, str], service: Json, db: Database, clock: FakeClock
) -> None:
    key = service["integration_key"]
    r = client.post(
        "/api/v1/services/checkout/maintenance-windows",
        json={"ends_at": (clock.now() + timedelta(hours=4)).isoformat()},
        headers=admin,
    )
    assert send(client, key, "during") == 202
    clock.advance(minutes=5)
    r = client.delete(
        f"/api/v1/services/checkout/maintenance-windows/{r.json()['id']}", headers=admin
    )
    assert r.status_code == 200, r.text
    clock.advance(seconds=1)
    assert send(client, key, "after") == 202
    assert incident_titles(db) == ["alert after"]


# --- silences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "silenced"),
    [
        ({"name": "component", "value": "db", "op": "="}, {"db"}),
        ({"name": "component", "value": "db", "op": "!="}, {"web", "cache"}),
        ({"name": "component", "value": "ca.*", "op": "=~"}, {"cache"}),
        ({"name": "component", "value": "ca", "op": "=~"}, set()),  # anchored, not a search
        ({"name": "component", "value": "d.*", "op": "!~"}, {"web", "cache"}),
    ],
)
def test_it_suppresses_only_the_alerts_a_silence_matches(
    client: TestClient,
    admin: dict[str, str],
    service: Json,
    db: Database,
    clock: FakeClock,
    matcher: Json,
    silenced: set[str],
) -> None:
    # Negative matchers alone would also silence alerts without the label; like
    # Alertmanager, warroom wants one matcher that needs the label to be there.
    needs_label = {"name": "component", "value": ".+", "op": "=~"}
    r = client.post(
        "/api/v1/services/checkout/silences",
        json={
            "matchers": [matcher, needs_label],
            "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    for component in ("db", "web", "cache"):
        assert send(client, service["integration_key"], component, component=component) == 202
    suppressed = {a["alert_key"] for a in alerts_json(client, admin) if a["suppressed_by"]}
    assert suppressed == silenced
    assert set(incident_titles(db)) == {f"alert {c}" for c in {"db", "web", "cache"} - silenced}


@pytest.mark.parametrize(
    "matchers",
    [
        [{"name": "component", "value": "db", "op": "!="}],
        [{"name": "component", "value": "", "op": "="}],
        [{"name": "component", "value": ".*", "op": "=~"}],
    ],
)
def test_it_refuses_a_silence_that_would_match_alerts_without_the_label(
    client: TestClient, admin: dict[str, str], service: Json, clock: FakeClock, matchers: list[Json]
) -> None:
    r = client.post(
        "/api/v1/services/checkout/silences",
        json={"matchers": matchers, "ends_at": (clock.now() + timedelta(hours=1)).isoformat()},
        headers=admin,
    )
    assert r.status_code == 422, r.text
    assert "empty label" in r.json()["detail"]


def test_it_refuses_a_silence_with_an_invalid_regex(
    client: TestClient, admin: dict[str, str], service: Json, clock: FakeClock
) -> None:
    r = client.post(
        "/api/v1/services/checkout/silences",
        json={
            "matchers": [{"name": "component", "value": "(db", "op": "=~"}],
            "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers=admin,
    )
    assert r.status_code == 422, r.text


# --- severity rules ----------------------------------------------------------------------


def _severities(db: Database) -> dict[str, str]:
    with db.read() as session:
        return {i.title: str(i.severity) for i in session.scalars(select(Incident))}


def test_it_overrides_the_default_severity_with_the_services_rules(
    client: TestClient, admin: dict[str, str], service: Json, db: Database
) -> None:
    rules = [
        {"matchers": [{"name": "group", "value": "db"}], "severity": "SEV-1"},
        {"matchers": [{"name": "source", "value": "canary-.*", "op": "=~"}], "severity": "SEV-4"},
    ]
    r = client.patch("/api/v1/services/checkout", json={"severity_rules": rules}, headers=admin)
    assert r.status_code == 200, r.text
    assert len(r.json()["severity_rules"]) == 2

    key = service["integration_key"]
    send(client, key, "db-info", severity="info", group="db")
    send(client, key, "canary", severity="critical", source="canary-eu")
    send(client, key, "plain", severity="warning")
    assert _severities(db) == {
        "alert db-info": "SEV-1",
        "alert canary": "SEV-4",
        "alert plain": "SEV-3",
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"matchers": [{"name": "group", "value": "[db", "op": "=~"}], "severity": "SEV-1"},
        {"matchers": [{"name": "group", "value": "*", "op": "!~"}], "severity": "SEV-1"},
        {"matchers": [{"name": "group", "value": "db"}], "severity": "SEV-9"},
        {"matchers": [], "severity": "SEV-1"},
    ],
)
def test_it_refuses_an_invalid_severity_rule_with_422(
    client: TestClient, admin: dict[str, str], service: Json, rule: Json
) -> None:
    r = client.patch("/api/v1/services/checkout", json={"severity_rules": [rule]}, headers=admin)
    assert r.status_code == 422, r.text
    assert client.get("/api/v1/services/checkout", headers=admin).json()["severity_rules"] == []
