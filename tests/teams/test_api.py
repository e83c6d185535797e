"""/api/v1/teams: admins shape teams and their members, services name their team, and
everyone reads where each team stands on its quarterly drill."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.teams.models import Team, TeamMember

PATH = "/api/v1/teams"


@pytest.fixture
def api(app_client: TestClient, people: Personas) -> TestClient:
    for name in ("checkout", "search"):
        r = app_client.post(
            "/api/v1/services",
            json={"name": name, "open_room": False},
            headers=people.admin.headers,
        )
        assert r.status_code == 201, r.text
    return app_client


def create(api: TestClient, people: Personas, **body: Any) -> Any:
    r = api.post(PATH, json=body, headers=people.admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def rows(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Team)) or 0,
            session.scalar(select(func.count()).select_from(TeamMember)) or 0,
        )


def test_an_admin_creates_a_team_that_owes_its_first_drill_in_90_days(
    api: TestClient, people: Personas, clock: FakeClock
) -> None:
    team = create(
        api, people, name="Payments", description="Money in, money out", members=["rita", "ada"]
    )
    assert team["name"] == "Payments"
    assert team["members"] == ["rita", "ada"]
    assert team["services"] == []
    assert team["last_drill_at"] is None
    due = clock.now() + timedelta(days=90)
    assert team["next_drill_due_at"] == due.isoformat().replace("+00:00", "Z")
    assert team["drill_overdue"] is False

    clock.advance(days=91)
    again = api.get(f"{PATH}/Payments", headers=people.viewer.headers).json()
    assert again["drill_overdue"] is True
    assert api.get(f"{PATH}/{team['id']}", headers=people.viewer.headers).json()["id"] == team["id"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"name": "payments"}, 409, "a team named 'payments' already exists"),
        ({"name": "1234"}, 409, "only digits"),
        ({"name": "ops", "members": ["rita", "nobody"]}, 404, "no user with handle 'nobody'"),
        ({"name": "ops", "members": ["Not A Handle"]}, 422, "members"),
        ({"name": ""}, 422, "name"),
        ({"name": "ops", "owner": "rita"}, 422, "owner"),
    ],
)
def test_a_refused_team_says_why_and_writes_nothing(
    api: TestClient, people: Personas, db: Database, body: dict[str, Any], status: int, says: str
) -> None:
    create(api, people, name="payments", members=["rita"])
    before = rows(db)
    r = api.post(PATH, json=body, headers=people.admin.headers)
    assert r.status_code == status, r.text
    assert says in r.text
    assert rows(db) == before


def test_only_admins_change_teams_and_everyone_signed_in_reads_them(
    api: TestClient, people: Personas
) -> None:
    body = {"name": "ops"}
    assert api.post(PATH, json=body).status_code == 401
    assert api.post(PATH, json=body, headers=people.outsider.headers).status_code == 401
    assert api.post(PATH, json=body, headers=people.responder.headers).status_code == 403
    create(api, people, **body)
    for method, path, payload in (
        ("PATCH", f"{PATH}/ops", {"description": "x"}),
        ("PUT", f"{PATH}/ops/members", {"members": ["rita"]}),
        ("POST", f"{PATH}/ops/members", {"user": "rita"}),
        ("DELETE", f"{PATH}/ops/members/rita", None),
        ("DELETE", f"{PATH}/ops", None),
    ):
        r = api.request(method, path, json=payload, headers=people.responder.headers)
        assert r.status_code == 403, (method, path)
    assert api.get(PATH).status_code == 401
    listed = api.get(PATH, headers=people.viewer.headers).json()
    assert [t["name"] for t in listed["items"]] == ["ops"]
    assert listed["total"] == 1


def test_an_admin_renames_a_team_and_manages_its_members(api: TestClient, people: Personas) -> None:
    admin = people.admin.headers
    create(api, people, name="ops", members=["rita"])
    create(api, people, name="sre")

    r = api.patch(f"{PATH}/ops", json={"name": "sre"}, headers=admin)
    assert r.status_code == 409
    r = api.patch(
        f"{PATH}/ops",
        json={"name": "platform", "description": "Keeps the lights on"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["description"]) == ("platform", "Keeps the lights on")
    assert api.get(f"{PATH}/ops", headers=admin).status_code == 404

    r = api.post(f"{PATH}/platform/members", json={"user": "vic"}, headers=admin)
    assert r.status_code == 201
    assert r.json()["members"] == ["rita", "vic"]
    r = api.post(f"{PATH}/platform/members", json={"user": "vic"}, headers=admin)
    assert r.status_code == 409
    assert "@vic is already a member" in r.text
    r = api.post(f"{PATH}/platform/members", json={"user": "zed"}, headers=admin)
    assert r.status_code == 404
    assert "zed" in r.text

    r = api.delete(f"{PATH}/platform/members/rita", headers=admin)
    assert r.json()["members"] == ["vic"]
    r = api.delete(f"{PATH}/platform/members/rita", headers=admin)
    assert r.status_code == 404
    assert "@rita is not a member of team 'platform'" in r.text

    r = api.put(f"{PATH}/platform/members", json={"members": ["ada", "vic", "ada"]}, headers=admin)
    assert r.json()["members"] == ["vic", "ada"]
    r = api.put(f"{PATH}/platform/members", json={"members": ["ada", "ghost"]}, headers=admin)
    assert r.status_code == 404
    assert "ghost" in r.text
    assert api.get(f"{PATH}/platform", headers=admin).json()["members"] == ["vic", "ada"]


def test_services_name_their_team_and_outlive_it(api: TestClient, people: Personas) -> None:
    admin = people.admin.headers
    create(api, people, name="payments")
    r = api.patch("/api/v1/services/checkout", json={"team": "payments"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["team"] == "payments"
    r = api.post("/api/v1/services", json={"name": "billing", "team": "payments"}, headers=admin)
    assert r.status_code == 201
    assert r.json()["team"] == "payments"
    r = api.post("/api/v1/services", json={"name": "ledger", "team": "nope"}, headers=admin)
    assert r.status_code == 422
    assert "no such team: nope" in r.text
    assert api.get("/api/v1/services/ledger", headers=admin).status_code == 404

    team = api.get(f"{PATH}/payments", headers=people.viewer.headers).json()
    assert team["services"] == ["billing", "checkout"]
    services = api.get("/api/v1/services", headers=people.viewer.headers).json()["items"]
    assert {s["name"]: s["team"] for s in services} == {
        "billing": "payments",
        "checkout": "payments",
        "search": None,
    }
    r = api.patch("/api/v1/services/billing", json={"team": None}, headers=admin)
    assert r.json()["team"] is None
    # Leaving `team` out of a PATCH leaves it as it is.
    r = api.patch("/api/v1/services/checkout", json={"description": "Takes money"}, headers=admin)
    assert r.json()["team"] == "payments"

    r = api.delete(f"{PATH}/payments", headers=admin)
    assert r.status_code == 200
    assert r.json()["services"] == ["checkout"]
    assert api.get(f"{PATH}/payments", headers=admin).status_code == 404
    checkout = api.get("/api/v1/services/checkout", headers=admin).json()
    assert checkout["team"] is None
