"""The incidents API (SPEC §3) on SQLite and PostgreSQL: declaring, running and closing
an incident, its timeline and checklist, response targets, lists, and refused input."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from warroom.clock import FakeClock
from warroom.db.pagination import encode_cursor
from warroom.db.session import Database
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_change_status, do_declare

API = "/api/v1/incidents"
Json = dict[str, Any]
Declare = Callable[..., Json]

WRITES: list[tuple[str, str, Json | None]] = [
    ("POST", "/acknowledge", None),
    ("POST", "/resolve", None),
    ("POST", "/close", None),
    ("POST", "/reopen", None),
    ("POST", "/status", {"status": "investigating"}),
    ("POST", "/severity", {"severity": "SEV-1"}),
    ("PUT", "/roles/scribe", {"user": "rita"}),
    ("DELETE", "/roles/incident_commander", None),
    ("POST", "/notes", {"text": "still here?"}),
    ("POST", "/checklist/4", None),
    ("POST", "/updates", {"kind": "update"}),
]


@pytest.fixture
def h(people: Personas) -> dict[str, str]:
    """The responder's headers: most of the incident work is theirs."""
    return people.responder.headers


@pytest.fixture
def service(app_client: TestClient, people: Personas) -> Json:
    r = app_client.post("/api/v1/services", json={"name": "checkout"}, headers=people.admin.headers)
    assert r.status_code == 201, r.text
    body: Json = r.json()
    return body


@pytest.fixture
def declare(app_client: TestClient, h: dict[str, str], service: Json) -> Declare:
    def _declare(**fields: Any) -> Json:
        body = {"title": "Checkout failing", "severity": "SEV-2", "service": "checkout"} | fields
        r = app_client.post(API, json=body, headers=h)
        assert r.status_code == 201, r.text
        out: Json = r.json()
        return out

    return _declare


