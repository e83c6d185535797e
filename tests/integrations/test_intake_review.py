"""Holes a review found in intake, each pinned by a test that failed before its fix."""

from datetime import UTC, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.alerts.intake import Intake, _Job
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.alerts import AlertAction, AlertEvent, AlertSource
from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES


def _service(client: TestClient, people: Personas, **fields: Any) -> tuple[int, str]:
    r = client.post(
        "/api/v1/services", json={"name": "checkout", **fields}, headers=people.admin.headers
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["integration_key"]


def _event(key: str = "disk") -> AlertEvent:
    return AlertEvent(
        source=AlertSource.EVENTS_V2,
        action=AlertAction.TRIGGER,
        alert_key=key,
        incident_key=key,
        summary="Disk full",
        severity="error",
    )


def test_it_attaches_an_alert_once_when_it_arrives_twice_in_one_batch(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    service_id, _ = _service(app_client, people)
    intake = Intake(db, clock, DEFAULT_RESPONSE_TARGETS_MINUTES)
    first, second = _Job(service_id, None, [_event()]), _Job(service_id, None, [_event()])
    intake._process([first, second])
    assert [first.future.result()[0].outcome, second.future.result()[0].outcome] == [
        "opened",
        "unchanged",
    ]
    events = app_client.get("/api/v1/incidents/1/timeline", headers=people.admin.headers).json()[
        "items"
    ]
    assert [e["type"] for e in events].count("alert_attached") == 1


def test_it_takes_a_start_time_too_far_ahead_for_utc_without_failing(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    _, key = _service(app_client, people)
    body = {
        "version": "4",
        "groupKey": "g",
        "status": "firing",
        "receiver": "warroom",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull"},
                "annotations": {},
                "startsAt": "9999-12-31T23:59:59-05:00",
                "fingerprint": "f1",
            }
        ],
    }
    r = app_client.post(f"/integrations/alertmanager/{key}", json=body)
    assert r.status_code == 200, r.text
    r = app_client.post(
        f"/integrations/webhook/{key}",
        json={"summary": "x", "started_at": "9999-12-31T23:59:59-05:00"},
    )
    assert r.status_code == 202, r.text
    started = app_client.get("/api/v1/incidents/1", headers=people.admin.headers).json()
    assert started["started_at"].startswith(str(clock.now().astimezone(UTC).year))


def test_it_refuses_grafana_values_that_are_not_numbers_json_can_hold(
    app_client: TestClient, people: Personas
) -> None:
    _, key = _service(app_client, people)
    body = {
        "version": "1",
        "groupKey": "g",
        "status": "firing",
        "receiver": "warroom",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Cpu"},
                "annotations": {},
                "startsAt": "2026-01-05T08:59:00Z",
                "fingerprint": "f1",
                "values": {"A": "NaN"},
            }
        ],
    }
    r = app_client.post(f"/integrations/grafana/{key}", json=body)
    assert r.status_code == 400, r.text
    assert app_client.get("/api/v1/alerts", headers=people.admin.headers).json()["total"] == 0


def test_it_matches_severity_rules_on_the_senders_own_severity_label(
    app_client: TestClient, people: Personas
) -> None:
    _, key = _service(
        app_client,
        people,
        severity_rules=[{"matchers": [{"name": "severity", "value": "P1"}], "severity": "SEV-1"}],
    )
    body = {
        "version": "4",
        "groupKey": "g",
        "status": "firing",
        "receiver": "warroom",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Down", "severity": "P1"},
                "annotations": {},
                "startsAt": "2026-01-05T08:59:00Z",
                "fingerprint": "f1",
            }
        ],
    }
    assert app_client.post(f"/integrations/alertmanager/{key}", json=body).status_code == 200
    incident = app_client.get("/api/v1/incidents/1", headers=people.admin.headers).json()
    assert incident["severity"] == "SEV-1"


def test_it_refuses_a_matcher_regex_that_backtracks_catastrophically(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    _service(app_client, people)
    r = app_client.post(
        "/api/v1/services/checkout/silences",
        json={
            "matchers": [{"name": "instance", "value": "(a+)+$", "op": "=~"}],
            "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers=people.responder.headers,
    )
    assert r.status_code == 422
    assert "exponential" in r.json()["detail"]
