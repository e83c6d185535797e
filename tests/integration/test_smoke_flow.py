from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock


def test_it_runs_an_incident_from_declaration_to_close(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    admin, rita = people.admin.headers, people.responder.headers
    assert (
        app_client.post("/api/v1/services", json={"name": "checkout"}, headers=admin).status_code
        == 201
    )
    r = app_client.post(
        "/api/v1/incidents",
        json={"title": "Checkout failing", "severity": "SEV-2", "service": "checkout"},
        headers=rita,
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["status"] == "triggered"
    assert incident["phase"] == "detection"
    assert incident["response_target_minutes"] == 30

    clock.advance(minutes=4)
    acked = app_client.post(f"/api/v1/incidents/{incident['id']}/acknowledge", headers=rita).json()
    assert acked["acknowledged_at"] is not None
    assert acked["response_target_breached"] is False

    resolved = app_client.post(f"/api/v1/incidents/{incident['id']}/resolve", headers=rita).json()
    assert resolved["status"] == "resolved"
    closed = app_client.post(
        f"/api/v1/incidents/{incident['id']}/status", json={"status": "closed"}, headers=rita
    ).json()
    assert closed["phase"] == "closed"
    types = [
        e["type"]
        for e in app_client.get(
            f"/api/v1/incidents/{incident['id']}/timeline", headers=rita
        ).json()["items"]
    ]
    assert types[0] == "declared"
    assert types.count("status_changed") == 3
