"""POST/GET /api/v1/drills: responders start drills, everyone reads them; a refused drill
writes nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from tests.drills.conftest import RUNBOOK
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.drills.models import Drill
from warroom.engine.models import Task
from warroom.incidents.models import Incident, TimelineEvent
from warroom.runbooks.models import Runbook
from warroom.services.repository import get_service

PATH = "/api/v1/drills"


@pytest.fixture
def api(app_client: TestClient, people: Personas, db: Database, clock: FakeClock) -> TestClient:
    admin = people.admin.headers
    assert app_client.post("/api/v1/teams", json={"name": "payments"}, headers=admin).is_success
    for name in ("checkout", "search"):
        r = app_client.post(
            "/api/v1/services",
            json={"name": name, "team": "payments", "open_room": False},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    with db.write() as session:
        now = clock.now()
        session.add(
            Runbook(
                service_id=get_service(session, "checkout").id,
                markdown=RUNBOOK,
                updated_by="ada",
                created_at=now,
                updated_at=now,
            )
        )
    return app_client


def start(api: TestClient, people: Personas, **body: Any) -> Any:
    r = api.post(PATH, json=body, headers=people.responder.headers)
    assert r.status_code == 201, r.text
    return r.json()


def written(db: Database) -> list[int]:
    """Incidents, drills and timeline events: what a refused drill must not add to."""
    with db.read() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Incident, Drill, TimelineEvent)
        ]


def test_a_responder_starts_a_drill_from_a_runbook_issue(api: TestClient, people: Personas) -> None:
    drill = start(
        api,
        people,
        service="checkout",
        severity="SEV-3",
        common_issue="database connection exhaustion",
    )

    assert drill["title"] == "[DRILL] Database Connection Exhaustion"
    assert drill["common_issue"] == "Database Connection Exhaustion"
    assert drill["scenario"] == "Database Connection Exhaustion"
    assert (drill["service"], drill["team"], drill["severity"]) == ("checkout", "payments", "SEV-3")
    assert drill["started_by"] == people.responder.handle
    assert drill["outcome"] == "Running: 0 of 3 targets met so far"
    incident = drill["incident"]
    assert incident["drill"] is True
    assert incident["title"] == "[DRILL] Database Connection Exhaustion"
    assert incident["status"] == "triggered"
    assert "- Connection timeout errors\n- 502s from the checkout API" in incident["description"]
    # The incident's own API answer, list and timeline carry the mark too.
    got = api.get(f"/api/v1/incidents/{drill['incident_id']}", headers=people.viewer.headers)
    assert got.json()["title"].startswith("[DRILL] ")
    timeline = api.get(
        f"/api/v1/incidents/{drill['incident_id']}/timeline", headers=people.viewer.headers
    ).json()["items"]
    assert [e["type"] for e in timeline] == ["declared", "drill_started"]
    assert timeline[0]["data"]["drill"] is True


def test_a_free_text_scenario_titles_the_drill_by_its_first_line(
    api: TestClient, people: Personas
) -> None:
    drill = start(
        api,
        people,
        service="search",
        severity="SEV-2",
        scenario="Search returns nothing for every query\nThe index was dropped by a bad deploy.",
    )
    assert drill["title"] == "[DRILL] Search returns nothing for every query"
    assert drill["common_issue"] is None
    assert "The index was dropped" in drill["incident"]["description"]

    plain = start(api, people, service="search", severity="SEV-4")
    assert plain["title"] == "[DRILL] Practice incident on search"


def test_drills_are_left_out_of_the_incident_list_when_asked(
    api: TestClient, people: Personas
) -> None:
    drill = start(
        api, people, service="checkout", severity="SEV-3", common_issue="High Memory Usage"
    )
    r = api.post(
        "/api/v1/incidents",
        json={"title": "Real outage", "severity": "SEV-2", "service": "checkout"},
        headers=people.responder.headers,
    )
    real = r.json()["id"]
    headers = people.viewer.headers

    def ids(query: str) -> list[int]:
        return [
            i["id"] for i in api.get(f"/api/v1/incidents{query}", headers=headers).json()["items"]
        ]

    assert ids("?drill=false") == [real]
    assert ids("?drill=true") == [drill["incident_id"]]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            {"service": "checkout", "severity": "SEV-2", "common_issue": "Disk full"},
            422,
            "no common issue 'Disk full' in the runbook of 'checkout'; it has: "
            "'High Memory Usage'; 'Database Connection Exhaustion'",
        ),
        (
            {"service": "search", "severity": "SEV-2", "common_issue": "Disk full"},
            422,
            "service 'search' has no runbook",
        ),
        ({"service": "nope", "severity": "SEV-2"}, 404, "nope"),
        ({"service": "checkout", "severity": "SEV-9"}, 422, "severity"),
        ({"service": "checkout"}, 422, "severity"),
        ({"service": "checkout", "severity": "SEV-2", "title": "x"}, 422, "title"),
        ({"service": "checkout", "severity": "SEV-2", "scenario": "x" * 5001}, 422, "scenario"),
        ({"service": "checkout", "severity": "SEV-2", "scenario": "a\x00b"}, 422, "NUL"),
    ],
)
def test_a_refused_drill_says_why_and_writes_nothing(
    api: TestClient, people: Personas, db: Database, body: dict[str, Any], status: int, says: str
) -> None:
    before = written(db)
    with db.read() as session:
        tasks = session.scalar(select(func.count()).select_from(Task))
    r = api.post(PATH, json=body, headers=people.responder.headers)
    assert r.status_code == status, r.text
    assert says in r.text
    assert written(db) == before
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == tasks


def test_viewers_read_drills_but_only_responders_start_them(
    api: TestClient, people: Personas, db: Database
) -> None:
    body = {"service": "checkout", "severity": "SEV-3"}
    assert api.post(PATH, json=body).status_code == 401
    assert api.post(PATH, json=body, headers=people.outsider.headers).status_code == 401
    assert api.post(PATH, json=body, headers=people.viewer.headers).status_code == 403
    assert written(db)[1] == 0
    assert api.get(PATH).status_code == 401

    first = start(api, people, service="checkout", severity="SEV-3")
    second = start(api, people, service="search", severity="SEV-1", scenario="Everything is down")
    listed = api.get(PATH, headers=people.viewer.headers).json()
    assert listed["total"] == 2
    assert {d["id"] for d in listed["items"]} == {first["id"], second["id"]}
    assert api.get(f"{PATH}/{first['id']}", headers=people.viewer.headers).status_code == 200
    assert api.get(f"{PATH}/{first['id']}").status_code == 401
    missing = api.get(f"{PATH}/999", headers=people.viewer.headers)
    assert missing.status_code == 404
    assert "no drill with id 999" in missing.text
