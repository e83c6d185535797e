"""The drill pages through their forms, as a browser without JavaScript uses them: a
responder starts a drill from a runbook issue, the report shows the figures against the
targets, the incident page carries the DRILL banner; viewers only read."""

import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas
from tests.drills.conftest import DrillWorld
from warroom.incidents.actions import do_acknowledge


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sign_in(self, token: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def text(self, path: str) -> str:
        r = self.client.get(path)
        assert r.status_code == 200, r.text
        return html.unescape(r.text)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get("/drills/new").text)
        assert found
        return self.client.post(path, data={"csrf": found.group(1), **data}, follow_redirects=False)


@pytest.fixture
def browser(app_client: TestClient, people: Personas, drills: DrillWorld) -> Browser:
    drills.setup()
    b = Browser(app_client)
    b.sign_in(people.responder.token)
    return b


def test_a_responder_starts_a_drill_from_the_form_and_reads_its_report(
    browser: Browser, drills: DrillWorld
) -> None:
    form = browser.text("/drills/new?service=checkout")
    assert '<optgroup label="checkout">' in form
    assert '<option value="High Memory Usage">' in form
    assert "acknowledge 30 min, assemble 1 h, resolve 2 h" in form

    r = browser.post(
        "/drills/new",
        {"service": "checkout", "severity": "SEV-2", "common_issue": "High Memory Usage"},
    )
    assert r.status_code == 303, r.text
    report = r.headers["location"]
    assert re.fullmatch(r"/drills/\d+\?ok=started", report)
    page = browser.text(report)
    assert "Drill started" in page
    assert "[DRILL] High Memory Usage" in page
    assert "Not acknowledged yet (0 s so far) — the SEV-2 target is 30 min" in page
    assert "Running: 0 of 3 targets met so far" in page

    w = drills.world
    drill_id = int(report.split("/")[2].split("?")[0])
    linked = re.search(r'href="/incidents/(\d+)"', page)
    assert linked
    incident_id = int(linked.group(1))
    w.clock.advance(minutes=4)
    with w.db.write() as session:
        do_acknowledge(session, incident_id=incident_id, actor="ann", now=w.clock.now())
    page = browser.text(f"/drills/{drill_id}")
    assert "Acknowledged in 4 min — within the SEV-2 target of 30 min" in page
    assert 'data-responder="ann"' in page

    listed = browser.text("/drills")
    assert "[DRILL] High Memory Usage" in listed
    assert "Running: 1 of 3 targets met so far" in listed

    incident = browser.text(f"/incidents/{incident_id}")
    assert 'class="drill-banner"' in incident
    assert "This is a practice incident" in incident
    assert '<h1 class="incident-title">[DRILL] High Memory Usage</h1>' in incident
    r = browser.client.get(f"/drills/incident/{incident_id}", follow_redirects=False)
    assert r.headers["location"] == f"/drills/{drill_id}"


def test_a_refused_drill_shows_the_form_again_with_the_reason(browser: Browser) -> None:
    r = browser.post(
        "/drills/new",
        {"service": "checkout", "severity": "SEV-2", "common_issue": "Disk full", "scenario": "x"},
    )
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert (
        "no common issue 'Disk full' in the runbook of 'checkout'; it has: 'High Memory Usage'"
        in page
    )
    assert ">x</textarea>" in page
    r = browser.post("/drills/new", {"service": "", "severity": "SEV-2"})
    assert r.status_code == 422
    assert "choose the service to drill on" in r.text
    assert "No drills yet" in browser.text("/drills")


def test_viewers_read_drills_but_cannot_start_one(
    browser: Browser, people: Personas, drills: DrillWorld
) -> None:
    drill = drills.start()
    browser.sign_in(people.viewer.token)
    assert "Start a drill" not in browser.text("/drills")
    assert "responders start drills" in browser.text("/drills/new")
    assert "[DRILL] High Memory Usage" in browser.text(f"/drills/{drill.id}")
    r = browser.post("/drills/new", {"service": "checkout", "severity": "SEV-2"})
    assert r.status_code == 403
    assert browser.client.get("/drills/999").status_code == 404


def test_a_team_page_shows_its_last_and_next_drill(
    browser: Browser, drills: DrillWorld, people: Personas
) -> None:
    teams = browser.text("/teams")
    assert "@ann, @bob" in teams
    assert "never" in teams
    drills.world.clock.advance(days=100)
    browser.sign_in(people.responder.token)  # a sign-in lasts less than 100 days
    assert "drill overdue since" in browser.text("/teams")

    drill = drills.start()
    team = browser.text(f"/teams/{drills.team().id}")
    assert f'href="/drills/{drill.id}"' in team
    assert "Overdue" not in team
    due = (drill.started_at + timedelta(days=90)).strftime("%Y-%m-%d")
    assert f"due {due}" in team
