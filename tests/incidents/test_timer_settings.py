"""The timers through the API and the pages: a service's acknowledgement and
auto-resolve timeouts (off by default, clear 4xx for a bad value), and an incident's
update cadence in its JSON."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock

SERVICES = "/api/v1/services"
INCIDENTS = "/api/v1/incidents"


def test_timeouts_are_off_by_default_set_by_an_admin_and_turned_off_with_null(
    app_client: TestClient, people: Personas
) -> None:
    admin = people.admin.headers
    r = app_client.post(SERVICES, json={"name": "checkout"}, headers=admin)
    assert r.status_code == 201, r.text
    assert (r.json()["ack_timeout_minutes"], r.json()["auto_resolve_minutes"]) == (None, None)
    r = app_client.post(
        SERVICES,
        json={"name": "search", "ack_timeout_minutes": 30, "auto_resolve_minutes": 240},
        headers=admin,
    )
    assert (r.json()["ack_timeout_minutes"], r.json()["auto_resolve_minutes"]) == (30, 240)

    r = app_client.patch(f"{SERVICES}/search", json={"ack_timeout_minutes": None}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["ack_timeout_minutes"], r.json()["auto_resolve_minutes"]) == (None, 240)
    r = app_client.patch(f"{SERVICES}/search", json={"description": "x"}, headers=admin)
    assert r.json()["auto_resolve_minutes"] == 240  # left out: unchanged
    r = app_client.patch(
        f"{SERVICES}/search", json={"ack_timeout_minutes": 15}, headers=people.responder.headers
    )
    assert r.status_code == 403
    assert app_client.get(f"{SERVICES}/search", headers=admin).json()["ack_timeout_minutes"] is None


@pytest.mark.parametrize("value", [0, -5, 1.5, 7 * 24 * 60 + 1, "soon"])
def test_a_bad_timeout_is_refused_with_422_naming_the_field_and_changes_nothing(
    app_client: TestClient, people: Personas, value: Any
) -> None:
    admin = people.admin.headers
    app_client.post(SERVICES, json={"name": "checkout"}, headers=admin)
    r = app_client.patch(
        f"{SERVICES}/checkout", json={"auto_resolve_minutes": value}, headers=admin
    )
    assert r.status_code == 422
    assert "auto_resolve_minutes" in r.text
    assert (
        app_client.get(f"{SERVICES}/checkout", headers=admin).json()["auto_resolve_minutes"] is None
    )


def test_the_incident_json_shows_the_next_update_and_how_promises_were_kept(
    app_client: TestClient, people: Personas, clock: FakeClock
) -> None:
    h = people.responder.headers
    app_client.post(SERVICES, json={"name": "checkout"}, headers=people.admin.headers)
    t = clock.now()
    iid = app_client.post(
        INCIDENTS, json={"title": "Slow", "severity": "SEV-2", "service": "checkout"}, headers=h
    ).json()["id"]
    updates = f"{INCIDENTS}/{iid}/updates"
    r = app_client.post(updates, json={"kind": "initial", "next_update_minutes": 20}, headers=h)
    assert r.status_code == 201, r.text
    out = app_client.get(f"{INCIDENTS}/{iid}", headers=h).json()
    due = datetime.fromisoformat(out["next_update_due_at"].replace("Z", "+00:00"))
    assert due == t + timedelta(minutes=20)
    assert (out["next_update_overdue"], out["updates_on_time"], out["updates_late"]) == (
        False,
        0,
        0,
    )
    clock.advance(minutes=15)
    app_client.post(updates, json={"kind": "update", "next_update_minutes": 10}, headers=h)
    clock.advance(minutes=11)
    out = app_client.get(f"{INCIDENTS}/{iid}", headers=h).json()
    assert (out["next_update_overdue"], out["updates_on_time"], out["updates_late"]) == (
        True,
        1,
        0,
    )
    app_client.post(updates, json={"kind": "resolution"}, headers=h)
    out = app_client.get(f"{INCIDENTS}/{iid}", headers=h).json()
    assert (out["next_update_overdue"], out["updates_on_time"], out["updates_late"]) == (
        False,
        1,
        1,
    )
    assert out["next_update_due_at"] is None


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/services").text)
    assert found
    return found.group(1)


def test_an_admin_sets_the_timers_on_the_service_page(
    app_client: TestClient, people: Personas
) -> None:
    app_client.post(SERVICES, json={"name": "checkout"}, headers=people.admin.headers)
    r = app_client.post("/login", data={"token": people.admin.token}, follow_redirects=False)
    assert r.status_code == 303
    page = app_client.get("/services/checkout").text
    assert "Incident timers" in page
    assert '/timers" class="window-form"' in page
    r = app_client.post(
        "/services/checkout/timers",
        data={"csrf": _csrf(app_client), "ack_timeout_minutes": "20", "auto_resolve_minutes": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = app_client.get(r.headers["location"]).text
    assert "Incident timers saved." in page
    assert re.search(r"data-ack-timeout>20 min<", page)
    assert re.search(r"data-auto-resolve><span class=\"muted\">off", page)

    r = app_client.post(
        "/services/checkout/timers",
        data={"csrf": _csrf(app_client), "ack_timeout_minutes": "0", "auto_resolve_minutes": ""},
        follow_redirects=False,
    )
    assert r.status_code in (400, 422)
    assert "whole number of minutes" in r.text
    service = app_client.get(f"{SERVICES}/checkout", headers=people.admin.headers).json()
    assert service["ack_timeout_minutes"] == 20


def test_a_responder_cannot_change_the_timers_on_the_service_page(
    app_client: TestClient, people: Personas
) -> None:
    app_client.post(SERVICES, json={"name": "checkout"}, headers=people.admin.headers)
    app_client.post("/login", data={"token": people.responder.token}, follow_redirects=False)
    page = app_client.get("/services/checkout").text
    assert "Incident timers" in page  # shown,
    assert '/timers"' not in page  # but not the form
    r = app_client.post(
        "/services/checkout/timers",
        data={"csrf": _csrf(app_client), "ack_timeout_minutes": "20"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    service = app_client.get(f"{SERVICES}/checkout", headers=people.admin.headers).json()
    assert service["ack_timeout_minutes"] is None
