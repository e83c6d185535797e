"""The runbook on the incident page: the common issue that best matches the alert, with
its steps as a checklist that responders tick into the timeline."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.runbooks.conftest import RunbookData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EventType
from warroom.incidents.actions import do_change_status
from warroom.incidents.models import TimelineEvent
from warroom.web.auth import COOKIE

STEP = {"issue": "Database connection pool exhausted", "section": "resolution", "step": 2}
STEP_TEXT = (
    "Restart the pods whose pool stays full: `kubectl rollout restart deployment/payments-api`"
)


def _steps_done(db: Database, incident_id: int) -> list[tuple[str, dict[str, object]]]:
    with db.read() as s:
        events = s.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.type == EventType.RUNBOOK_STEP_DONE,
            )
        ).all()
        return [(e.actor, dict(e.data)) for e in events]


def _alert(app_client: TestClient, key: str, summary: str, details: dict[str, object]) -> None:
    answer = app_client.post(
        "/integrations/events/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "db-pool",
            "payload": {
                "summary": summary,
                "source": "prometheus",
                "severity": "error",
                "custom_details": details,
            },
        },
    )
    assert answer.status_code == 202, answer.text


def _page(app_client: TestClient, people: Personas, path: str) -> str:
    app_client.cookies.set(COOKIE, people.responder.token)
    answer = app_client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_ticking_a_step_records_it_on_the_timeline_once(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database
) -> None:
    data.service()
    data.runbook()
    incident = data.incident()
    url = f"/api/v1/incidents/{incident}/runbook-steps"
    first = app_client.post(url, json=STEP, headers=people.responder.headers)
    assert first.status_code == 201
    assert first.json() | {"done_at": None} == {
        "incident_id": incident,
        **STEP,
        "text": STEP_TEXT,
        "done_by": "rita",
        "done_at": None,
        "new": True,
    }
    again = app_client.post(url, json=STEP, headers=people.admin.headers)
    assert (again.status_code, again.json()["new"], again.json()["done_by"]) == (200, False, "rita")
    assert _steps_done(db, incident) == [
        (
            "rita",
            {
                "issue": "Database connection pool exhausted",
                "section": "resolution",
                "step": STEP_TEXT,
                "number": 2,
            },
        )
    ]
    timeline = app_client.get(
        f"/api/v1/incidents/{incident}/timeline", headers=people.viewer.headers
    ).json()
    assert any(e["type"] == "runbook_step_done" for e in timeline["items"])


def test_steps_that_do_not_exist_are_refused_and_nothing_is_written(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database, clock: FakeClock
) -> None:
    data.service()
    data.service("search-api")
    data.runbook()
    incident = data.incident()
    url = f"/api/v1/incidents/{incident}/runbook-steps"
    h = people.responder.headers
    unknown = app_client.post(url, json={**STEP, "issue": "Disk full"}, headers=h)
    assert unknown.status_code == 422
    assert "Database connection pool exhausted" in unknown.json()["detail"]
    beyond = app_client.post(url, json={**STEP, "step": 9}, headers=h)
    assert beyond.status_code == 422
    assert "has 4 resolution steps" in beyond.json()["detail"]
    assert app_client.post(url, json={**STEP, "section": "symptoms"}, headers=h).status_code == 422
    assert app_client.post(url, json={**STEP, "step": 0}, headers=h).status_code == 422
    no_runbook = data.incident("Search slow", service="search-api")
    answer = app_client.post(f"/api/v1/incidents/{no_runbook}/runbook-steps", json=STEP, headers=h)
    assert answer.status_code == 404
    assert app_client.post(url, json=STEP, headers=people.viewer.headers).status_code == 403
    with db.write() as s:
        for status in (Status.RESOLVED, Status.CLOSED):
            do_change_status(s, incident_id=incident, status=status, actor="rita", now=clock.now())
    assert app_client.post(url, json=STEP, headers=h).status_code == 409
    assert _steps_done(db, incident) == []


def test_the_incident_page_shows_the_best_matching_issue_from_the_alert_and_why(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    key = data.service()
    data.runbook()
    _alert(
        app_client,
        key,
        "payments-api: DB connections at 50/50",
        {"alertname": "DatabaseConnectionPoolExhausted", "pool_in_use": 50},
    )
    incidents = app_client.get("/api/v1/incidents", headers=people.viewer.headers).json()
    incident = incidents["items"][0]["id"]
    html = _page(app_client, people, f"/incidents/{incident}")
    panel = html[html.index('id="runbook"') :]
    best = panel[: panel.index("Other candidates")]
    assert "Best match:" in best
    assert "Database connection pool exhausted" in best
    assert re.search(r"matched: <mark>[a-z]+</mark>", best)
    # The words as the alert wrote them ("DB connections at 50/50").
    for word in ("database", "connections", "pool", "exhausted"):
        assert f"<mark>{word}</mark>" in best
    # Its diagnosis and resolution steps, each with its own Done button.
    assert best.count('action="/incidents/' + str(incident) + '/runbook-steps"') == 7
    assert "<code>kubectl rollout restart deployment/payments-api</code>" in best
    assert "Card processor latency high" in panel


def test_ticking_from_the_page_marks_the_step_done_for_everyone(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database
) -> None:
    data.service()
    data.runbook()
    incident = data.incident()
    html = _page(app_client, people, f"/incidents/{incident}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf is not None
    answer = app_client.post(
        f"/incidents/{incident}/runbook-steps",
        data={"csrf": csrf.group(1), **{k: str(v) for k, v in STEP.items()}},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/incidents/{incident}#runbook"
    assert [actor for actor, _ in _steps_done(db, incident)] == ["rita"]
    html = _page(app_client, people, f"/incidents/{incident}")
    panel = html[html.index('id="runbook"') :]
    assert "1/7 done" in panel
    assert "ticked by @rita" in panel
    mark = "aria-label=\"Mark resolution step {} of 'Database connection pool exhausted'"
    assert mark.format(2) not in panel
    assert mark.format(1) in panel


def test_an_incident_on_a_service_without_a_runbook_offers_to_write_one(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    incident = data.incident()
    html = _page(app_client, people, f"/incidents/{incident}")
    panel = html[html.index('id="runbook"') :]
    assert "has no runbook" in panel
    assert 'href="/services/payments-api/runbook">Write one</a>' in panel
