"""Stakeholder updates through the API (SQLite and PostgreSQL): public updates make the
incident public and pin components, the resolution gives components back, the postmortem
status only after resolution, the next update's default wait by severity, the cadence
block of the incident's JSON, the draft endpoint, and subscribers/audiences told."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.statuspage import subscriptions
from warroom.statuspage.models import Component, IncidentComponent, StatusPageRevision

API = "/api/v1/incidents"
Json = dict[str, Any]


@pytest.fixture
def h(people: Personas) -> dict[str, str]:
    return people.responder.headers


@pytest.fixture
def world(status_data: StatusData, app_client: TestClient, people: Personas) -> StatusData:
    status_data.service("checkout")
    status_data.component("API")
    status_data.component("Website")
    status_data.component("Payments DB", public=False)
    return status_data


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Which updates the subscriber and audience hooks were called with."""
    calls: dict[str, list[int]] = {"subscribers": [], "audiences": []}

    def hook(key: str) -> Any:
        def record(session: Any, *, incident: Any, update: Any, now: Any) -> int:
            calls[key].append(update.id)
            return 0

        return record

    monkeypatch.setattr(subscriptions, "notify_subscribers_of_update", hook("subscribers"))
    monkeypatch.setattr(subscriptions, "notify_audiences_of_update", hook("audiences"))
    return calls


