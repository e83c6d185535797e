"""The runbook pages: every service's runbook at a glance, and one runbook to read, edit
and mark reviewed."""

import re

from fastapi.testclient import TestClient

from tests.conftest import Persona, Personas
from tests.runbooks.conftest import RunbookData, example
from warroom.clock import FakeClock
from warroom.web.auth import COOKIE

PAGE = "/services/payments-api/runbook"


def _get(app_client: TestClient, who: Persona, path: str) -> str:
    app_client.cookies.set(COOKIE, who.token)
    answer = app_client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_runbooks_page_lists_every_service_with_review_and_lint_state(
    app_client: TestClient, people: Personas, data: RunbookData, clock: FakeClock
) -> None:
    data.service("payments-api")
    data.service("search-api")
    data.runbook("payments-api")
    clock.advance(days=120)
    html = _get(app_client, people.viewer, "/runbooks")
    assert "1 of 2 services" in html
    assert 'href="/services/payments-api/runbook"' in html
    assert "stale · 120 days" in html
    assert '<span class="lint-ok">ok</span>' in html
    assert "no runbook" in html
    assert 'href="/services/search-api/runbook">write one</a>' in html


def test_the_runbook_page_renders_it_with_review_state_and_a_stale_banner(
    app_client: TestClient, people: Personas, data: RunbookData, clock: FakeClock
) -> None:
    data.service()
    data.runbook()
    clock.advance(days=95)
    html = _get(app_client, people.viewer, PAGE)
    assert '<h2 id="L6">Service Overview</h2>' in html
    assert "Not reviewed for 95 days" in html
    assert "lint ok" in html
    assert "Database connection pool exhausted" in html
    # A viewer reads; no forms.
    assert "Mark reviewed" not in html
    assert 'name="markdown"' not in html


def test_a_responder_marks_it_reviewed_and_the_banner_goes(
    app_client: TestClient, people: Personas, data: RunbookData, clock: FakeClock
) -> None:
    data.service()
    data.runbook()
    clock.advance(days=95)
    html = _get(app_client, people.responder, PAGE)
    answer = app_client.post(f"{PAGE}/review", data={"csrf": _csrf(html)}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}?ok=reviewed"
    html = _get(app_client, people.responder, answer.headers["location"])
    assert "Marked reviewed." in html
    assert "Not reviewed for" not in html
    assert "reviewed <time" in html
    assert "by @rita" in html


def test_the_editor_refuses_a_broken_runbook_listing_problems_and_keeping_the_text(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    html = _get(app_client, people.responder, PAGE)
    assert "has no runbook yet" in html
    # A new runbook starts from the structure, every part left to fill in.
    assert "## Common Issues" in html
    draft = "# payments-api\r\n\r\n## Service Overview\r\n- Purpose: Takes payments\r\n"
    answer = app_client.post(PAGE, data={"csrf": _csrf(html), "markdown": draft})
    assert answer.status_code == 422
    assert "Not saved: the runbook has" in answer.text
    assert '<span class="line-no">line 3</span> Service Overview: no Dependencies' in answer.text
    assert "- Purpose: Takes payments" in answer.text
    assert 'name="force"' in answer.text
    forced = app_client.post(
        PAGE,
        data={"csrf": _csrf(answer.text), "markdown": draft, "force": "on"},
        follow_redirects=False,
    )
    assert forced.status_code == 303
    html = _get(app_client, people.responder, PAGE)
    assert 'href="#L3">line 3</a> Service Overview: no Dependencies' in html


def test_the_editor_saves_a_complete_runbook(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    html = _get(app_client, people.responder, PAGE)
    answer = app_client.post(
        PAGE,
        data={"csrf": _csrf(html), "markdown": example("payments-api")},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"{PAGE}?ok=created")
    saved = app_client.get(PAGE + ".md")
    assert saved.text == example("payments-api")
    assert saved.headers["content-type"].startswith("text/markdown")


def test_the_service_page_links_its_runbook(
    app_client: TestClient, people: Personas, data: RunbookData
) -> None:
    data.service()
    html = _get(app_client, people.viewer, "/services/payments-api")
    assert 'href="/services/payments-api/runbook"' in html
