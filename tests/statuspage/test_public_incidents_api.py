"""An incident on the public status page, through the API (SQLite and PostgreSQL): making
it public and private, its public title, impact and components, who may do it, and what
is refused without writing anything."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.incidents.models import Incident
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


def declare(client: TestClient, h: dict[str, str], severity: str = "SEV-2") -> Json:
    r = client.post(
        API,
        json={
            "title": "Checkout failing for card payments",
            "severity": severity,
            "service": "checkout",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    out: Json = r.json()
    return out


def revision(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(StatusPageRevision.revision)) or 0


def component_status(db: Database, name: str) -> str:
    with db.read() as s:
        return str(s.scalar(select(Component.status).where(Component.name == name)))


def events(client: TestClient, iid: int, h: dict[str, str], type_: str) -> list[Json]:
    items = client.get(f"{API}/{iid}/timeline", headers=h).json()["items"]
    return [e for e in items if e["type"] == type_]


def test_it_makes_an_incident_public_with_a_random_code_and_a_title_from_public_facts(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database, clock: FakeClock
) -> None:
    incident = declare(app_client, h)
    assert incident["public"] == {
        "public": False,
        "title": None,
        "code": None,
        "public_at": None,
        "impact": "major",
        "impact_override": None,
        "show_responders": False,
    }
    before = revision(db)
    r = app_client.put(f"{API}/{incident['id']}/public", json={"public": True}, headers=h)
    assert r.status_code == 200, r.text
    public = r.json()["public"]
    assert public["public"] is True
    # Not the internal title: a default from the impact and the public components.
    assert public["title"] == "Partial outage under investigation"
    assert re.fullmatch(r"[a-z0-9]{12}", public["code"])
    assert public["code"] != str(incident["id"])
    assert public["public_at"] is not None
    assert revision(db) > before
    [event] = events(app_client, incident["id"], h, "public_changed")
    assert event["actor"] == "rita"
    assert event["data"]["public"] is True
    assert event["data"]["code"] == public["code"]


def test_going_private_hides_it_but_keeps_its_code_and_title(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)["id"]
    url = f"{API}/{iid}/public"
    first = app_client.put(url, json={"public": True, "title": "Card payments"}, headers=h).json()
    before = revision(db)
    hidden = app_client.put(url, json={"public": False}, headers=h).json()["public"]
    assert (hidden["public"], hidden["code"], hidden["title"]) == (
        False,
        first["public"]["code"],
        "Card payments",
    )
    assert revision(db) > before
    again = app_client.put(url, json={"public": True}, headers=h).json()["public"]
    assert again["code"] == first["public"]["code"]
    # Asking for what is already so writes nothing more.
    count = len(events(app_client, iid, h, "public_changed"))
    app_client.put(url, json={"public": True}, headers=h)
    assert len(events(app_client, iid, h, "public_changed")) == count


def test_the_impact_follows_the_severity_until_one_is_chosen(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h, "SEV-3")["id"]
    url = f"{API}/{iid}/public"
    out = app_client.put(url, json={"public": True}, headers=h).json()["public"]
    assert (out["impact"], out["impact_override"]) == ("minor", None)
    # A public incident's severity change changes its impact: the page's revision moves.
    before = revision(db)
    app_client.post(f"{API}/{iid}/severity", json={"severity": "SEV-1"}, headers=h)
    assert revision(db) > before
    assert app_client.get(f"{API}/{iid}", headers=h).json()["public"]["impact"] == "critical"
    out = app_client.put(url, json={"public": True, "impact": "none"}, headers=h).json()
    assert (out["public"]["impact"], out["public"]["impact_override"]) == ("none", "none")
    out = app_client.put(url, json={"public": True, "impact": "severity"}, headers=h).json()
    assert (out["public"]["impact"], out["public"]["impact_override"]) == ("critical", None)


def test_it_marks_components_affected_by_hand_and_puts_each_change_on_the_timeline(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)["id"]  # SEV-2: partial outage unless chosen
    r = app_client.put(
        f"{API}/{iid}/public",
        json={
            "public": True,
            "components": {"API": None, "Website": "degraded_performance", "Payments DB": None},
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert component_status(db, "API") == "partial_outage"
    assert component_status(db, "Website") == "degraded_performance"
    # Internal components may be affected too; they just never show publicly.
    assert component_status(db, "Payments DB") == "partial_outage"
    changes = events(app_client, iid, h, "component_status_changed")
    assert {(e["data"]["component"], e["data"]["to"]) for e in changes} == {
        ("API", "partial_outage"),
        ("Website", "degraded_performance"),
        ("Payments DB", "partial_outage"),
    }
    assert all(e["data"]["automatic"] is False and e["actor"] == "rita" for e in changes)
    with db.read() as s:
        sources = set(s.scalars(select(IncidentComponent.source)))
    assert sources == {"hand"}


def test_it_refuses_an_unknown_component_by_name_and_writes_nothing(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)["id"]
    before = revision(db)
    r = app_client.put(
        f"{API}/{iid}/public",
        json={"public": True, "components": {"API": None, "Mainframe": "major_outage"}},
        headers=h,
    )
    assert r.status_code == 422
    assert "Mainframe" in r.json()["detail"]
    out = app_client.get(f"{API}/{iid}", headers=h).json()
    assert out["public"]["public"] is False
    assert out["public"]["code"] is None
    assert component_status(db, "API") == "operational"
    assert revision(db) == before
    with db.read() as s:
        assert s.scalars(select(IncidentComponent)).all() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "public"),
        ({"public": True, "impact": "catastrophic"}, "impact"),
        ({"public": True, "title": ""}, "title"),
        ({"public": True, "title": "x" * 201}, "title"),
        ({"public": True, "components": {"API": "on_fire"}}, "components"),
        ({"public": True, "colour": "red"}, "colour"),
    ],
)
def test_it_refuses_bad_public_settings_with_a_4xx_naming_the_field(
    world: StatusData,
    app_client: TestClient,
    h: dict[str, str],
    body: Json,
    field: str,
) -> None:
    iid = declare(app_client, h)["id"]
    r = app_client.put(f"{API}/{iid}/public", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert app_client.get(f"{API}/{iid}", headers=h).json()["public"]["public"] is False


def test_only_responders_and_admins_change_public_settings(
    world: StatusData, app_client: TestClient, people: Personas, h: dict[str, str]
) -> None:
    iid = declare(app_client, h)["id"]
    url = f"{API}/{iid}/public"
    assert app_client.put(url, json={"public": True}).status_code == 401
    assert (
        app_client.put(url, json={"public": True}, headers=people.outsider.headers).status_code
        == 401
    )
    assert (
        app_client.put(url, json={"public": True}, headers=people.viewer.headers).status_code == 403
    )
    assert (
        app_client.get(f"{API}/{iid}", headers=people.viewer.headers).json()["public"]["public"]
        is False
    )
    assert (
        app_client.put(url, json={"public": True}, headers=people.admin.headers).status_code == 200
    )
    assert (
        app_client.put(f"{API}/999999/public", json={"public": True}, headers=h).status_code == 404
    )


def test_a_closed_incident_keeps_its_public_settings(
    world: StatusData, app_client: TestClient, h: dict[str, str], db: Database
) -> None:
    iid = declare(app_client, h)["id"]
    app_client.post(f"{API}/{iid}/resolve", headers=h)
    app_client.post(f"{API}/{iid}/close", headers=h)
    r = app_client.put(f"{API}/{iid}/public", json={"public": True}, headers=h)
    assert r.status_code == 409
    with db.read() as s:
        assert s.get(Incident, iid).public is False  # type: ignore[union-attr]
