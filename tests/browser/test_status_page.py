"""The public status page in a real browser (Debian's Chromium), on a desktop and on a
390px-wide phone, with JavaScript off: the layout holds (nothing scrolls sideways), the
banner and the components are in view, every component has 90 uptime bars, groups fold
and unfold, and nothing is fetched from anywhere but warroom."""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SHOTS, database_with_admin, require_chromium
from tests.servers import free_port, serve_app
from warroom.clock import FakeClock
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.components import ComponentStatus
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_declare, do_publish_update, do_resolve, do_set_public
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.statuspage.component_actions import (
    do_create_component,
    do_create_group,
    do_update_component,
)
from warroom.statuspage.maintenances import do_schedule_maintenance
from warroom.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NOW = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Server:
    url: str
    incident_code: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db, _ = database_with_admin(tmp_path_factory.mktemp("status-browser"))
    clock = FakeClock(NOW - timedelta(days=100))
    with db.write() as s:
        do_create_group(s, name="Platform", now=clock.now())
        do_create_group(s, name="Payments", now=clock.now())
        for name, group in (
            ("API", "Platform"),
            ("Database", "Platform"),
            ("Background jobs", "Platform"),
            ("Card processing", "Payments"),
            ("Payouts", "Payments"),
            ("Website", None),
            ("A component with a rather long name to see how it wraps", None),
        ):
            do_create_component(s, name=name, group=group, now=clock.now())
        do_create_service(s, name="checkout", now=clock.now(), open_room=False)
    for days_ago, minutes, status in (
        (40, 95, ComponentStatus.MAJOR_OUTAGE),
        (12, 30, ComponentStatus.DEGRADED_PERFORMANCE),
    ):
        clock.set(NOW - timedelta(days=days_ago))
        with db.write() as s:
            do_update_component(s, ref="Website", manual_status=status, now=clock.now())
        clock.advance(minutes=minutes)
        with db.write() as s:
            do_update_component(
                s, ref="Website", manual_status=ComponentStatus.OPERATIONAL, now=clock.now()
            )
    clock.set(NOW - timedelta(days=2))
    with db.write() as s:
        past = do_declare(
            s, title="x", severity=Severity.SEV3, service="checkout", actor="t", now=clock.now()
        )
        do_set_public(
            s,
            incident_id=past.id,
            actor="t",
            now=clock.now(),
            public=True,
            title="Delayed payout emails",
        )
        do_publish_update(
            s,
            incident_id=past.id,
            kind=UpdateKind.INITIAL,
            actor="t",
            now=clock.now(),
            body="Payout emails are delayed.",
            public=True,
        )
        do_resolve(s, incident_id=past.id, actor="t", now=clock.now() + timedelta(hours=1))
    clock.set(NOW - timedelta(minutes=30))
    with db.write() as s:
        incident = do_declare(
            s, title="y", severity=Severity.SEV2, service="checkout", actor="t", now=clock.now()
        )
        do_set_public(
            s,
            incident_id=incident.id,
            actor="t",
            now=clock.now(),
            public=True,
            title="Card payments failing for some customers",
            components={"Card processing": ComponentStatus.PARTIAL_OUTAGE},
        )
        do_publish_update(
            s,
            incident_id=incident.id,
            kind=UpdateKind.INITIAL,
            actor="t",
            now=clock.now(),
            body="Some card payments fail with a timeout. We are investigating.",
            public=True,
        )
        do_publish_update(
            s,
            incident_id=incident.id,
            kind=UpdateKind.UPDATE,
            actor="t",
            now=clock.now() + timedelta(minutes=20),
            status=UpdateStatus.IDENTIFIED,
            body="A misbehaving upstream provider has been identified; failing over.",
            public=True,
        )
        code = incident.public_code
        do_schedule_maintenance(
            s,
            name="Database upgrade",
            body="Upgrading the primary database.",
            components=["Database"],
            scheduled_for=NOW + timedelta(days=1),
            scheduled_until=NOW + timedelta(days=1, hours=2),
            actor="t",
            now=clock.now(),
        )
    assert code is not None
    clock.set(NOW)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=db.url,
        base_url=base,
        status_page_title="Acme Status",
        status_page_links=[
            {"label": "Acme home", "url": "https://acme.example"},
            {"label": "Support", "url": "https://acme.example/support"},
        ],
        status_page_time_zone="Europe/Berlin",
    )
    with serve_app(create_app(settings, db=db, clock=clock), port=port):
        yield Server(base, code)
    db.dispose()


