"""The team pages through their forms: an admin creates a team, changes its members and
deletes it; responders and viewers read."""

import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Personas


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

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get("/teams").text)
        assert found
        return self.client.post(
            path, data={"csrf": found.group(1), **(data or {})}, follow_redirects=False
        )


@pytest.fixture
def browser(app_client: TestClient, people: Personas) -> Browser:
    b = Browser(app_client)
    b.sign_in(people.admin.token)
    return b


def test_an_admin_creates_a_team_and_changes_its_members(browser: Browser) -> None:
    assert "There are no teams yet" in browser.text("/teams")
    r = browser.post("/teams", {"name": "Payments", "members": "@rita, vic", "description": ""})
    assert r.status_code == 303, r.text
    page = browser.text(r.headers["location"])
    assert "Team created" in page
    assert "@rita" in page
    assert "@vic" in page
    team = r.headers["location"].split("?")[0]

    r = browser.post(f"{team}/members", {"user": "ada"})
    assert r.status_code == 303
    r = browser.post(f"{team}/members/rita/remove")
    assert r.status_code == 303
    r = browser.post(f"{team}/edit", {"name": "Payments", "description": "Money in, money out"})
    assert r.status_code == 303
    page = browser.text(team)
    assert "Money in, money out" in page
    assert re.findall(r'class="role-holder" href="/users/(\w+)"', page) == ["vic", "ada"]
    listed = browser.text("/teams")
    assert "@vic, @ada" in listed
    assert "never" in listed  # no drill yet

    r = browser.post(f"{team}/delete")
    assert r.headers["location"] == "/teams?ok=deleted"
    assert "There are no teams yet" in browser.text("/teams")


def test_a_refused_team_form_says_why_and_keeps_what_was_typed(browser: Browser) -> None:
    assert browser.post("/teams", {"name": "ops"}).status_code == 303
    r = browser.post("/teams", {"name": "ops", "members": "rita"})
    assert r.status_code == 409
    assert "a team named 'ops' already exists" in html.unescape(r.text)
    r = browser.post("/teams", {"name": "sre", "members": "rita ghost"})
    assert r.status_code == 404
    page = html.unescape(r.text)
    assert "no user with handle 'ghost'" in page
    assert 'value="rita ghost"' in page
    assert browser.text("/teams").count('data-team="') == 1
    # The API's rules for a name hold on the form too.
    for bad in ("", "a/b?c#d"):
        assert browser.post("/teams", {"name": bad}).status_code == 422
    assert browser.text("/teams").count('data-team="') == 1


def test_only_admins_see_and_use_the_team_forms(browser: Browser, people: Personas) -> None:
    r = browser.post("/teams", {"name": "ops"})
    team = r.headers["location"].split("?")[0]
    for persona in (people.responder, people.viewer):
        browser.sign_in(persona.token)
        page = browser.text(team)
        assert "Edit team" not in page
        assert "New team" not in browser.text("/teams")
        assert browser.post(f"{team}/members", {"user": "ada"}).status_code == 403
        assert browser.post("/teams", {"name": "x"}).status_code == 403
    assert browser.client.get("/teams/nope").status_code == 404
