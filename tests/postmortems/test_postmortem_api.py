"""Postmortems over the API (SPEC §3, issue 6) on SQLite and PostgreSQL: the blameless
draft prefilled from the incident, checklist items 9 and 10, review states, the
lifecycle's analysis → improvement → closed, and the Markdown and HTML exports."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.postmortems.conftest import API, Desk

PM = API + "/{}/postmortem"


def checklist(desk: Desk, iid: int) -> dict[str, bool]:
    out = desk.call("GET", f"{API}/{iid}/checklist")
    return {item["name"]: item["completed"] for item in out["items"]}


def test_it_prefills_a_blameless_draft_a_reader_can_follow(desk: Desk) -> None:
    iid = desk.resolved()
    pm = desk.postmortem(iid)
    text = pm["markdown"]
    assert pm["status"] == "draft"
    assert text.startswith("# Postmortem: Checkout is failing")
    assert "Card payments fail for about 5% of customers." in text  # the summary
    assert "| Severity | SEV-2 — Major functionality impaired |" in text
    assert "| Duration | 40 min (2026-01-05 09:00 UTC → 2026-01-05 09:40 UTC) |" in text
    assert "| Time to acknowledge | 4 min (target 30 min: met) |" in text
    assert "| Affected service | checkout |" in text
    # The timeline, with times, key events only (no checklist ticks).
    assert "## Timeline" in text
    assert "- **2026-01-05 09:00** — Declared SEV-2 on checkout: Checkout is failing" in text
    assert "Note (@rita): Rolled back the 14:00 deploy" in text
    assert "Status investigating → resolved" in text or "→ resolved" in text
    assert "Checklist" not in text.split("## Timeline")[1].split("##")[0]
    assert "- Incident commander: @rita" in text
    for section in (
        "## Contributing factors",
        "## What went well",
        "## What went badly",
        "## Action items",
        "## Lessons learned",
    ):
        assert section in text
    assert "blameless" in text
    # The live action-items table replaces the marker when shown.
    assert "<!--" not in pm["document"]
    assert "Review the checkout runbook" in pm["document"]
    assert "<h2>Timeline</h2>" in pm["html"]


def test_it_completes_document_timeline_and_schedule_postmortem(desk: Desk) -> None:
    iid = desk.resolved()
    assert not checklist(desk, iid)["Document timeline"]
    desk.postmortem(iid)
    assert checklist(desk, iid)["Document timeline"]
    assert not checklist(desk, iid)["Schedule postmortem"]
    meeting = datetime(2026, 1, 8, 15, 0, tzinfo=UTC).isoformat()
    out = desk.call("PATCH", PM.format(iid), {"meeting_at": meeting})
    assert out["meeting_at"].startswith("2026-01-08T15:00")
    assert checklist(desk, iid)["Schedule postmortem"]
    types = [e["type"] for e in desk.call("GET", f"{API}/{iid}/timeline")["items"]]
    assert "postmortem_created" in types
    assert "postmortem_meeting_set" in types


def test_it_refuses_a_postmortem_before_the_incident_is_resolved(
    desk: Desk, app_client: TestClient
) -> None:
    iid = desk.declare()["id"]
    r = app_client.post(PM.format(iid), headers=desk.h)
    assert r.status_code == 409
    assert "resolved" in r.json()["detail"]
    assert "triggered" in r.json()["detail"]


def test_it_refuses_a_second_postmortem(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    r = app_client.post(PM.format(iid), headers=desk.h)
    assert r.status_code == 409
    assert "already has a postmortem" in r.json()["detail"]


def test_it_moves_the_incident_from_analysis_to_improvement_to_closed(desk: Desk) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    assert desk.incident(iid)["phase"] == "analysis"
    desk.call("POST", PM.format(iid) + "/status", {"status": "in_review"})
    assert desk.incident(iid)["phase"] == "analysis"
    out = desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    assert out["published_at"] is not None
    # The runbook review warroom opened on resolution is still open.
    assert out["open_action_items"] == 1
    assert desk.incident(iid)["phase"] == "improvement"
    assert desk.incident(iid)["status"] == "resolved"
    desk.finish_all(iid)
    incident = desk.incident(iid)
    assert (incident["status"], incident["phase"]) == ("closed", "closed")
    changes = [
        e["data"]
        for e in desk.call("GET", f"{API}/{iid}/timeline")["items"]
        if e["type"] == "status_changed"
    ]
    assert changes[-1] == {
        "from": "resolved",
        "to": "closed",
        "reason": "all action items are done",
    }


def test_it_closes_the_incident_on_publishing_when_no_item_is_open(desk: Desk) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    desk.finish_all(iid)
    assert desk.incident(iid)["status"] == "resolved"  # not published yet
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    assert desk.incident(iid)["status"] == "closed"


def test_it_names_the_allowed_moves_when_refusing_one(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    r = app_client.post(PM.format(iid) + "/status", json={"status": "draft"}, headers=desk.h)
    assert r.status_code == 409
    assert r.json()["allowed"] == ["in_review"]
    assert "published postmortem can move to in_review" in r.json()["detail"]


def test_it_refuses_editing_a_published_postmortem_until_it_is_back_in_review(
    desk: Desk, app_client: TestClient
) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    desk.call("POST", PM.format(iid) + "/status", {"status": "published"})
    r = app_client.patch(PM.format(iid), json={"markdown": "# rewritten"}, headers=desk.h)
    assert r.status_code == 409
    desk.call("POST", PM.format(iid) + "/status", {"status": "in_review"})
    out = desk.call("PATCH", PM.format(iid), {"markdown": "# Rewritten\n\nBetter words."})
    assert out["markdown"] == "# Rewritten\n\nBetter words."
    assert out["published_at"] is None


def test_it_validates_reviewers_and_writes_nothing_on_refusal(
    desk: Desk, app_client: TestClient, people: Personas
) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    r = app_client.patch(
        PM.format(iid), json={"reviewers": ["vic", "nobody"], "markdown": "x"}, headers=desk.h
    )
    assert r.status_code == 404
    assert "nobody" in r.json()["detail"]
    out = desk.call("GET", PM.format(iid))
    assert out["reviewers"] == []
    assert out["markdown"] != "x"
    out = desk.call("PATCH", PM.format(iid), {"reviewers": ["vic", "ada", "vic"]})
    assert out["reviewers"] == ["vic", "ada"]
    r = app_client.patch(PM.format(iid), json={"reviewers": ["Not A Handle!"]}, headers=desk.h)
    assert r.status_code == 422


def test_it_limits_the_document_size(desk: Desk, app_client: TestClient) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    r = app_client.patch(PM.format(iid), json={"markdown": "x" * 200_001}, headers=desk.h)
    assert r.status_code in (413, 422)


def test_it_exports_markdown_and_a_standalone_html_document(
    desk: Desk, app_client: TestClient
) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    negotiated = app_client.get(PM.format(iid), headers=desk.h | {"Accept": "text/markdown"})
    assert negotiated.headers["content-type"].startswith("text/markdown")
    assert negotiated.text.startswith("# Postmortem: Checkout is failing")
    md = app_client.get(PM.format(iid) + ".md", headers=desk.h)
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Postmortem: Checkout is failing")
    assert "Review the checkout runbook" in md.text
    html = app_client.get(PM.format(iid) + ".html", headers=desk.h)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!doctype html>")
    assert "<title>Postmortem: Checkout is failing</title>" in html.text
    assert "<h1>Postmortem: Checkout is failing</h1>" in html.text
    assert "<script" not in html.text
    assert "attachment" in html.headers["content-disposition"]


def test_it_never_turns_what_people_typed_into_markup(desk: Desk, app_client: TestClient) -> None:
    iid = int(desk.declare(title="<img src=x onerror=alert(1)>")["id"])
    desk.call("POST", f"{API}/{iid}/notes", {"text": "<script>alert('pwned')</script>"})
    desk.call("POST", f"{API}/{iid}/resolve")
    drafted = desk.postmortem(iid)
    assert "<script" not in drafted["html"]
    assert "<img" not in drafted["html"]
    assert "&lt;script&gt;alert(" in drafted["html"]
    export = app_client.get(PM.format(iid) + ".html", headers=desk.h).text
    assert "<script" not in export
    assert "<img" not in export
    desk.call(
        "PATCH",
        PM.format(iid),
        {"markdown": "# T\n\n<script>alert(2)</script>\n\n[click](javascript:alert(3))\n"},
    )
    html = desk.call("GET", PM.format(iid))["html"]
    assert "<script" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