def _open(browser: Browser, server: Server, *, width: int, height: int, phone: bool) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        java_script_enabled=False,  # the page must work without it
    )
    page = context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url),
    )
    page.goto(f"{server.url}/status")
    page.wait_for_load_state("networkidle")
    assert elsewhere == [], f"the page fetched from elsewhere: {elsewhere}"
    return page


def _shoot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SHOTS / f"warroom-{name}.png")


def _layout_holds(page: Page, *, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert inner == width
    assert scroll <= inner, f"the page scrolls sideways ({scroll}px > {inner}px)"
    banner = page.locator(".sp-banner")
    expect(banner).to_be_in_viewport()
    expect(banner).to_contain_text("Partial System Outage")
    # The open incident is what a reader came for: right under the banner.
    expect(
        page.get_by_role("region", name="Open incidents").get_by_role(
            "link", name="Card payments failing for some customers"
        )
    ).to_be_visible()
    website = page.locator(".sp-component", has_text="Website")
    expect(website).to_be_visible()
    expect(website.locator(".sp-state")).to_have_text("Operational")
    bars = website.locator(".sp-bar")
    expect(bars).to_have_count(90)
    # Every bar has a width of its own, inside the row (none squeezed out or overflowing).
    row = website.locator(".sp-bars").bounding_box()
    first, last = bars.first.bounding_box(), bars.last.bounding_box()
    assert row is not None
    assert first is not None
    assert last is not None
    assert first["width"] >= 1
    assert last["x"] + last["width"] <= row["x"] + row["width"] + 0.5
    for component in page.locator(".sp-component").all():
        expect(component.locator(".sp-bar")).to_have_count(90)
    outage = website.locator(".sp-bar-major_outage")
    expect(outage).to_have_count(1)
    title = outage.get_attribute("title") or ""
    assert title.endswith("uptime, major outage 1 h 35 min"), title


def test_it_holds_its_layout_on_a_desktop(browser: Browser, server: Server, tmp_path: Path) -> None:
    page = _open(browser, server, width=1280, height=900, phone=False)
    _layout_holds(page, width=1280)
    # The group with the failing component is open; the healthy one folded, and it
    # unfolds on a click (a <details>, no script).
    payments = page.locator(".sp-group", has_text="Payments")
    expect(payments.locator(".sp-component", has_text="Card processing")).to_be_visible()
    expect(payments.locator(".sp-state").first).to_have_text("Partial outage")
    platform = page.locator(".sp-group", has_text="Platform")
    api = platform.locator(".sp-component", has_text="API")
    expect(api).to_be_hidden()
    platform.locator("summary").click()
    expect(api).to_be_visible()
    expect(page.get_by_role("heading", name="Past incidents")).to_be_visible()
    expect(page.locator(".sp-day").first).to_contain_text("Apr 10, 2026")
    _shoot(page, tmp_path, "status-desktop")
    page.get_by_role("link", name="Card payments failing for some customers").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Card payments failing for some customers"
    )
    expect(page.locator(".sp-update").first).to_contain_text("Identified")
    _shoot(page, tmp_path, "status-incident-desktop")
    page.context.close()


def test_it_holds_its_layout_on_a_phone(browser: Browser, server: Server, tmp_path: Path) -> None:
    page = _open(browser, server, width=390, height=844, phone=True)
    _layout_holds(page, width=390)
    expect(page.get_by_role("link", name="Subscribe to updates").first).to_be_visible()
    _shoot(page, tmp_path, "status-phone")
    page.goto(f"{server.url}/status/incidents/{server.incident_code}")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= 390
    _shoot(page, tmp_path, "status-incident-phone")
    page.context.close()
