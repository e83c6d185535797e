"""The maintenance pages, through their forms as a browser without JavaScript uses them:
responders schedule, start, post updates, reschedule and complete; viewers only read."""

import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock

PAGE = "/statuspage/maintenances"


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sign_in(self, token: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get(PAGE).text)
        assert found
        return found.group(1)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)


@pytest.fixture
def browser(app_client: TestClient, people: Personas, status_data: StatusData) -> Browser:
    status_data.component("Checkout")
    status_data.component("Search")
    status_data.service("payments", component="Checkout")
    b = Browser(app_client)
    b.sign_in(people.responder.token)
    return b


def test_a_responder_schedules_runs_and_completes_one_through_the_forms(
    browser: Browser, clock: FakeClock
) -> None:
    # The responder's zone is UTC (the default), so local times are UTC times.
    r = browser.post(
        PAGE,
        {
            "name": "Card processor swap",
            "body": "Payments may fail for a minute.",
            "components": ["Checkout"],
            "scheduled_for": "2026-01-05T10:00",
            "scheduled_until": "2026-01-05T11:00",
            "auto_start": "1",
            "auto_complete": "1",
        },
    )
    assert r.status_code == 303, r.text
    detail = r.headers["location"].split("?")[0]
    page = browser.client.get(r.headers["location"]).text
    assert "Maintenance scheduled" in page
    assert "Card processor swap" in page
    assert "payments" in page  # the service kept quiet
    assert browser.client.get(PAGE).text.count("Card processor swap") == 1

    r = browser.post(f"{detail}/status", {"status": "in_progress", "body": "Swapping now."})
    assert r.status_code == 303, r.text
    page = html.unescape(browser.client.get(detail).text)
    assert "Swapping now." in page
    assert "under maintenance" in page

    r = browser.post(f"{detail}/updates", {"body": "Half the traffic moved."})
    assert r.status_code == 303
    assert "Half the traffic moved." in browser.client.get(detail).text

    r = browser.post(f"{detail}/status", {"status": "completed"})
    assert r.status_code == 303
    page = browser.client.get(detail).text
    assert "The scheduled maintenance has been completed." in page
    assert 'data-move="' not in page  # nothing left to move to


def test_a_refused_form_says_why_and_keeps_what_was_typed(browser: Browser) -> None:
    r = browser.post(
        PAGE,
        {
            "name": "Backwards",
            "components": ["Nope"],
            "scheduled_for": "2026-01-05T10:00",
            "scheduled_until": "2026-01-05T11:00",
        },
    )
    assert r.status_code == 422
    assert "no component named &#39;Nope&#39;" in r.text
    assert 'value="Backwards"' in r.text
    r = browser.post(
        PAGE,
        {
            "name": "Backwards",
            "scheduled_for": "2026-01-05T12:00",
            "scheduled_until": "2026-01-05T11:00",
        },
    )
    assert r.status_code == 422
    assert "after scheduled_for" in r.text


def test_a_refused_move_names_the_allowed_ones(browser: Browser) -> None:
    r = browser.post(
        PAGE,
        {
            "name": "Soon",
            "scheduled_for": "2026-01-05T10:00",
            "scheduled_until": "2026-01-05T11:00",
        },
    )
    detail = r.headers["location"].split("?")[0]
    r = browser.post(f"{detail}/status", {"status": "verifying"})
    assert r.status_code == 409
    assert "allowed: completed, in_progress" in r.text


def test_rescheduling_through_the_edit_form(browser: Browser) -> None:
    r = browser.post(
        PAGE,
        {
            "name": "Soon",
            "components": ["Checkout"],
            "scheduled_for": "2026-01-05T10:00",
            "scheduled_until": "2026-01-05T11:00",
            "auto_start": "1",
            "auto_complete": "1",
        },
    )
    detail = r.headers["location"].split("?")[0]
    r = browser.post(
        f"{detail}/edit",
        {
            "name": "Later",
            "components": ["Search"],
            "scheduled_for": "2026-01-06T10:00",
            "scheduled_until": "2026-01-06T11:00",
            "auto_start": "1",
        },
    )
    assert r.status_code == 303, r.text
    page = browser.client.get(detail).text
    assert "2026-01-06 10:00" in page
    assert "by hand (stays in progress past its end)" in page
    assert "No service belongs to its components." in page


def test_a_viewer_reads_but_cannot_post(
    browser: Browser, people: Personas, status_data: StatusData
) -> None:
    status_data.maintenance(name="Read only", body="", components=["Checkout"])
    browser.sign_in(people.viewer.token)
    page = browser.client.get(PAGE).text
    assert "Read only" in page
    assert "Schedule maintenance" not in page
    r = browser.post(
        PAGE,
        {"name": "x", "scheduled_for": "2026-01-05T10:00", "scheduled_until": "2026-01-05T11:00"},
    )
    assert r.status_code == 403


def test_signed_out_people_are_sent_to_sign_in(app_client: TestClient) -> None:
    r = app_client.get(PAGE, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
