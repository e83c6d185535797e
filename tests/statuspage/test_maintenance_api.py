"""The maintenance API: who may do what, what it refuses and how it says so, on SQLite and
PostgreSQL."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock

Json = dict[str, Any]
URL = "/api/v1/maintenances"


@pytest.fixture
def planned(clock: FakeClock, status_data: StatusData) -> Json:
    status_data.component("Checkout")
    status_data.component("Search")
    t = clock.now()
    return {
        "name": "Database upgrade",
        "body": "PostgreSQL 17.",
        "components": ["Checkout"],
        "scheduled_for": (t + timedelta(hours=1)).isoformat(),
        "scheduled_until": (t + timedelta(hours=2)).isoformat(),
    }


def _schedule(client: TestClient, people: Personas, body: Json) -> Json:
    r = client.post(URL, json=body, headers=people.responder.headers)
    assert r.status_code == 201, r.text
    out: Json = r.json()
    return out


def test_it_schedules_and_shows_it_by_id_and_by_code(
    app_client: TestClient, people: Personas, planned: Json
) -> None:
    made = _schedule(app_client, people, planned)
    assert made["status"] == "scheduled"
    assert made["allowed_statuses"] == ["completed", "in_progress"]
    assert [c["name"] for c in made["components"]] == ["Checkout"]
    assert [u["body"] for u in made["updates"]] == ["PostgreSQL 17."]
    assert made["created_by"] == people.responder.handle
    for ref in (made["id"], made["code"]):
        r = app_client.get(f"{URL}/{ref}", headers=people.viewer.headers)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == made["id"]
    assert app_client.get(f"{URL}/nosuchcode", headers=people.viewer.headers).status_code == 404
    assert app_client.get(f"{URL}/99999999999", headers=people.viewer.headers).status_code == 404


def test_viewers_read_responders_write_outsiders_nothing(
    app_client: TestClient, people: Personas, planned: Json
) -> None:
    assert app_client.post(URL, json=planned, headers=people.viewer.headers).status_code == 403
    assert app_client.post(URL, json=planned, headers=people.outsider.headers).status_code == 401
    assert app_client.get(URL, headers=people.outsider.headers).status_code == 401
    assert app_client.get(URL).status_code == 401
    made = _schedule(app_client, people, planned)
    mid = made["id"]
    for method, path, body in (
        ("PATCH", f"{URL}/{mid}", {"name": "x"}),
        ("POST", f"{URL}/{mid}/status", {"status": "in_progress"}),
        ("POST", f"{URL}/{mid}/updates", {"body": "hello"}),
    ):
        r = app_client.request(method, path, json=body, headers=people.viewer.headers)
        assert r.status_code == 403, (method, path)
    assert app_client.get(URL, headers=people.viewer.headers).json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"components": ["Checkout", "Payments"]}, "'Payments'"),
        ({"scheduled_for": "2026-01-05T10:00:00"}, "UTC offset"),
        ({"scheduled_until": "2026-01-05T09:30:00+00:00"}, "after scheduled_for"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"body": "x" * 10_001}, "body"),
        ({"components": [f"c{i}" for i in range(51)]}, "components"),
        ({"surprise": True}, "surprise"),
        (
            {
                "scheduled_for": "2025-01-01T00:00:00Z",
                "scheduled_until": "2025-01-01T01:00:00Z",
            },
            "already passed",
        ),
    ],
)
def test_it_refuses_bad_input_saying_what_to_fix(
    app_client: TestClient, people: Personas, planned: Json, change: Json, words: str
) -> None:
    r = app_client.post(URL, json=planned | change, headers=people.responder.headers)
    assert r.status_code == 422, r.text
    assert words in r.text
    assert app_client.get(URL, headers=people.viewer.headers).json()["total"] == 0


def test_a_refused_move_is_a_409_that_names_the_allowed_moves(
    app_client: TestClient, people: Personas, planned: Json
) -> None:
    mid = _schedule(app_client, people, planned)["id"]
    r = app_client.post(
        f"{URL}/{mid}/status", json={"status": "verifying"}, headers=people.responder.headers
    )
    assert r.status_code == 409
    assert r.json()["allowed"] == ["completed", "in_progress"]
    assert "in_progress" in r.json()["detail"]


def test_it_runs_through_its_states_by_hand_with_updates(
    app_client: TestClient, people: Personas, planned: Json, clock: FakeClock
) -> None:
    h = people.responder.headers
    made = _schedule(app_client, people, planned)
    mid = made["id"]
    r = app_client.post(f"{URL}/{mid}/status", json={"status": "in_progress"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["started_at"] is not None
    assert r.json()["components"][0]["status"] == "under_maintenance"
    r = app_client.post(f"{URL}/{mid}/updates", json={"body": "Half way."}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["updates"][0]["body"] == "Half way."
    assert r.json()["updates"][0]["status"] == "in_progress"
    r = app_client.post(
        f"{URL}/{mid}/updates", json={"body": "Checking.", "status": "verifying"}, headers=h
    )
    assert r.json()["status"] == "verifying"
    r = app_client.post(
        f"{URL}/{mid}/status", json={"status": "completed", "body": "All done."}, headers=h
    )
    done = r.json()
    assert done["status"] == "completed"
    assert done["components"][0]["status"] == "operational"
    assert [u["status"] for u in done["updates"]] == [
        "completed",
        "verifying",
        "in_progress",
        "in_progress",
        "scheduled",
    ]
    assert done["updates"][0]["body"] == "All done."
    r = app_client.patch(f"{URL}/{mid}", json={"name": "later"}, headers=h)
    assert r.status_code == 409


def test_it_reschedules_and_changes_components(
    app_client: TestClient, people: Personas, planned: Json, clock: FakeClock
) -> None:
    mid = _schedule(app_client, people, planned)["id"]
    later = clock.now() + timedelta(days=1)
    r = app_client.patch(
        f"{URL}/{mid}",
        json={
            "scheduled_for": later.isoformat(),
            "scheduled_until": (later + timedelta(hours=1)).isoformat(),
            "components": ["Search"],
            "auto_complete": False,
        },
        headers=people.responder.headers,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert datetime.fromisoformat(got["scheduled_for"]) == later
    assert [c["name"] for c in got["components"]] == ["Search"]
    assert got["auto_complete"] is False
    assert got["name"] == "Database upgrade"
    r = app_client.patch(
        f"{URL}/{mid}",
        json={"scheduled_until": (later - timedelta(hours=1)).isoformat()},
        headers=people.responder.headers,
    )
    assert r.status_code == 422
    assert "after scheduled_for" in r.json()["detail"]


def test_it_lists_latest_first_and_filters_by_status(
    app_client: TestClient, people: Personas, planned: Json, clock: FakeClock
) -> None:
    first = _schedule(app_client, people, planned)
    later = planned | {
        "name": "Later",
        "scheduled_for": (clock.now() + timedelta(days=2)).isoformat(),
        "scheduled_until": (clock.now() + timedelta(days=2, hours=1)).isoformat(),
    }
    second = _schedule(app_client, people, later)
    app_client.post(
        f"{URL}/{first['id']}/status",
        json={"status": "in_progress"},
        headers=people.responder.headers,
    )
    h = people.viewer.headers
    page = app_client.get(URL, headers=h).json()
    assert [m["id"] for m in page["items"]] == [second["id"], first["id"]]
    page = app_client.get(URL, params={"status": "in_progress"}, headers=h).json()
    assert [m["id"] for m in page["items"]] == [first["id"]]
    page = app_client.get(URL, params={"limit": 1}, headers=h).json()
    assert page["next"]
    rest = app_client.get(URL, params={"limit": 1, "cursor": page["next"]}, headers=h).json()
    assert [m["id"] for m in rest["items"]] == [first["id"]]
    assert app_client.get(URL, params={"status": "paused"}, headers=h).status_code == 422
