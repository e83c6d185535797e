"""The incident page's stakeholder-update composer and status-page card, through forms as
a browser without JavaScript uses them (SQLite and PostgreSQL): the promised next update
shown as due or OVERDUE, the preview step, publishing with public settings and
components, and the status-page settings form."""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_declare, do_publish_update
from warroom.incidents.models import Incident, StakeholderUpdate
from warroom.settings import Settings
from warroom.statuspage.models import Component
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.web.app import create_app


@dataclass(frozen=True)
class Site:
    client: TestClient
    db: Database
    clock: FakeClock
    tokens: dict[str, str]

    def sign_in(self, handle: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": self.tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get("/incidents").text)
        assert found
        return found.group(1)

    def post(self, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)

    def declare(self, severity: Severity = Severity.SEV2) -> int:
        with self.db.write() as session:
            return do_declare(
                session,
                title="Checkout failing",
                severity=severity,
                service="checkout",
                actor="rita",
                now=self.clock.now(),
            ).id


@pytest.fixture
def site(db: Database, clock: FakeClock, status_data: StatusData) -> Iterator[Site]:
    tokens = {}
    with db.write() as session:
        for handle, role in (("rita", UserRole.RESPONDER), ("vic", UserRole.VIEWER)):
            user = do_create_user(
                session, handle=handle, name=handle.title(), role=role, now=clock.now()
            )
            tokens[handle] = do_create_token(session, user=user, now=clock.now()).secret
    status_data.service("checkout")
    status_data.component("API")
    status_data.component("Payments DB", public=False)
    settings = Settings(database_url=db.url, base_url="http://warroom.test")
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield Site(client, db, clock, tokens)


def text_of(page: str, attr: str) -> str:
    found = re.search(rf"{attr}[^>]*>([^<]*)<", page)
    assert found, f"nothing marked {attr}"
    return html.unescape(found.group(1)).strip()


def flash_error(page: str) -> str:
    found = re.search(r'class="flash flash-error" role="alert">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def textarea(page: str) -> str:
    found = re.search(r"<textarea id=\"update-body\"[^>]*>([^<]*)</textarea>", page)
    assert found
    return html.unescape(found.group(1))


def test_the_page_shows_the_next_update_as_due_then_overdue(site: Site) -> None:
    iid = site.declare(Severity.SEV1)
    site.sign_in("vic")  # anyone who can read the incident sees it
    page = site.client.get(f"/incidents/{iid}").text
    assert text_of(page, "data-next-update") == "No update promised"
    with site.db.write() as session:
        do_publish_update(
            session,
            incident_id=iid,
            kind=UpdateKind.INITIAL,
            actor="rita",
            now=site.clock.now(),
        )
    page = site.client.get(f"/incidents/{iid}").text
    assert text_of(page, "data-next-update") == "Next update due in 30 min"
    assert 'data-cadence-state="due"' in page
    site.clock.advance(minutes=42)
    page = site.client.get(f"/incidents/{iid}").text
    assert text_of(page, "data-next-update") == "Next update OVERDUE by 12 min"
    assert 'data-cadence-state="overdue"' in page
    assert "tile-breached" in page


def test_the_composer_prefills_the_wait_by_severity(site: Site) -> None:
    iid = site.declare(Severity.SEV3)
    site.sign_in("rita")
    page = site.client.get(f"/incidents/{iid}").text
    assert re.search(r'name="next_update_minutes"[^>]*value="120"', page)
    assert "Next update in: 2 hours" in textarea(page)
    # The public title starts from public facts (SEV-3: minor impact), not the internal title.
    public_title = re.search(r'name="public_title"[^>]*value="([^"]*)"', page)
    assert public_title is not None
    assert public_title.group(1) == "Degraded performance under investigation"
    assert '<option value="postmortem"' in page


def test_preview_fills_the_text_from_the_fields_and_publishes_nothing(site: Site) -> None:
    iid = site.declare()
    site.sign_in("rita")
    r = site.post(
        f"/incidents/{iid}/updates/preview",
        {
            "kind": "update",
            "status": "identified",
            "progress": "Rolled back deploy 2041.",
            "next_update_minutes": "45",
            "component_name": ["API", "Payments DB"],
            "component_status": ["major_outage", ""],
        },
    )
    assert r.status_code == 200, flash_error(r.text)
    body = textarea(r.text)
    assert "Current status: Identified" in body
    assert "Progress: Rolled back deploy 2041." in body
    assert "Next update in: 45 minutes" in body
    # What was chosen stays chosen for the Publish that follows.
    assert re.search(r'value="major_outage" selected', r.text)
    assert re.search(r'name="next_update_minutes"[^>]*value="45"', r.text)
    with site.db.read() as session:
        assert session.scalars(select(StakeholderUpdate)).all() == []
    refused = site.post(
        f"/incidents/{iid}/updates/preview", {"kind": "update", "status": "postmortem"}
    )
    assert refused.status_code == 422
    assert "resolved or closed" in flash_error(refused.text)


def test_publishing_from_the_composer_makes_it_public_and_lists_component_changes(
    site: Site,
) -> None:
    iid = site.declare()
    site.sign_in("rita")
    r = site.post(
        f"/incidents/{iid}/updates",
        {
            "kind": "initial",
            "body": "We are looking into failed card payments.",
            "public": "on",
            "public_title": "Card payments failing",
            "public_impact": "major",
            "next_update_minutes": "20",
            "component_name": ["API", "Payments DB"],
            "component_status": ["partial_outage", "major_outage"],
        },
    )
    assert r.status_code == 303, flash_error(r.text)
    page = site.client.get(f"/incidents/{iid}").text
    assert "We are looking into failed card payments." in page
    assert text_of(page, "data-next-update") == "Next update due in 20 min"
    changes = re.search(r"data-component-changes>(.*?)</ul>", page, re.S)
    assert changes
    listed = html.unescape(re.sub(r"<[^>]+>", "", changes.group(1)))
    assert "API: operational → partial outage" in listed
    assert "Payments DB" not in listed  # internal: never on an update's public changes
    assert '<span class="tag tag-public">public</span>' in page
    with site.db.read() as session:
        incident = session.get(Incident, iid)
        assert incident is not None
        assert (incident.public, incident.public_title) == (True, "Card payments failing")
        statuses = {c.name: str(c.status) for c in session.scalars(select(Component))}
    assert statuses == {"API": "partial_outage", "Payments DB": "major_outage"}


def test_the_status_page_card_sets_and_clears_public_settings(site: Site) -> None:
    iid = site.declare()
    site.sign_in("rita")
    r = site.post(
        f"/incidents/{iid}/public",
        {
            "public": "on",
            "title": "Payments degraded",
            "impact": "minor",
            "component_name": ["API", "Payments DB"],
            "component_status": ["severity", ""],
        },
    )
    assert r.status_code == 303, flash_error(r.text)
    page = site.client.get(f"/incidents/{iid}").text
    assert "Payments degraded" in text_of(page, "data-public-title><strong")
    assert "Status page: made public" in page
    with site.db.read() as session:
        incident = session.get(Incident, iid)
        assert incident is not None
        code = incident.public_code
    assert f'href="/status/incidents/{code}"' in page
    r = site.post(f"/incidents/{iid}/public", {"title": "Payments degraded", "impact": "minor"})
    assert r.status_code == 303
    with site.db.read() as session:
        incident = session.get(Incident, iid)
        assert incident is not None
        assert (incident.public, incident.public_code) == (False, code)
    refused = site.post(
        f"/incidents/{iid}/public",
        {"public": "on", "component_name": ["Mainframe"], "component_status": ["major_outage"]},
    )
    assert refused.status_code == 422
    assert "Mainframe" in flash_error(refused.text)


def test_viewers_see_no_composer_and_cannot_post_to_it(site: Site) -> None:
    iid = site.declare()
    site.sign_in("vic")
    page = site.client.get(f"/incidents/{iid}").text
    assert "data-composer" not in page
    r = site.post(f"/incidents/{iid}/updates", {"kind": "initial", "public": "on"})
    assert r.status_code == 403
    r = site.post(f"/incidents/{iid}/public", {"public": "on"})
    assert r.status_code == 403
