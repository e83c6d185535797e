"""An alert from monitoring, followed through the web UI in a real browser."""

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SHOTS, database_with_admin, require_chromium
from tests.servers import free_port, serve_app
from warroom.clock import SystemClock
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    key: str
    service_id: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db, token = database_with_admin(tmp_path_factory.mktemp("alerts-browser"))
    url = db.url
    now = SystemClock().now()
    with db.write() as session:
        do_create_user(session, handle="rita", name="Rita Responder", now=now)
        created = do_create_service(
            session,
            name="payments-api",
            component="Payments",
            responders=["rita"],
            severity_rules=[
                {
                    "matchers": [{"name": "component", "value": "postgres", "op": "="}],
                    "severity": "SEV-1",
                }
            ],
            now=now,
        )
        key, service_id = created.first_key.secret, created.service.id
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=url, base_url=base, intake_key_cache_seconds=0)
    app = create_app(settings, db=db, clock=SystemClock())
    with serve_app(app, port=port):
        yield Server(base, token, key, service_id)
    db.dispose()


def _sign_in(page: Page, server: Server, path: str) -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}{path}")


def _trigger(server: Server, dedup: str, summary: str, **extra: object) -> None:
    r = httpx.post(
        f"{server.url}/v2/enqueue",
        json={
            "routing_key": server.key,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {
                "summary": summary,
                "source": "pg-primary-1",
                "severity": "critical",
                "component": "postgres",
                "custom_details": {"replication_lag_seconds": 312, "slot": "replica_2"},
            },
            "links": [
                {"href": "https://grafana.example/d/pg?orgId=1", "text": "Postgres dashboard"}
            ],
            **extra,
        },
        timeout=10,
    )
    assert r.status_code == 202, r.text


def test_an_alert_shows_in_the_list_and_leads_to_its_incident(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    _trigger(server, "pg-lag", "Replication lag above 5 min on pg-primary-1")
    _trigger(server, "disk", "Disk 91% full on pg-primary-1")

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, server, "/alerts")

    table = page.locator("table.alerts")
    row = table.locator("tr", has_text="Replication lag above 5 min")
    expect(row.locator(".asev")).to_have_text("critical")
    expect(row.locator(".c-source")).to_have_text("Events API v2")
    expect(row.locator(".c-service")).to_have_text("payments-api")
    expect(row.locator(".c-status")).to_have_text("triggered")
    shot = tmp_path / "alerts.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SHOTS / "warroom-alerts.png")

    row.get_by_role("link", name="Replication lag above 5 min on pg-primary-1").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    expect(page.locator("h1")).to_have_text("Replication lag above 5 min on pg-primary-1")
    expect(page.locator("#labels")).to_contain_text("postgres")
    expect(page.locator("#details pre")).to_contain_text('"replication_lag_seconds": 312')
    link = page.get_by_role("link", name="Postgres dashboard")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    page.screenshot(path=str(tmp_path / "alert.png"), full_page=True)
    shutil.copy(tmp_path / "alert.png", SHOTS / "warroom-alert.png")

    page.locator(".alert-incident a.incident-link").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.locator("h1.incident-title")).to_have_text(
        "Replication lag above 5 min on pg-primary-1"
    )
    expect(page.locator(".meta .sev")).to_have_text("SEV-1")  # the service's severity rule
    alerts = page.locator("#alerts")
    expect(alerts).to_contain_text("Replication lag above 5 min on pg-primary-1")
    expect(page.locator(".timeline")).to_contain_text("attached (critical, pg-primary-1)")
    page.screenshot(path=str(tmp_path / "incident.png"), full_page=True)
    shutil.copy(tmp_path / "incident.png", SHOTS / "warroom-alert-incident.png")
    context.close()


def test_an_admin_quiets_a_service_and_gets_a_new_key(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, server, "/services")
    page.get_by_role("link", name="payments-api").click()
    expect(page.locator("h1")).to_have_text("payments-api")

    maintenance = page.locator("#maintenance")
    maintenance.get_by_label("For").select_option("120")
    maintenance.get_by_label("Reason").fill("Postgres 16 upgrade")
    maintenance.get_by_role("button", name="Start maintenance").click()
    expect(page.locator(".flash-ok")).to_contain_text("Maintenance window started")
    expect(page.locator("#maintenance .window").first).to_contain_text("Postgres 16 upgrade")

    silences = page.locator("#silences")
    silences.get_by_label("Matchers").fill("alertname=DiskFull\ninstance=~db-.*")
    silences.get_by_label("Comment").fill("Cleanup job running")
    silences.get_by_role("button", name="Create silence").click()
    expect(page.locator(".flash-ok")).to_contain_text("Silence created")

    _trigger(server, "during-maintenance", "Connection errors on pg-primary-1")
    page.goto(f"{server.url}/alerts")
    expect(page.locator("table.alerts tr", has_text="Connection errors")).to_contain_text(
        "suppressed: maintenance window"
    )

    page.goto(f"{server.url}/services/{server.service_id}")
    page.locator("#keys").get_by_label("New key's name").fill("alertmanager-prod")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("[data-secret]").inner_text()
    assert secret.startswith("wri_")
    expect(page.locator("#new-key")).to_contain_text(f"/integrations/alertmanager/{secret}")
    shot = tmp_path / "service.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SHOTS / "warroom-service.png")

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    for path in ("/alerts", f"/services/{server.service_id}"):
        mobile.goto(f"{server.url}{path}")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px wide)"
    mobile.screenshot(path=str(tmp_path / "service-phone.png"), full_page=True)
    shutil.copy(tmp_path / "service-phone.png", SHOTS / "warroom-service-phone.png")
    mobile.goto(f"{server.url}/alerts")
    mobile.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    shutil.copy(tmp_path / "phone.png", SHOTS / "warroom-alerts-phone.png")
    phone.close()
    context.close()
