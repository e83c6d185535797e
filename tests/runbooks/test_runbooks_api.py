"""The runbook API: one validated Markdown runbook per service, read back with its
outline, common issues, lint problems and review state."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from tests.runbooks.conftest import RunbookData, example
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.runbooks.models import Runbook

URL = "/api/v1/services/payments-api/runbook"


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count(Runbook.id))) or 0)


def test_it_creates_a_runbook_from_a_raw_markdown_body_then_updates_it_from_json(
    app_client: TestClient, people: Personas, data: RunbookData, clock: FakeClock
) -> None:
    data.service()
    markdown = example("payments-api")
    headers = {**people.responder.headers, "Content-Type": "text/markdown"}
    created = app_client.put(URL, content=markdown.encode(), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["change"] == "created"
    assert body["lint_ok"] is True
    assert body["problems"] == []
    assert body["updated_by"] == "rita"
    assert body["title"] == "payments-api Runbook"
    assert [i["title"] for i in body["common_issues"]] == [
        "Database connection pool exhausted",
        "Card processor latency high",
        "Payment authorisation errors",
    ]
    assert {"title": "Common Issues", "level": 2, "line": 23} in body["sections"]

    clock.advance(minutes=5)
    same = app_client.put(URL, json={"markdown": markdown}, headers=people.responder.headers)
    assert (same.status_code, same.json()["change"]) == (200, "unchanged")

    edited = markdown.replace("limit 50 per pod", "limit 60 per pod")
    updated = app_client.put(
        URL,
        json={"markdown": edited, "source_path": "runbooks/payments-api.md"},
        headers=people.admin.headers,
    )
    assert (updated.status_code, updated.json()["change"]) == (200, "updated")
    assert updated.json()["updated_by"] == "ada"
    assert updated.json()["source_path"] == "runbooks/payments-api.md"
    assert updated.json()["updated_at"] > updated.json()["created_at"]


def test_it_refuses_a_runbook_that_fails_lint_with_each_problem_and_writes_nothing(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database
) -> None:
    data.service()
    broken = example("payments-api").replace("## Key Metrics", "## Graphs")
    answer = app_client.put(URL, json={"markdown": broken}, headers=people.responder.headers)
    assert answer.status_code == 422
    assert answer.json()["problems"] == [{"line": 23, "message": "missing section “Key Metrics”"}]
    assert "line 23" in answer.json()["detail"]
    assert "force=true" in answer.json()["detail"]
    assert _count(db) == 0


def test_force_stores_a_draft_and_its_problems_stay_listed(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    draft = "# payments-api\n\n## Service Overview\n- Purpose: Takes payments\n"
    saved = app_client.put(
        f"{URL}?force=true",
        content=draft,
        headers={**people.responder.headers, "Content-Type": "text/markdown; charset=utf-8"},
    )
    assert saved.status_code == 201
    read = app_client.get(URL, headers=people.viewer.headers).json()
    assert read["lint_ok"] is False
    assert {"line": 3, "message": "Service Overview: no Impact"} in read["problems"]


def test_bad_bodies_are_refused_with_a_reason_and_write_nothing(
    app_client: TestClient, people: Personas, data: RunbookData, db: Database
) -> None:
    data.service()
    h = people.responder.headers
    too_big = example("payments-api") + ("\n" + "x" * 100) * 3000
    big = app_client.put(URL, json={"markdown": too_big}, headers=h)
    assert big.status_code == 413
    assert "limit is 256 KiB" in big.json()["detail"]
    empty = app_client.put(URL, content=b"  \n", headers={**h, "Content-Type": "text/markdown"})
    assert empty.status_code == 422
    latin1 = app_client.put(
        URL, content="Überblick".encode("latin-1"), headers={**h, "Content-Type": "text/markdown"}
    )
    assert latin1.status_code == 422
    form = app_client.put(URL, data={"markdown": "x"}, headers=h)
    assert form.status_code == 415
    assert "text/markdown" in form.json()["detail"]
    unknown = app_client.put(URL, json={"markdown": "x", "owner": "bob"}, headers=h)
    assert unknown.status_code == 422
    nul = app_client.put(URL, json={"markdown": "# a\x00"}, headers=h)
    assert nul.status_code == 422
    missing = app_client.put(
        "/api/v1/services/nope/runbook", json={"markdown": example("payments-api")}, headers=h
    )
    assert missing.status_code == 404
    assert _count(db) == 0


def test_it_serves_the_runbook_as_json_html_or_plain_markdown(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    evil = example("payments-api").replace(
        "Owned by the Payments team", "<script>alert(1)</script> Owned by the Payments team"
    )
    data.runbook(markdown=evil)
    h = people.viewer.headers
    out = app_client.get(URL, headers=h).json()
    assert out["markdown"] == evil
    assert "<script>" not in out["html"]
    assert "&lt;script&gt;" in out["html"]
    assert '<h2 id="L6">Service Overview</h2>' in out["html"]
    assert out["stale"] is False
    assert out["reviewed_at"] is None
    raw = app_client.get(URL, headers={**h, "Accept": "text/markdown"})
    assert raw.headers["content-type"].startswith("text/markdown")
    assert raw.text == evil
    by_id = app_client.get("/api/v1/services/1/runbook.md", headers=h)
    assert by_id.text == evil


def test_a_service_without_a_runbook_answers_404_saying_how_to_write_one(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    answer = app_client.get(URL, headers=people.viewer.headers)
    assert answer.status_code == 404
    assert "PUT its Markdown" in answer.json()["detail"]


def test_the_list_shows_every_service_with_its_runbook_review_and_lint_state(
    app_client: TestClient, people: Personas, data: RunbookData, clock: FakeClock
) -> None:
    data.service("payments-api")
    data.service("checkout-web")
    data.service("search-api")
    data.runbook("payments-api")
    data.runbook("checkout-web")
    clock.advance(days=91)
    app_client.post(f"{URL}/review", headers=people.responder.headers)
    listed = app_client.get("/api/v1/runbooks", headers=people.viewer.headers).json()
    rows = {r["service"]: r for r in listed["items"]}
    assert listed["total"] == 3
    assert rows["search-api"]["has_runbook"] is False
    assert rows["payments-api"] | {"updated_at": None} == rows["payments-api"] | {
        "has_runbook": True,
        "reviewed_by": "rita",
        "review_days": 0,
        "stale": False,
        "lint_ok": True,
        "problems": 0,
        "issues": 3,
        "updated_at": None,
    }
    assert rows["checkout-web"]["stale"] is True
    assert rows["checkout-web"]["review_days"] == 91
    assert rows["checkout-web"]["reviewed_at"] is None


def test_viewers_read_responders_write_and_strangers_do_neither(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    body = {"markdown": example("payments-api")}
    assert app_client.put(URL, json=body, headers=people.viewer.headers).status_code == 403
    assert app_client.put(URL, json=body, headers=people.outsider.headers).status_code == 401
    assert app_client.put(URL, json=body).status_code == 401
    assert app_client.put(URL, json=body, headers=people.responder.headers).status_code == 201
    assert app_client.get(URL, headers=people.viewer.headers).status_code == 200
    assert app_client.get(URL).status_code == 401
    assert app_client.get("/api/v1/runbooks", headers=people.outsider.headers).status_code == 401
    review = f"{URL}/review"
    assert app_client.post(review, headers=people.viewer.headers).status_code == 403
    assert app_client.post(review, headers=people.responder.headers).status_code == 200