def timeline(client: TestClient, incident_id: int, headers: dict[str, str]) -> list[Json]:
    r = client.get(f"{API}/{incident_id}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    items: list[Json] = r.json()["items"]
    return items


def types(client: TestClient, incident_id: int, headers: dict[str, str]) -> list[str]:
    return [e["type"] for e in timeline(client, incident_id, headers)]


def snapshot(client: TestClient, incident_id: int, headers: dict[str, str]) -> Json:
    """Everything a refused request must leave as it was."""
    return {
        part: client.get(f"{API}/{incident_id}{part}", headers=headers).json()
        for part in ("", "/timeline", "/checklist", "/updates")
    }


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def same_instant(text: str | None, at: datetime) -> bool:
    return text is not None and datetime.fromisoformat(text) == at


# --- declaring -----------------------------------------------------------------------


def test_it_declares_an_incident_with_the_spec_fields(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-1", description="Payments time out")
    spec_fields = (
        "id title severity status phase service drill started_at triggered_at acknowledged_at "
        "resolved_at closed_at roles response_target_minutes response_target_breached"
    )
    for key in spec_fields.split():
        assert key in incident, key
    assert incident["status"] == "triggered"
    assert incident["phase"] == "detection"
    assert incident["severity"] == "SEV-1"
    assert incident["service"] == "checkout"
    assert incident["drill"] is False
    assert incident["response_target_minutes"] == 15
    assert incident["response_target_breached"] is False
    assert incident["roles"] == {
        "incident_commander": None,
        "tech_lead": None,
        "comms_lead": None,
        "scribe": None,
    }
    assert same_instant(incident["triggered_at"], clock.now())
    assert same_instant(incident["started_at"], clock.now())
    assert incident["acknowledged_at"] is None
    assert incident["resolved_at"] is None
    assert incident["closed_at"] is None
    events = timeline(app_client, incident["id"], h)
    assert [e["type"] for e in events] == ["declared"]
    assert events[0]["actor"] == "rita"
    assert events[0]["data"]["severity"] == "SEV-1"
    fetched = app_client.get(f"{API}/{incident['id']}", headers=h).json()
    assert fetched == incident


def test_it_takes_the_service_by_id_as_well_as_by_name(declare: Declare, service: Json) -> None:
    assert declare(service=service["id"])["service"] == "checkout"
    assert declare(service=str(service["id"]))["service"] == "checkout"


def test_it_keeps_an_earlier_start_time_for_mttd(declare: Declare, clock: FakeClock) -> None:
    began = clock.now() - timedelta(minutes=7)
    incident = declare(started_at=iso(began))
    assert same_instant(incident["started_at"], began)
    assert same_instant(incident["detected_at"], clock.now())


def test_it_refuses_an_unknown_service_and_creates_nothing(
    app_client: TestClient, h: dict[str, str], service: Json
) -> None:
    r = app_client.post(API, json={"title": "x", "severity": "SEV-2", "service": "nope"}, headers=h)
    assert r.status_code == 404
    assert "nope" in r.json()["detail"]
    assert app_client.get(API, headers=h).json()["total"] == 0


# --- acknowledging and status --------------------------------------------------------


def test_it_acknowledges_once_and_ticks_the_first_checklist_item(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    clock.advance(minutes=3)
    r = app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    acked = r.json()
    assert acked["status"] == "acknowledged"
    assert acked["phase"] == "triage"
    assert same_instant(acked["acknowledged_at"], clock.now())
    assert acked["response_target_breached"] is False
    assert types(app_client, incident["id"], h) == [
        "declared",
        "acknowledged",
        "status_changed",
        "checklist_item_completed",
    ]
    checklist = app_client.get(f"{API}/{incident['id']}/checklist", headers=h).json()
    assert checklist["completed"] == ["Acknowledge incident"]
    assert checklist["compliance"] == pytest.approx(0.1)

    clock.advance(minutes=1)
    before = snapshot(app_client, incident["id"], h)
    again = app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h)
    assert again.status_code == 200
    assert snapshot(app_client, incident["id"], h)["/timeline"] == before["/timeline"]
    assert same_instant(again.json()["acknowledged_at"], clock.now() - timedelta(minutes=1))


def test_it_moves_status_and_counts_a_person_taking_it_as_the_acknowledgement(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    r = app_client.post(
        f"{API}/{incident['id']}/status", json={"status": "investigating"}, headers=h
    )
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["status"] == "investigating"
    assert moved["phase"] == "response"
    assert same_instant(moved["acknowledged_at"], clock.now())
    events = timeline(app_client, incident["id"], h)
    change = next(e for e in events if e["type"] == "status_changed")
    assert change["data"] == {"from": "triggered", "to": "investigating"}
    assert change["actor"] == "rita"
    done = app_client.get(f"{API}/{incident['id']}/checklist", headers=h).json()["completed"]
    assert done == ["Acknowledge incident", "Begin investigation"]


def test_it_refuses_an_invalid_move_with_409_naming_the_allowed_moves(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(f"{API}/{incident['id']}/status", json={"status": "closed"}, headers=h)
    assert r.status_code == 409
    body = r.json()
    assert body["allowed"] == [
        "acknowledged",
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    for move in body["allowed"]:
        assert move in body["detail"]
    assert snapshot(app_client, incident["id"], h) == before


def test_it_refuses_an_unknown_status_with_422(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(f"{API}/{incident['id']}/status", json={"status": "fixed"}, headers=h)
    assert r.status_code == 422
    assert snapshot(app_client, incident["id"], h) == before


def test_it_answers_404_for_an_incident_that_does_not_exist(
    app_client: TestClient, h: dict[str, str], service: Json
) -> None:
    assert app_client.get(f"{API}/999", headers=h).status_code == 404
    assert app_client.post(f"{API}/999/acknowledge", headers=h).status_code == 404
    assert app_client.get(f"{API}/999/timeline", headers=h).status_code == 404


# --- severity ------------------------------------------------------------------------


def test_it_records_a_confirmed_severity_and_ticks_assess_severity(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare(severity="SEV-2")
    r = app_client.post(f"{API}/{incident['id']}/severity", json={"severity": "SEV-2"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["severity"] == "SEV-2"
    events = timeline(app_client, incident["id"], h)
    confirmed = [e for e in events if e["type"] == "severity_confirmed"]
    assert len(confirmed) == 1
    assert confirmed[0]["data"] == {"severity": "SEV-2"}
    assert "severity_changed" not in [e["type"] for e in events]
    done = app_client.get(f"{API}/{incident['id']}/checklist", headers=h).json()["completed"]
    assert done == ["Assess severity"]


def test_it_changes_severity_with_its_response_target(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare(severity="SEV-4")
    r = app_client.post(f"{API}/{incident['id']}/severity", json={"severity": "SEV-3"}, headers=h)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["severity"] == "SEV-3"
    assert changed["response_target_minutes"] == 120
    events = timeline(app_client, incident["id"], h)
    assert [e["data"] for e in events if e["type"] == "severity_changed"] == [
        {"from": "SEV-4", "to": "SEV-3"}
    ]
    done = app_client.get(f"{API}/{incident['id']}/checklist", headers=h).json()["completed"]
    assert done == ["Assess severity"]


# --- roles ---------------------------------------------------------------------------


def test_it_assigns_hands_over_and_unassigns_roles_on_the_timeline(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    url = f"{API}/{incident['id']}/roles/incident_commander"
    assigned = app_client.put(url, json={"user": "rita"}, headers=h)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["roles"]["incident_commander"] == "rita"

    handed = app_client.put(url, json={"user": "ada"}, headers=h)
    assert handed.status_code == 200, handed.text
    assert handed.json()["roles"]["incident_commander"] == "ada"

    unassigned = app_client.delete(url, headers=h)
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["roles"]["incident_commander"] is None

    role_events = [
        (e["type"], e["data"])
        for e in timeline(app_client, incident["id"], h)
        if e["type"].startswith("role_")
    ]
    assert role_events == [
        ("role_assigned", {"role": "incident_commander", "user": "rita", "previous": None}),
        ("role_assigned", {"role": "incident_commander", "user": "ada", "previous": "rita"}),
        ("role_unassigned", {"role": "incident_commander", "previous": "ada"}),
    ]


def test_it_writes_nothing_when_a_role_change_changes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    url = f"{API}/{incident['id']}/roles/scribe"
    assert app_client.delete(url, headers=h).status_code == 200
    assert app_client.put(url, json={"user": "vic"}, headers=h).status_code == 200
    before = snapshot(app_client, incident["id"], h)
    assert app_client.put(url, json={"user": "vic"}, headers=h).status_code == 200
    assert snapshot(app_client, incident["id"], h) == before


def test_it_unassigns_with_a_null_user(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    url = f"{API}/{incident['id']}/roles/tech_lead"
    app_client.put(url, json={"user": "rita"}, headers=h)
    r = app_client.put(url, json={"user": None}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["roles"]["tech_lead"] is None
    assert types(app_client, incident["id"], h)[-1] == "role_unassigned"


def test_it_assembles_the_team_with_a_commander_and_one_more_role(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    base = f"{API}/{incident['id']}/roles"
    app_client.put(f"{base}/tech_lead", json={"user": "ada"}, headers=h)
    app_client.put(f"{base}/scribe", json={"user": "vic"}, headers=h)
    checklist_url = f"{API}/{incident['id']}/checklist"
    assert "Assemble response team" in app_client.get(checklist_url, headers=h).json()["missing"]
    app_client.put(f"{base}/incident_commander", json={"user": "rita"}, headers=h)
    assert "Assemble response team" in app_client.get(checklist_url, headers=h).json()["completed"]


def test_it_refuses_an_unknown_user_or_role_and_changes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    unknown_user = app_client.put(
        f"{API}/{incident['id']}/roles/scribe", json={"user": "nobody"}, headers=h
    )
    assert unknown_user.status_code == 404
    assert "nobody" in unknown_user.json()["detail"]
    unknown_role = app_client.put(
        f"{API}/{incident['id']}/roles/janitor", json={"user": "rita"}, headers=h
    )
    assert unknown_role.status_code == 422
    assert app_client.delete(f"{API}/{incident['id']}/roles/janitor", headers=h).status_code == 422
    assert snapshot(app_client, incident["id"], h) == before


# --- notes and checklist -------------------------------------------------------------


def test_it_adds_notes_to_the_timeline(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    clock.advance(minutes=2)
    r = app_client.post(
        f"{API}/{incident['id']}/notes", json={"text": "Rolled back 1.4.2"}, headers=h
    )
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["type"] == "note_added"
    assert note["actor"] == "rita"
    assert note["data"] == {"text": "Rolled back 1.4.2"}
    assert same_instant(note["at"], clock.now())
    assert timeline(app_client, incident["id"], h)[-1] == note


def test_it_refuses_an_empty_note(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    for text in ("", "   "):
        r = app_client.post(f"{API}/{incident['id']}/notes", json={"text": text}, headers=h)
        assert r.status_code == 422
    assert snapshot(app_client, incident["id"], h) == before


def test_it_completes_a_checklist_item_by_hand_once(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    r = app_client.post(f"{API}/{incident['id']}/checklist/4", headers=h)
    assert r.status_code == 200, r.text
    checklist = r.json()
    assert checklist["completed"] == ["Create incident channel/bridge"]
    assert "Create incident channel/bridge" not in checklist["missing"]
    assert len(checklist["missing"]) == 9
    assert checklist["compliance"] == pytest.approx(0.1)
    item = checklist["items"][3]
    assert item["number"] == 4
    assert item["completed"] is True
    assert item["by_hand"] is True
    assert item["completed_by"] == "rita"
    assert same_instant(item["completed_at"], clock.now())

    before = snapshot(app_client, incident["id"], h)
    assert app_client.post(f"{API}/{incident['id']}/checklist/4", headers=h).status_code == 200
    assert snapshot(app_client, incident["id"], h) == before
    completed = [e for e in timeline(app_client, incident["id"], h) if e["data"].get("item") == 4]
    assert len(completed) == 1
    assert completed[0]["data"]["by_hand"] is True


@pytest.mark.parametrize("n", [0, 11, -1])
def test_it_refuses_checklist_items_outside_one_to_ten(
    n: int, declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    assert app_client.post(f"{API}/{incident['id']}/checklist/{n}", headers=h).status_code == 422
    assert snapshot(app_client, incident["id"], h) == before


# --- stakeholder updates -------------------------------------------------------------


def test_it_renders_an_update_from_its_template_when_no_body_is_given(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    r = app_client.post(
        f"{API}/{incident['id']}/updates", json={"kind": "initial", "public": False}, headers=h
    )
    assert r.status_code == 201, r.text
    update = r.json()
    lines = update["body"].splitlines()
    # An internal update names the service (a public one names public components only:
    # tests/statuspage/test_public_drafts.py).
    assert lines[0] == "We are currently investigating reports of checkout issues."
    # SEV-2: the next update is promised an hour out unless the update names a wait.
    assert "Next update in: 1 hour" in lines
    assert "Status page: http://warroom.test/status" in lines
    assert update["status"] == "investigating"
    assert update["public"] is False
    assert update["author"] == "rita"
    assert update["next_update_minutes"] == 60
    assert same_instant(update["next_update_due_at"], clock.now() + timedelta(minutes=60))

    listed = app_client.get(f"{API}/{incident['id']}/updates", headers=h).json()
    assert [u["id"] for u in listed["items"]] == [update["id"]]
    published = [
        e for e in timeline(app_client, incident["id"], h) if e["type"] == "update_published"
    ]
    assert [e["data"]["update_id"] for e in published] == [update["id"]]
    done = app_client.get(f"{API}/{incident['id']}/checklist", headers=h).json()["completed"]
    assert "Communicate status" in done
    # An update that announces no new status leaves the incident where it was.
    assert app_client.get(f"{API}/{incident['id']}", headers=h).json()["status"] == "triggered"


def test_it_keeps_a_body_the_author_wrote(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "update", "body": "Card payments work again.", "next_update_minutes": 45},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["body"] == "Card payments work again."
    assert r.json()["next_update_minutes"] == 45


def test_it_moves_the_incident_with_the_status_an_update_announces(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "update", "status": "identified", "progress": "Found the bad deploy."},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert "Current status: Identified" in r.json()["body"].splitlines()
    assert "Progress: Found the bad deploy." in r.json()["body"].splitlines()
    moved = app_client.get(f"{API}/{incident['id']}", headers=h).json()
    assert moved["status"] == "identified"
    assert moved["acknowledged_at"] is not None
    assert types(app_client, incident["id"], h).index("status_changed") < (
        types(app_client, incident["id"], h).index("update_published")
    )

    resolution = app_client.post(
        f"{API}/{incident['id']}/updates", json={"kind": "resolution"}, headers=h
    )
    assert resolution.status_code == 201, resolution.text
    body = resolution.json()
    assert body["status"] == "resolved"
    assert body["next_update_minutes"] is None
    assert body["next_update_due_at"] is None
    lines = body["body"].splitlines()
    assert lines[0] == "The checkout incident has been resolved."
    assert "A detailed postmortem will follow." in lines
    resolved = app_client.get(f"{API}/{incident['id']}", headers=h).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None


def test_it_refuses_an_update_announcing_an_impossible_move_and_writes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock, db: Database
) -> None:
    incident = declare(severity="SEV-1")
    # A monitoring source resolves it before anyone acknowledged it...
    with db.write() as session:
        do_change_status(
            session,
            incident_id=incident["id"],
            status=Status.RESOLVED,
            actor="alertmanager",
            now=clock.now(),
            by_person=False,
        )
    # ...so the refused request, an hour on, also sees the missed target: the breach it
    # notes on the way must go when the transaction is rolled back.
    clock.advance(hours=1)
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "update", "status": "identified"},
        headers=h,
    )
    assert r.status_code == 409
    assert r.json()["allowed"] == ["investigating", "closed"]
    after = snapshot(app_client, incident["id"], h)
    assert after["/updates"]["items"] == []
    assert after["/timeline"] == before["/timeline"]
    assert after == before
    # The same request with a possible move does record the breach, once.
    ok = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "update", "status": "investigating"},
        headers=h,
    )
    assert ok.status_code == 201, ok.text
    assert types(app_client, incident["id"], h).count("response_target_breached") == 1


def test_it_refuses_an_unknown_component_status(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "update", "components": {"checkout": "on fire"}},
        headers=h,
    )
    assert r.status_code == 422
    assert snapshot(app_client, incident["id"], h) == before


# --- resolve, reopen, close ----------------------------------------------------------


def test_it_resolves_reopens_and_closes_an_incident(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    iid = incident["id"]
    clock.advance(minutes=10)
    resolved = app_client.post(f"{API}/{iid}/resolve", headers=h).json()
    assert resolved["status"] == "resolved"
    assert resolved["phase"] == "analysis"
    assert same_instant(resolved["resolved_at"], clock.now())
    assert resolved["reopen_count"] == 0

    clock.advance(minutes=5)
    reopened = app_client.post(f"{API}/{iid}/reopen", headers=h)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "investigating"
    assert reopened.json()["resolved_at"] is None
    assert reopened.json()["reopen_count"] == 1
    assert types(app_client, iid, h)[-2:] == ["status_changed", "reopened"]

    not_resolved = app_client.post(f"{API}/{iid}/reopen", headers=h)
    assert not_resolved.status_code == 409

    clock.advance(minutes=5)
    app_client.post(f"{API}/{iid}/resolve", headers=h)
    again = app_client.post(f"{API}/{iid}/status", json={"status": "investigating"}, headers=h)
    assert again.json()["reopen_count"] == 2
    app_client.post(f"{API}/{iid}/resolve", headers=h)

    clock.advance(minutes=1)
    closed = app_client.post(f"{API}/{iid}/close", headers=h)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["phase"] == "closed"
    assert closed.json()["allowed_statuses"] == []
    assert same_instant(closed.json()["closed_at"], clock.now())


def test_it_treats_a_closed_incident_as_final_for_every_write(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    iid = incident["id"]
    app_client.put(f"{API}/{iid}/roles/incident_commander", json={"user": "rita"}, headers=h)
    app_client.post(f"{API}/{iid}/resolve", headers=h)
    assert app_client.post(f"{API}/{iid}/close", headers=h).status_code == 200
    clock.advance(minutes=1)
    before = snapshot(app_client, iid, h)
    for method, suffix, body in WRITES:
        r = app_client.request(method, f"{API}/{iid}{suffix}", json=body, headers=h)
        assert r.status_code == 409, (method, suffix, r.status_code, r.text)
        assert "closed" in r.json()["detail"]
    assert snapshot(app_client, iid, h) == before


# --- the timeline --------------------------------------------------------------------


def test_it_keeps_an_append_only_timeline_in_time_order(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    iid = incident["id"]
    steps: list[tuple[str, str, Json | None]] = [
        ("POST", "/acknowledge", None),
        ("POST", "/severity", {"severity": "SEV-1"}),
        ("PUT", "/roles/incident_commander", {"user": "rita"}),
        ("POST", "/notes", {"text": "looking"}),
        ("POST", "/updates", {"kind": "initial"}),
        ("POST", "/status", {"status": "monitoring"}),
        ("POST", "/resolve", None),
    ]
    seen: list[Json] = timeline(app_client, iid, h)
    for method, suffix, body in steps:
        clock.advance(minutes=1)
        r = app_client.request(method, f"{API}/{iid}{suffix}", json=body, headers=h)
        assert r.status_code < 300, (suffix, r.text)
        now = timeline(app_client, iid, h)
        # What was there stays exactly as it was; new events only come after it.
        assert now[: len(seen)] == seen
        assert len(now) > len(seen)
        seen = now
    ats = [datetime.fromisoformat(e["at"]) for e in seen]
    assert ats == sorted(ats)
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids)
    assert {e["type"] for e in seen} >= {
        "declared",
        "acknowledged",
        "status_changed",
        "severity_changed",
        "role_assigned",
        "note_added",
        "update_published",
        "checklist_item_completed",
    }
    assert all(e["actor"] in {"rita", "warroom"} for e in seen)
    listed = app_client.get(f"{API}/{iid}/timeline", headers=h).json()
    assert listed["total"] == len(seen)
    assert listed["next"] is None


def test_it_has_no_route_that_edits_or_deletes_a_timeline_event(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    for path, item in paths.items():
        if "timeline" in path:
            assert set(item) == {"get"}, path


# --- response targets ----------------------------------------------------------------


def test_it_records_a_missed_sev1_target_when_the_late_acknowledgement_comes(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-1")
    triggered = clock.now()
    clock.advance(minutes=14)
    on_time = app_client.get(f"{API}/{incident['id']}", headers=h).json()
    assert on_time["response_target_breached"] is False
    assert on_time["response_target_seconds_left"] == 60

    clock.advance(minutes=3)
    acked = app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h).json()
    assert acked["response_target_breached"] is True
    assert same_instant(acked["response_target_breached_at"], triggered + timedelta(minutes=15))
    assert acked["response_target_seconds_left"] is None
    breaches = [
        e
        for e in timeline(app_client, incident["id"], h)
        if e["type"] == "response_target_breached"
    ]
    assert len(breaches) == 1
    assert breaches[0]["actor"] == "warroom"
    assert breaches[0]["data"]["target_minutes"] == 15

    # Later actions do not record it again.
    clock.advance(minutes=5)
    app_client.post(f"{API}/{incident['id']}/notes", json={"text": "late"}, headers=h)
    app_client.post(f"{API}/{incident['id']}/resolve", headers=h)
    all_types = types(app_client, incident["id"], h)
    assert all_types.count("response_target_breached") == 1
    assert (
        app_client.get(f"{API}/{incident['id']}", headers=h).json()["response_target_breached"]
        is True
    )


def test_it_does_not_breach_an_acknowledgement_within_the_target(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-1")
    clock.advance(minutes=15)
    acked = app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h).json()
    assert acked["response_target_breached"] is False
    assert acked["response_target_breached_at"] is None
    clock.advance(hours=2)
    assert (
        app_client.get(f"{API}/{incident['id']}", headers=h).json()["response_target_breached"]
        is False
    )
    assert "response_target_breached" not in types(app_client, incident["id"], h)


def test_it_breaches_when_a_stricter_severity_puts_the_incident_past_its_target(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-3")
    triggered = clock.now()
    clock.advance(minutes=20)
    assert (
        app_client.get(f"{API}/{incident['id']}", headers=h).json()["response_target_breached"]
        is False
    )
    r = app_client.post(f"{API}/{incident['id']}/severity", json={"severity": "SEV-1"}, headers=h)
    assert r.status_code == 200, r.text
    raised = r.json()
    assert raised["response_target_minutes"] == 15
    assert raised["response_target_breached"] is True
    assert same_instant(raised["response_target_breached_at"], triggered + timedelta(minutes=15))
    all_types = types(app_client, incident["id"], h)
    assert all_types.count("response_target_breached") == 1
    assert all_types.index("severity_changed") < all_types.index("response_target_breached")


def test_it_does_not_breach_a_relaxed_severity_that_is_still_within_target(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-1")
    clock.advance(minutes=10)
    app_client.post(f"{API}/{incident['id']}/severity", json={"severity": "SEV-3"}, headers=h)
    clock.advance(minutes=10)
    acked = app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h).json()
    assert acked["response_target_minutes"] == 120
    assert acked["response_target_breached"] is False


# --- lists ---------------------------------------------------------------------------


@pytest.fixture
def mixed(
    declare: Declare,
    app_client: TestClient,
    h: dict[str, str],
    people: Personas,
    db: Database,
    clock: FakeClock,
) -> dict[str, Any]:
    """Five incidents on two services, in several states, one of them a drill."""
    app_client.post("/api/v1/services", json={"name": "search"}, headers=people.admin.headers)
    a = declare(severity="SEV-1")
    b = declare(severity="SEV-2", service="search")
    c = declare(severity="SEV-3")
    d = declare(severity="SEV-2")
    app_client.post(f"{API}/{b['id']}/acknowledge", headers=h)
    app_client.post(f"{API}/{c['id']}/resolve", headers=h)
    app_client.post(f"{API}/{d['id']}/status", json={"status": "monitoring"}, headers=h)
    with db.write() as session:
        drill = do_declare(
            session,
            title="Game day",
            severity=Severity.SEV2,
            service="search",
            actor="rita",
            now=clock.now(),
            drill=True,
        ).id
    services = app_client.get("/api/v1/services", headers=h).json()["items"]
    return {
        "a": a["id"],
        "b": b["id"],
        "c": c["id"],
        "d": d["id"],
        "drill": drill,
        "search_id": next(s["id"] for s in services if s["name"] == "search"),
    }


def _ids(app_client: TestClient, h: dict[str, str], query: str) -> list[int]:
    r = app_client.get(f"{API}?{query}", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return [i["id"] for i in body["items"]]


def test_it_filters_the_list_by_status_severity_service_and_drill(
    mixed: dict[str, Any], app_client: TestClient, h: dict[str, str]
) -> None:
    m = mixed
    assert _ids(app_client, h, "") == [m["drill"], m["d"], m["c"], m["b"], m["a"]]
    assert _ids(app_client, h, "status=triggered") == [m["drill"], m["a"]]
    assert _ids(app_client, h, "status=resolved&status=monitoring") == [m["d"], m["c"]]
    assert _ids(app_client, h, "severity=SEV-2") == [m["drill"], m["d"], m["b"]]
    assert _ids(app_client, h, "severity=SEV-1&severity=SEV-3") == [m["c"], m["a"]]
    assert _ids(app_client, h, "service=search") == [m["drill"], m["b"]]
    assert _ids(app_client, h, f"service={m['search_id']}") == [m["drill"], m["b"]]
    assert _ids(app_client, h, "service=nothing-here") == []
    assert _ids(app_client, h, "drill=true") == [m["drill"]]
    assert _ids(app_client, h, "drill=false") == [m["d"], m["c"], m["b"], m["a"]]
    assert _ids(app_client, h, "service=search&drill=false&severity=SEV-2") == [m["b"]]


def test_it_refuses_unknown_filter_values(
    mixed: dict[str, Any], app_client: TestClient, h: dict[str, str]
) -> None:
    for query in ("status=done", "severity=SEV-9", "drill=maybe", "limit=0", "limit=501"):
        assert app_client.get(f"{API}?{query}", headers=h).status_code == 422, query


def test_it_pages_through_the_list_with_a_cursor(
    mixed: dict[str, Any], app_client: TestClient, h: dict[str, str]
) -> None:
    seen: list[int] = []
    pages = 0
    url = f"{API}?limit=2"
    while True:
        r = app_client.get(url, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        assert page["total"] == 5
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        if page["next"] is None:
            break
        url = f"{API}?limit=2&cursor={page['next']}"
    assert pages == 3
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == 5


def test_it_pages_a_filtered_list_and_ends_without_a_cursor(
    mixed: dict[str, Any], app_client: TestClient, h: dict[str, str]
) -> None:
    first = app_client.get(f"{API}?severity=SEV-2&limit=2", headers=h).json()
    assert first["total"] == 3
    second = app_client.get(
        f"{API}?severity=SEV-2&limit=2&cursor={first['next']}", headers=h
    ).json()
    assert [i["id"] for i in second["items"]] == [mixed["b"]]
    assert second["total"] == 3
    assert second["next"] is None
    exact = app_client.get(f"{API}?severity=SEV-2&limit=3", headers=h).json()
    assert exact["next"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "!!!",
        encode_cursor([3]).upper(),
        "eDo1",
        encode_cursor([10**30]),
        encode_cursor([3, 4]),  # a cursor of another list's shape
    ],
)
def test_it_refuses_a_cursor_it_did_not_hand_out(
    cursor: str, mixed: dict[str, Any], app_client: TestClient, h: dict[str, str]
) -> None:
    r = app_client.get(f"{API}?limit=2&cursor={cursor}", headers=h)
    assert r.status_code == 422, r.text
    assert "cursor" in r.json()["detail"]


# --- refused input -------------------------------------------------------------------


def _nothing_declared(app_client: TestClient, h: dict[str, str]) -> None:
    assert app_client.get(API, headers=h).json()["total"] == 0


def test_it_answers_400_to_malformed_json_and_changes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    headers = h | {"Content-Type": "application/json"}
    r = app_client.post(API, content=b'{"title": "x", ', headers=headers)
    assert r.status_code == 400
    assert "JSON" in r.json()["detail"]
    r = app_client.post(f"{API}/{incident['id']}/status", content=b"{status:", headers=headers)
    assert r.status_code == 400
    assert snapshot(app_client, incident["id"], h) == before
    assert app_client.get(API, headers=h).json()["total"] == 1


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"priority": "P1"}, "priority"),
        ({"title": "x" * 301}, "title"),
        ({"title": "   "}, "title"),
        ({"severity": "SEV-0"}, "severity"),
        ({"started_at": "2026-01-05T08:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        # Valid ISO 8601, but before the first instant UTC can express.
        ({"started_at": "0001-01-01T00:00:00+01:00"}, "started_at"),
        # No incident of a real system began before the Unix epoch (alert intake agrees).
        ({"started_at": "1969-12-31T23:59:59Z"}, "started_at"),
    ],
)
def test_it_refuses_invalid_declarations_with_422_naming_the_field(
    fields: Json, where: str, app_client: TestClient, h: dict[str, str], service: Json
) -> None:
    body = {"title": "Checkout failing", "severity": "SEV-2", "service": "checkout"} | fields
    r = app_client.post(API, json=body, headers=h)
    assert r.status_code == 422, r.text
    assert where in [e["field"] for e in r.json()["errors"]]
    _nothing_declared(app_client, h)


def test_it_refuses_a_missing_required_field(
    app_client: TestClient, h: dict[str, str], service: Json
) -> None:
    r = app_client.post(API, json={"title": "x", "service": "checkout"}, headers=h)
    assert r.status_code == 422
    assert "severity" in r.json()["detail"]
    _nothing_declared(app_client, h)


def test_it_refuses_an_oversized_body_with_413_and_changes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    huge = "x" * (1_048_576 + 10)
    r = app_client.post(f"{API}/{incident['id']}/notes", json={"text": huge}, headers=h)
    assert r.status_code == 413
    r = app_client.post(
        API,
        json={"title": "x", "severity": "SEV-2", "service": "checkout", "description": huge},
        headers=h,
    )
    assert r.status_code == 413
    assert snapshot(app_client, incident["id"], h) == before
    assert app_client.get(API, headers=h).json()["total"] == 1


def test_it_refuses_an_oversized_body_sent_without_a_length(
    app_client: TestClient, h: dict[str, str], service: Json
) -> None:
    def chunks() -> Any:
        yield b'{"title": "x", "severity": "SEV-2", "service": "checkout", "description": "'
        for _ in range(200):
            yield b"y" * 8192
        yield b'"}'

    r = app_client.post(API, content=chunks(), headers=h | {"Content-Type": "application/json"})
    assert r.status_code == 413
    _nothing_declared(app_client, h)


def test_it_refuses_nul_characters_in_text(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    # PostgreSQL cannot store NUL in text; both databases must answer the same way.
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(f"{API}/{incident['id']}/notes", json={"text": "a\x00b"}, headers=h)
    assert r.status_code == 422, r.text
    r = app_client.post(
        API, json={"title": "a\x00", "severity": "SEV-2", "service": "checkout"}, headers=h
    )
    assert r.status_code == 422, r.text
    assert snapshot(app_client, incident["id"], h) == before


def test_it_accepts_an_aware_start_time_in_any_offset(declare: Declare, clock: FakeClock) -> None:
    began = clock.now() - timedelta(hours=1)
    incident = declare(started_at=began.astimezone(UTC).isoformat().replace("+00:00", "+02:00"))
    # 08:00+02:00 is 06:00 UTC: earlier than the 08:00 UTC given above.
    assert same_instant(incident["started_at"], began - timedelta(hours=2))


# --- rules settled in review ------------------------------------------------------------


def test_it_starts_the_response_when_an_update_names_investigating_on_a_new_incident(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "initial", "status": "investigating"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    after = app_client.get(f"{API}/{incident['id']}", headers=h).json()
    assert after["status"] == "investigating"
    assert after["acknowledged_at"] is not None


def test_it_leaves_the_status_alone_when_an_update_names_none(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    app_client.post(f"{API}/{incident['id']}/status", json={"status": "identified"}, headers=h)
    r = app_client.post(f"{API}/{incident['id']}/updates", json={"kind": "update"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "identified"
    assert app_client.get(f"{API}/{incident['id']}", headers=h).json()["status"] == "identified"


def test_it_refuses_a_resolution_that_announces_another_status_and_writes_nothing(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    before = snapshot(app_client, incident["id"], h)
    r = app_client.post(
        f"{API}/{incident['id']}/updates",
        json={"kind": "resolution", "status": "investigating"},
        headers=h,
    )
    assert r.status_code == 422
    assert "resolution" in r.json()["detail"]
    assert snapshot(app_client, incident["id"], h) == before


def test_it_keeps_a_met_target_when_severity_is_raised_after_acknowledgement(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare(severity="SEV-4")
    clock.advance(minutes=60)
    app_client.post(f"{API}/{incident['id']}/acknowledge", headers=h)
    r = app_client.post(f"{API}/{incident['id']}/severity", json={"severity": "SEV-1"}, headers=h)
    assert r.status_code == 200, r.text
    raised = r.json()
    assert raised["severity"] == "SEV-1"
    assert raised["response_target_minutes"] == 24 * 60
    assert raised["response_target_breached"] is False
    assert "response_target_breached" not in types(app_client, incident["id"], h)


def test_it_treats_asking_for_the_current_status_as_done(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    app_client.post(f"{API}/{incident['id']}/status", json={"status": "investigating"}, headers=h)
    events = len(timeline(app_client, incident["id"], h))
    again = app_client.post(
        f"{API}/{incident['id']}/status", json={"status": "investigating"}, headers=h
    )
    assert again.status_code == 200
    assert len(timeline(app_client, incident["id"], h)) == events


def test_it_says_a_closed_incident_allows_no_moves(
    declare: Declare, app_client: TestClient, h: dict[str, str]
) -> None:
    incident = declare()
    app_client.post(f"{API}/{incident['id']}/resolve", headers=h)
    app_client.post(f"{API}/{incident['id']}/close", headers=h)
    r = app_client.post(
        f"{API}/{incident['id']}/status", json={"status": "investigating"}, headers=h
    )
    assert r.status_code == 409
    assert r.json()["allowed"] == []


def test_it_pages_the_timeline_oldest_first_without_repeats(
    declare: Declare, app_client: TestClient, h: dict[str, str], clock: FakeClock
) -> None:
    incident = declare()
    for i in range(7):
        clock.advance(seconds=1)
        app_client.post(f"{API}/{incident['id']}/notes", json={"text": f"note {i}"}, headers=h)
    whole = timeline(app_client, incident["id"], h)
    seen: list[Json] = []
    cursor = None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = app_client.get(f"{API}/{incident['id']}/timeline{query}", headers=h).json()
        assert page["total"] == len(whole)
        assert len(page["items"]) <= 3
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert [e["id"] for e in seen] == [e["id"] for e in whole]
