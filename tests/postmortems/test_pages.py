"""The postmortem pages, as a browser without JavaScript uses them: the incident page's
panel, starting and editing a postmortem, its meeting, reviewers and review status,
downloads, action items added and finished on the page, and the lists."""

import html
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.postmortems.conftest import API, Desk


class Browser:
    def __init__(self, client: TestClient, people: Personas, handle: str = "rita") -> None:
        self.client = client
        tokens = {p.handle: p.token for p in (people.admin, people.responder, people.viewer)}
        client.cookies.clear()
        r = client.post("/login", data={"token": tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def get(self, path: str) -> str:
        r = self.client.get(path)
        assert r.status_code == 200, r.text
        return r.text

    def post(self, page: str, action: str, **data: str | list[str]) -> httpx.Response:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.get(page))
        assert found, f"no form on {page}"
        return self.client.post(
            action, data={"csrf": found.group(1), **data}, follow_redirects=False
        )


@pytest.fixture
def browser(app_client: TestClient, people: Personas, desk: Desk) -> Browser:
    return Browser(app_client, people)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_it_offers_a_postmortem_on_the_resolved_incident_and_starts_one(
    desk: Desk, browser: Browser
) -> None:
    iid = desk.resolved()
    page = browser.get(f"/incidents/{iid}")
    assert "data-start-postmortem" in page
    assert "Review the checkout runbook after this incident" in page  # open items listed
    r = browser.post(f"/incidents/{iid}", f"/incidents/{iid}/postmortem")
    assert r.status_code == 303
    assert r.headers["location"] == f"/incidents/{iid}/postmortem?ok=started"
    shown = browser.get(r.headers["location"])
    assert "<h2>Timeline</h2>" in shown
    assert "Declared SEV-2 on checkout" in shown
    assert "data-postmortem-status>draft" in shown
    panel = browser.get(f"/incidents/{iid}")
    assert "data-start-postmortem" not in panel
    assert f'href="/incidents/{iid}/postmortem"' in panel


def test_it_refuses_starting_one_on_an_open_incident_with_the_reason(
    desk: Desk, browser: Browser
) -> None:
    iid = desk.declare()["id"]
    page = browser.get(f"/incidents/{iid}/postmortem")
    assert "starts once the incident is resolved" in text_of(page)
    r = browser.post(f"/incidents/{iid}", f"/incidents/{iid}/postmortem")
    assert r.status_code == 409
    assert "a postmortem starts once it is resolved" in text_of(r.text)


def test_it_edits_schedules_reviews_and_publishes_through_the_forms(
    desk: Desk, browser: Browser
) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    pm = f"/incidents/{iid}/postmortem"
    r = browser.post(pm, f"{pm}/edit", markdown="# Checkout outage\r\n\r\nWhat we learned.")
    assert r.status_code == 303
    assert (
        desk.call("GET", f"{API}/{iid}/postmortem")["markdown"]
        == "# Checkout outage\n\nWhat we learned."
    )
    r = browser.post(
        pm,
        f"{pm}/details",
        meeting_at="2026-01-08T15:00",
        reviewers=["vic", "ada"],
        show_on_status_page="1",
    )
    assert r.status_code == 303, r.text
    out = desk.call("GET", f"{API}/{iid}/postmortem")
    assert out["meeting_at"].startswith("2026-01-08T15:00")  # rita's zone is UTC
    assert out["reviewers"] == ["vic", "ada"]
    assert out["show_on_status_page"] is True
    checklist = desk.call("GET", f"{API}/{iid}/checklist")
    assert "Schedule postmortem" in checklist["completed"]
    assert browser.post(pm, f"{pm}/status", status="in_review").status_code == 303
    assert browser.post(pm, f"{pm}/status", status="published").status_code == 303
    shown = browser.get(pm)
    assert "data-postmortem-status>published" in shown
    assert "data-phase>improvement" in shown
    refused = browser.post(pm, f"{pm}/status", status="draft")
    assert refused.status_code == 409
    assert "can move to in_review" in text_of(refused.text)


def test_it_shows_a_bad_meeting_time_back_with_the_reason(desk: Desk, browser: Browser) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    pm = f"/incidents/{iid}/postmortem"
    r = browser.post(pm, f"{pm}/details", meeting_at="next tuesday")
    assert r.status_code == 422
    assert "is not a date and time" in text_of(r.text)
    assert desk.call("GET", f"{API}/{iid}/postmortem")["meeting_at"] is None


def test_it_adds_and_finishes_action_items_on_the_page(desk: Desk, browser: Browser) -> None:
    iid = desk.resolved()
    pm = f"/incidents/{iid}/postmortem"
    r = browser.post(
        pm,
        f"/incidents/{iid}/action-items",
        title="Alert on card declines",
        owner="vic",
        due_on="2026-01-02",
        priority="high",
        tracker_url="https://tracker.example.com/OPS-1",
    )
    assert r.status_code == 303, r.text
    [item] = [i for i in desk.items(iid) if i["title"] == "Alert on card declines"]
    assert (item["owner"], item["priority"], item["overdue"]) == ("vic", "high", True)
    page = browser.get(pm)
    assert "data-overdue" in page
    assert 'href="https://tracker.example.com/OPS-1"' in page
    bad = browser.post(pm, f"/incidents/{iid}/action-items", title="x", tracker_url="javascript:x")
    assert bad.status_code == 422
    assert "http" in text_of(bad.text)
    assert len(desk.items(iid)) == 2
    r = browser.post(pm, f"/action-items/{item['id']}", only_status="1", status="done")
    assert r.status_code == 303
    assert desk.call("GET", f"/api/v1/action-items/{item['id']}")["status"] == "done"
    r = browser.post(pm, f"/action-items/{item['id']}", title="Alert on declines", status="open")
    assert r.status_code == 303
    again = desk.call("GET", f"/api/v1/action-items/{item['id']}")
    assert (again["title"], again["status"], again["owner"]) == ("Alert on declines", "open", None)


def test_it_lists_postmortems_and_action_items(desk: Desk, browser: Browser) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    desk.call(
        "POST",
        f"{API}/{iid}/action-items",
        {"title": "Late work", "owner": "rita", "due_on": "2026-01-01"},
    )
    listed = browser.get("/postmortems")
    assert f'data-postmortem="{iid}"' in listed
    assert "data-overdue" in listed
    assert "Checkout is failing" in listed
    assert f'data-postmortem="{iid}"' not in browser.get("/postmortems?status=published")
    desk.call("POST", f"{API}/{iid}/action-items", {"title": "Vic's work", "owner": "vic"})
    mine = browser.get("/action-items")
    assert "Late work" in mine
    assert "Vic&#39;s work" not in mine
    assert "Vic&#39;s work" in browser.get("/action-items?view=open")
    assert "Late work" in browser.get("/action-items?view=overdue")


def test_it_downloads_the_document(desk: Desk, browser: Browser) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    md = browser.client.get(f"/incidents/{iid}/postmortem.md")
    assert md.status_code == 200
    assert md.text.startswith("# Postmortem: Checkout is failing")
    page = browser.client.get(f"/incidents/{iid}/postmortem.html")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")
    assert "attachment" in page.headers["content-disposition"]


def test_it_lets_viewers_read_but_not_write(
    desk: Desk, app_client: TestClient, people: Personas
) -> None:
    iid = desk.resolved()
    desk.postmortem(iid)
    viewer = Browser(app_client, people, "vic")
    page = viewer.get(f"/incidents/{iid}/postmortem")
    assert "<h2>Timeline</h2>" in page
    assert "Edit the Markdown" not in page
    assert "Add an action item" not in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', viewer.get("/incidents"))
    token = csrf.group(1) if csrf else ""
    r = app_client.post(
        f"/incidents/{iid}/postmortem/status",
        data={"csrf": token, "status": "published"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert desk.call("GET", f"{API}/{iid}/postmortem")["status"] == "draft"
