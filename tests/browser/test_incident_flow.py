"""A person runs an incident in a real browser, against a real server and database."""

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SHOTS, database_with_admin, require_chromium
from tests.servers import free_port, serve_app
from warroom.clock import SystemClock
from warroom.db.session import Database
from warroom.incidents.actions import do_add_note
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@dataclass(frozen=True)
class Server:
    url: str
    db: Database
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db, token = database_with_admin(tmp_path_factory.mktemp("browser"))
    url = db.url
    now = SystemClock().now()
    with db.write() as session:
        do_create_user(session, handle="rita", name="Rita Responder", now=now)
        do_create_user(session, handle="tom", name="Tom Tech", now=now)
        do_create_service(session, name="checkout", now=now)
        do_create_service(session, name="payments-api", now=now)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=url, base_url=base, live_refresh_seconds=1)
    app = create_app(settings, db=db, clock=SystemClock())
    with serve_app(app, port=port):
        yield Server(base, db, token)
    db.dispose()


def _sign_in(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/incidents")
    expect(page).to_have_url(re.compile(r"/login\?next=/incidents$"))
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/incidents")


def _declare(page: Page, title: str) -> int:
    page.get_by_role("link", name="Declare incident").first.click()
    page.get_by_label("What is wrong?").fill(title)
    page.locator("label.sev-choice", has_text="SEV-2").click()
    page.get_by_label("Service").select_option("checkout")
    page.get_by_label("Description").fill(
        "Card payments fail with HTTP 502 for about 30% of users."
    )
    page.get_by_role("button", name="Declare incident").click()
    expect(page.locator("h1.incident-title")).to_have_text(title)
    found = re.search(r"/incidents/(\d+)", page.url)
    assert found is not None
    return int(found.group(1))


def test_it_runs_an_incident_from_declaration_to_resolution(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, server)
    expect(page.locator(".empty")).to_contain_text("No open incidents")

    incident_id = _declare(page, "Checkout: card payments failing")
    expect(page.locator(".flash-ok")).to_contain_text("Incident declared")
    expect(page.locator(".meta .status")).to_have_text("triggered")
    expect(page.locator(".meta .sev")).to_have_text("SEV-2")
    expect(page.locator(".tile-target .tile-value")).to_contain_text("left")

    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Acknowledged")
    expect(page.locator(".meta .status")).to_have_text("acknowledged")
    expect(page.locator(".tile-target .tile-value")).to_have_text("Met")
    expect(page.locator(".check").nth(0)).to_have_class(re.compile("check-done"))

    role = page.locator('[data-role="incident_commander"]')
    role.get_by_label("Incident commander").select_option("rita")
    role.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash-ok")).to_contain_text("Roles updated")
    expect(role.locator(".role-holder")).to_have_text("@rita")
    expect(page.locator(".timeline")).to_contain_text("Incident commander: @rita")

    page.get_by_label("Add a note to the timeline").fill(
        "Rolled back deploy 2041; errors dropping."
    )
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".tl-note-body")).to_have_text("Rolled back deploy 2041; errors dropping.")

    # The composer switches templates in place (JS) and starts on the initial one.
    body = page.get_by_label("Update text")
    expect(body).to_have_value(re.compile(r"^We are currently investigating reports of checkout"))
    page.locator(".tabs").get_by_role("link", name="Resolution").click()
    expect(body).to_have_value(re.compile(r"^The checkout incident has been resolved"))
    expect(page).to_have_url(re.compile(r"compose=resolution"))
    page.locator(".tabs").get_by_role("link", name="Initial").click()
    expect(body).to_have_value(re.compile(r"^We are currently investigating"))
    page.get_by_label("Public status page").check()
    page.get_by_role("button", name="Publish initial update").click()
    expect(page.locator(".flash-ok")).to_contain_text("update published")
    update = page.locator(".updates .update").first
    expect(update).to_contain_text("We are currently investigating reports of checkout issues.")
    expect(update.locator(".tag-public")).to_have_text("public")
    expect(page.locator(".check", has_text="Communicate status")).to_have_class(
        re.compile("check-done")
    )

    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Incident resolved")
    expect(page.locator(".meta .status")).to_have_text("resolved")
    expect(page.locator(".check", has_text="Verify resolution")).to_have_class(
        re.compile("check-done")
    )
    expect(page.locator(".timeline")).to_contain_text("Status acknowledged → resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()

    shot = tmp_path / "incident.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SHOTS / "warroom-incident.png")

    page.goto(f"{server.url}/incidents?status=all")
    expect(page.locator("table.incidents")).to_contain_text("Checkout: card payments failing")
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    shutil.copy(tmp_path / "list.png", SHOTS / "warroom-list.png")

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    mobile.goto(f"{server.url}/incidents/{incident_id}")
    expect(mobile.locator("h1.incident-title")).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    mobile.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    shutil.copy(tmp_path / "phone.png", SHOTS / "warroom-phone.png")
    phone.close()
    context.close()


def test_it_shows_changes_made_elsewhere_without_a_reload(server: Server, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, server)
    incident_id = _declare(page, "Search latency above SLO")
    page.evaluate("window.__marker = 'same document'")

    with server.db.write() as session:
        do_add_note(
            session,
            incident_id=incident_id,
            text="Noted from the CLI while the page was open.",
            actor="rita",
            now=SystemClock().now(),
        )

    expect(page.locator(".tl-note-body")).to_have_text(
        "Noted from the CLI while the page was open.", timeout=8_000
    )
    assert page.evaluate("window.__marker") == "same document", "the page reloaded"
    context.close()


def test_it_works_with_javascript_turned_off(server: Server, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, server)
    _declare(page, "Webhooks delayed")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator(".meta .status")).to_have_text("acknowledged")
    # Without JS the template tabs are plain links that render the other template.
    page.locator(".tabs").get_by_role("link", name="Resolution").click()
    expect(page.get_by_label("Update text")).to_have_value(re.compile(r"has been resolved"))
    page.get_by_role("button", name="Publish resolution update").click()
    expect(page.locator(".meta .status")).to_have_text("resolved")
    context.close()