def declare(client: TestClient, h: dict[str, str], severity: str = "SEV-2") -> int:
    r = client.post(
        API,
        json={"title": "Checkout failing", "severity": severity, "service": "checkout"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def publish(client: TestClient, h: dict[str, str], iid: int, **body: Any) -> Json:
    r = client.post(f"{API}/{iid}/updates", json={"kind": "update"} | body, headers=h)
    assert r.status_code == 201, r.text
    out: Json = r.json()
    return out


def incident(client: TestClient, h: dict[str, str], iid: int) -> Json:
    out: Json = client.get(f"{API}/{iid}", headers=h).json()
    return out


def statuses(db: Database) -> dict[str, str]:
    with db.read() as s:
        return {c.name: str(c.status) for c in s.scalars(select(Component))}


def revision(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(StatusPageRevision.revision)) or 0


def test_a_public_update_makes_the_incident_public_and_pins_its_components(
    world: StatusData,
    app_client: TestClient,
    h: dict[str, str],
    db: Database,
    told: dict[str, list[int]],
) -> None:
    iid = declare(app_client, h)
    before = revision(db)
    update = publish(
        app_client,
        h,
        iid,
        kind="initial",
        public=True,
        public_title="Card payments failing",
        public_impact="critical",
        components={"API": "major_outage", "Payments DB": "partial_outage"},
    )
    assert revision(db) > before
    out = incident(app_client, h, iid)["public"]
    assert (out["public"], out["title"], out["impact"]) == (
        True,
        "Card payments failing",
        "critical",
    )
    assert len(out["code"]) == 12
    assert statuses(db) == {
        "API": "major_outage",
        "Website": "operational",
        "Payments DB": "partial_outage",
    }
    # Only public components' changes go on the update (the page shows those).
    assert [(c["name"], c["old_status"], c["new_status"]) for c in update["component_changes"]] == [
        ("API", "operational", "major_outage")
    ]
    assert update["components"] == {"API": "major_outage", "Payments DB": "partial_outage"}
    with db.read() as s:
        assert set(s.scalars(select(IncidentComponent.source))) == {"update"}
    assert told == {"subscribers": [update["id"]], "audiences": [update["id"]]}


def test_an_internal_update_stays_internal_but_audiences_hear_it(
    world: StatusData,
    app_client: TestClient,
    h: dict[str, str],
    db: Database,
    told: dict[str, list[int]],
) -> None:
    iid = declare(app_client, h)
    before = revision(db)
    update = publish(app_client, h, iid, kind="initial", public=False)
    assert update["public"] is False
    assert incident(app_client, h, iid)["public"]["public"] is False
    assert revision(db) == before
    assert told == {"subscribers": [], "audiences": [update["id"]]}


def test_a_resolution_update_gives_the_components_back_and_pins_nothing(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)
    publish(
        app_client,
        h,
        iid,
        public=True,
        components={"API": "major_outage", "Website": "degraded_performance"},
    )
    other = declare(app_client, h, "SEV-3")  # still open: its component stays degraded
    publish(app_client, h, other, public=True, components={"Website": "degraded_performance"})
    done = publish(
        app_client, h, iid, kind="resolution", public=True, components={"API": "major_outage"}
    )
    assert done["status"] == "resolved"
    assert statuses(db)["API"] == "operational"
    assert statuses(db)["Website"] == "degraded_performance"
    assert [(c["name"], c["new_status"]) for c in done["component_changes"]] == [
        ("API", "operational")
    ]
    timeline = app_client.get(f"{API}/{iid}/timeline", headers=h).json()["items"]
    back = [e for e in timeline if e["type"] == "component_status_changed"][-1]
    assert (back["data"]["component"], back["data"]["to"], back["data"]["automatic"]) == (
        "API",
        "operational",
        False,
    )


def test_it_refuses_an_update_naming_an_unknown_component_and_writes_nothing(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)
    r = app_client.post(
        f"{API}/{iid}/updates",
        json={
            "kind": "update",
            "status": "identified",
            "public": True,
            "components": {"Mainframe": "major_outage"},
        },
        headers=h,
    )
    assert r.status_code == 422
    assert "Mainframe" in r.json()["detail"]
    after = incident(app_client, h, iid)
    assert (after["status"], after["public"]["public"]) == ("triggered", False)
    assert app_client.get(f"{API}/{iid}/updates", headers=h).json()["total"] == 0


@pytest.mark.parametrize(
    ("severity", "minutes"), [("SEV-1", 30), ("SEV-2", 60), ("SEV-3", 120), ("SEV-4", 240)]
)
def test_the_next_update_is_promised_by_severity_unless_named(
    world: StatusData,
    app_client: TestClient,
    h: dict[str, str],
    clock: FakeClock,
    severity: str,
    minutes: int,
) -> None:
    iid = declare(app_client, h, severity)
    update = publish(app_client, h, iid, kind="initial")
    assert update["next_update_minutes"] == minutes
    assert "Next update in: " in update["body"]
    out = incident(app_client, h, iid)["update_cadence"]
    assert out["default_minutes"] == minutes
    assert out["minutes_left"] == minutes
    assert publish(app_client, h, iid, next_update_minutes=7)["next_update_minutes"] == 7


def test_the_incident_json_reports_cadence_compliance_and_overdue(
    world: StatusData, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    iid = declare(app_client, h, "SEV-1")
    cadence = incident(app_client, h, iid)["update_cadence"]
    assert cadence == {
        "default_minutes": 30,
        "next_update_due_at": None,
        "overdue": False,
        "minutes_left": None,
        "on_time": 0,
        "late": 0,
        "compliance": None,
    }
    publish(app_client, h, iid, next_update_minutes=10)
    clock.set(clock.now() + timedelta(minutes=9))
    publish(app_client, h, iid, next_update_minutes=10)  # on time
    clock.set(clock.now() + timedelta(minutes=12))
    cadence = incident(app_client, h, iid)["update_cadence"]
    assert (cadence["overdue"], cadence["minutes_left"]) == (True, -2)
    publish(app_client, h, iid, next_update_minutes=10)  # late
    cadence = incident(app_client, h, iid)["update_cadence"]
    assert (cadence["on_time"], cadence["late"], cadence["compliance"]) == (1, 1, 0.5)
    assert (cadence["overdue"], cadence["minutes_left"]) == (False, 10)


def test_postmortem_is_announced_only_after_resolution_and_moves_nothing(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)
    r = app_client.post(
        f"{API}/{iid}/updates", json={"kind": "update", "status": "postmortem"}, headers=h
    )
    assert r.status_code == 422
    assert "resolved or closed" in r.json()["detail"]
    assert app_client.get(f"{API}/{iid}/updates", headers=h).json()["total"] == 0

    publish(app_client, h, iid, kind="resolution", public=True)
    r = app_client.post(
        f"{API}/{iid}/updates", json={"kind": "resolution", "status": "postmortem"}, headers=h
    )
    assert r.status_code == 422
    r = app_client.post(
        f"{API}/{iid}/updates", json={"kind": "initial", "status": "postmortem"}, headers=h
    )
    assert r.status_code == 422
    before = revision(db)
    pm = publish(
        app_client, h, iid, status="postmortem", public=True, body="The postmortem is out."
    )
    assert (pm["status"], pm["next_update_minutes"], pm["next_update_due_at"]) == (
        "postmortem",
        None,
        None,
    )
    assert revision(db) > before
    assert incident(app_client, h, iid)["status"] == "resolved"

    # Closed incidents take the postmortem announcement too, and nothing else.
    app_client.post(f"{API}/{iid}/close", headers=h)
    assert (
        publish(app_client, h, iid, status="postmortem", body="Read it here.")["status"]
        == "postmortem"
    )
    assert incident(app_client, h, iid)["status"] == "closed"
    r = app_client.post(f"{API}/{iid}/updates", json={"kind": "update"}, headers=h)
    assert r.status_code == 409


def test_the_draft_takes_the_same_facts_as_an_update(
    world: StatusData, app_client: TestClient, h: dict[str, str], people: Personas
) -> None:
    iid = declare(app_client, h, "SEV-3")
    r = app_client.get(
        f"{API}/{iid}/updates/draft/update",
        params={
            "status": "identified",
            "progress": "Rolled back the deploy.",
            "component": ["API", "Website=degraded_performance"],
        },
        headers=people.viewer.headers,
    )
    assert r.status_code == 200, r.text
    draft = r.json()
    assert (draft["status"], draft["next_update_minutes"]) == ("identified", 120)
    lines = draft["body"].splitlines()
    assert "Current status: Identified" in lines
    assert "Progress: Rolled back the deploy." in lines
    assert "Next update in: 2 hours" in lines
    initial = app_client.get(
        f"{API}/{iid}/updates/draft/initial", params={"component": ["API", "Website"]}, headers=h
    ).json()
    assert "Affected services: API, Website" in initial["body"].splitlines()
    # Nothing is published by drafting.
    assert app_client.get(f"{API}/{iid}/updates", headers=h).json()["total"] == 0
    refused = app_client.get(
        f"{API}/{iid}/updates/draft/update", params={"status": "postmortem"}, headers=h
    )
    assert refused.status_code == 422
    assert (
        app_client.get(
            f"{API}/{iid}/updates/draft/update", params={"next_update_minutes": 0}, headers=h
        ).status_code
        == 422
    )
    assert app_client.get(f"{API}/{iid}/updates/draft/update").status_code == 401


def test_only_responders_publish_updates(
    world: StatusData, app_client: TestClient, people: Personas, h: dict[str, str]
) -> None:
    iid = declare(app_client, h)
    url = f"{API}/{iid}/updates"
    body = {"kind": "initial", "public": True}
    assert app_client.post(url, json=body, headers=people.viewer.headers).status_code == 403
    assert app_client.post(url, json=body, headers=people.outsider.headers).status_code == 401
    assert incident(app_client, h, iid)["public"]["public"] is False
    r = app_client.post(url, json=body | {"public_impact": "huge"}, headers=h)
    assert r.status_code == 422
    assert "public_impact" in r.text
    r = app_client.post(url, json=body | {"public_title": "x" * 201}, headers=h)
    assert r.status_code == 422
    assert "public_title" in r.text
