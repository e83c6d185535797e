"""The service pages: integration keys for admins, maintenance windows and silences for
responders, and read-only for viewers; through the forms, as a browser without
JavaScript would use them."""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_declare
from warroom.services.actions import do_create_service
from warroom.services.repository import list_maintenance
from warroom.settings import Settings
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.web.app import create_app


@dataclass(frozen=True)
class Site:
    client: TestClient
    db: Database
    clock: FakeClock
    tokens: dict[str, str]
    first_key: str
    service_id: int

    @property
    def page(self) -> str:
        return f"/services/{self.service_id}"

    def sign_in(self, handle: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": self.tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get("/services").text)
        assert found
        return found.group(1)

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)

    def trigger(self, key: str, dedup: str, **payload: Any) -> httpx.Response:
        return self.client.post(
            "/v2/enqueue",
            json={
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": dedup,
                "payload": {
                    "summary": f"Alert {dedup}",
                    "source": "db-1",
                    "severity": "critical",
                    **payload,
                },
            },
        )


@pytest.fixture
def site(sqlite_db: Database, clock: FakeClock) -> Iterator[Site]:
    tokens = {}
    with sqlite_db.write() as session:
        for handle, role in (
            ("ada", UserRole.ADMIN),
            ("rita", UserRole.RESPONDER),
            ("vic", UserRole.VIEWER),
        ):
            user = do_create_user(
                session,
                handle=handle,
                name=handle.title(),
                role=role,
                now=clock.now(),
                time_zone="Europe/Berlin" if handle == "rita" else "UTC",
            )
            tokens[handle] = do_create_token(session, user=user, now=clock.now()).secret
        created = do_create_service(
            session,
            name="checkout",
            component="Checkout",
            responders=["rita"],
            severity_rules=[
                {
                    "matchers": [{"name": "team", "value": "payments", "op": "="}],
                    "severity": "SEV-1",
                }
            ],
            now=clock.now(),
        )
        first_key, service_id = created.first_key.secret, created.service.id
        do_declare(
            session,
            title="Checkout slow",
            severity=Severity.SEV3,
            service="checkout",
            actor="rita",
            now=clock.now(),
        )
    settings = Settings(
        database_url=sqlite_db.url, base_url="http://warroom.test", intake_key_cache_seconds=0
    )
    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        yield Site(client, sqlite_db, clock, tokens, first_key, service_id)


def _flash(page: str, kind: str) -> str:
    found = re.search(rf'class="flash flash-{kind}"[^>]*>(.*?)</p>', page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _secret(page: str) -> str:
    found = re.search(r"<code data-secret>([^<]+)</code>", page)
    assert found, "no secret on the page"
    return found.group(1)


def test_it_lists_services_with_component_open_incidents_and_responders(site: Site) -> None:
    site.sign_in("vic")
    r = site.client.get("/services")
    assert r.status_code == 200
    row = r.text.split("<tbody>", 1)[1]
    assert f'href="/services/{site.service_id}">checkout</a>' in row
    assert "Checkout" in row
    assert "operational" in row
    assert "1 open" in row
    assert "@rita" in row


def test_it_shows_a_service_read_only_to_a_viewer(site: Site) -> None:
    site.sign_in("vic")
    page = site.client.get(site.page).text
    assert "team=payments" in page
    assert "SEV-1" in page
    assert "Integration keys" not in page
    assert "wri_" not in page
    assert 'action="/services/' not in page  # no forms at all
    assert "viewing this service as a" in page
    # Names work as well as ids.
    assert site.client.get("/services/checkout").status_code == 200
    assert site.client.get("/services/nope").status_code == 404


def test_an_admin_creates_a_key_seen_once_that_ingests(site: Site) -> None:
    site.sign_in("ada")
    page = site.client.get(site.page).text
    assert "Integration keys" in page
    assert site.first_key[:10] in page
    assert site.first_key not in page

    r = site.post(f"{site.page}/keys", name="prometheus-prod")
    assert r.status_code == 200  # the answer itself, not a redirect carrying the secret
    assert "location" not in r.headers
    assert r.headers["cache-control"] == "no-store"
    secret = _secret(r.text)
    assert secret.startswith("wri_")
    assert "Copy it now" in _flash(r.text, "ok")
    for url in (
        "http://warroom.test/integrations/events/v2/enqueue",
        f"http://warroom.test/integrations/alertmanager/{secret}",
        f"http://warroom.test/integrations/grafana/{secret}",
        f"http://warroom.test/integrations/webhook/{secret}",
    ):
        assert f"<code>{url}</code>" in r.text
    assert 'data-version=""' in r.text  # live refresh never swaps the secret away

    again = site.client.get(site.page).text
    assert secret not in again
    assert "prometheus-prod" in again
    assert site.trigger(secret, "from-new-key").status_code == 202


def test_an_admin_rotates_a_key_and_the_old_secret_stops_working(site: Site) -> None:
    assert site.trigger(site.first_key, "before").status_code == 202
    site.sign_in("ada")
    key_id = re.search(r'data-key-id="(\d+)"', site.client.get(site.page).text)
    assert key_id
    r = site.post(f"{site.page}/keys/{key_id.group(1)}/rotate")
    assert r.status_code == 200
    secret = _secret(r.text)
    assert secret != site.first_key
    assert "previous secret of this key has stopped working" in r.text
    assert site.trigger(site.first_key, "after-old").status_code != 202
    assert site.trigger(secret, "after-new").status_code == 202


def test_an_admin_revokes_a_key(site: Site) -> None:
    site.sign_in("ada")
    key_id = re.search(r'data-key-id="(\d+)"', site.client.get(site.page).text)
    assert key_id
    r = site.post(f"{site.page}/keys/{key_id.group(1)}/revoke")
    assert r.status_code == 303
    assert r.headers["location"] == f"{site.page}?ok=key-revoked#keys"
    page = site.client.get(r.headers["location"]).text
    assert "Integration key revoked" in _flash(page, "ok")
    assert "revoked" in page.split('id="keys"', 1)[1]
    assert site.trigger(site.first_key, "revoked").status_code != 202
    # Rotating a revoked key is refused with a reason, on the page.
    r = site.post(f"{site.page}/keys/{key_id.group(1)}/rotate")
    assert r.status_code == 409
    assert "is revoked" in _flash(r.text, "error")


@pytest.mark.parametrize("handle", ["rita", "vic"])
def test_only_admins_manage_keys(site: Site, handle: str) -> None:
    site.sign_in(handle)
    assert "Create key" not in site.client.get(site.page).text
    for path in (f"{site.page}/keys", f"{site.page}/keys/1/rotate", f"{site.page}/keys/1/revoke"):
        r = site.post(path, name="sneaky")
        assert r.status_code == 403, path
        assert "text/html" in r.headers["content-type"]
        assert "wri_" not in r.text
    assert site.trigger(site.first_key, "still-works").status_code == 202


def test_a_form_without_the_csrf_token_is_refused(site: Site) -> None:
    site.sign_in("ada")
    r = site.client.post(f"{site.page}/keys", data={"name": "x"}, follow_redirects=False)
    assert r.status_code == 403
    assert "wri_" not in r.text


def test_a_maintenance_window_suppresses_alerts_until_ended(site: Site) -> None:
    site.sign_in("rita")
    r = site.post(f"{site.page}/maintenance", duration="60", reason="DB upgrade")
    assert r.status_code == 303, r.text
    page = site.client.get(r.headers["location"]).text
    assert "Maintenance window started" in _flash(page, "ok")
    assert "DB upgrade" in page
    assert "state-active" in page

    assert site.trigger(site.first_key, "during").status_code == 202
    alerts = site.client.get("/alerts").text
    assert "suppressed: maintenance window 1: DB upgrade" in alerts

    window = re.search(rf'action="({site.page}/maintenance/\d+/end)"', page)
    assert window
    r = site.post(window.group(1))
    assert r.status_code == 303
    page = site.client.get(r.headers["location"]).text
    assert "Maintenance window ended" in _flash(page, "ok")
    assert "state-ended" in page
    assert site.trigger(site.first_key, "after").status_code == 202
    newest = site.client.get("/alerts").text.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "Alert after" in newest
    assert "/incidents/" in newest


def test_a_maintenance_window_can_end_at_a_local_time_of_the_persons_choosing(
    site: Site,
) -> None:
    site.sign_in("rita")  # in Europe/Berlin: 09:00 UTC is 10:00 there
    r = site.post(
        f"{site.page}/maintenance", duration="custom", until="2026-01-05T09:30", reason="x"
    )
    assert r.status_code == 422
    assert "already passed" in _flash(r.text, "error")
    assert 'value="x"' in r.text  # what was typed comes back
    assert 'value="2026-01-05T09:30"' in r.text

    r = site.post(f"{site.page}/maintenance", duration="custom", until="", reason="x")
    assert r.status_code == 422
    assert "choose when it ends" in _flash(r.text, "error")

    r = site.post(
        f"{site.page}/maintenance", duration="custom", until="2026-01-05T12:30", reason="y"
    )
    assert r.status_code == 303, _flash(r.text, "error")
    with site.db.read() as session:
        (window,) = list_maintenance(session, site.service_id)
        assert window.ends_at == datetime(2026, 1, 5, 11, 30, tzinfo=UTC)
    assert "2026-01-05 12:30 CET" in site.client.get(site.page).text


def test_a_silence_suppresses_only_matching_alerts_until_expired(site: Site) -> None:
    site.sign_in("rita")
    r = site.post(
        f"{site.page}/silences",
        matchers="severity=critical\nsummary=~Alert quiet.*\n# a comment line\n",
        duration="120",
        comment="known issue",
    )
    assert r.status_code == 303, _flash(r.text, "error")
    page = site.client.get(r.headers["location"]).text
    assert "Silence created" in _flash(page, "ok")
    section = page.split('id="silences"', 1)[1].split("</section>", 1)[0]
    assert "<code>severity=critical</code>" in section
    assert "<code>summary=~Alert quiet.*</code>" in section
    assert "known issue" in section
    assert "state-active" in section

    assert site.trigger(site.first_key, "quiet-1").status_code == 202
    assert site.trigger(site.first_key, "loud-1").status_code == 202
    alerts = site.client.get("/alerts").text
    rows = {
        m.group(2): m.group(1)
        for m in re.finditer(r"<tr[^>]*>(.*?Alert (quiet-1|loud-1).*?)</tr>", alerts, re.S)
    }
    assert "suppressed: silence 1: known issue" in rows["quiet-1"]
    assert "/incidents/" in rows["loud-1"]

    expire = re.search(rf'action="({site.page}/silences/\d+/expire)"', page)
    assert expire
    r = site.post(expire.group(1))
    assert r.status_code == 303
    page = site.client.get(r.headers["location"]).text
    assert "Silence expired" in _flash(page, "ok")
    assert "state-ended" in page


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ("alertname DiskFull", "line 1: 'alertname DiskFull' is not a matcher"),
        ("team=payments\n=value", "line 2: '=value' is not a matcher"),
        ("instance=~db-(", "line 1: 'db-(' is not a valid regular expression"),
        ("", "a silence needs at least one matcher"),
        ("alertname=~.*", "a silence needs at least one matcher that an empty label"),
    ],
)
def test_bad_matcher_lines_get_a_readable_message(site: Site, lines: str, said: str) -> None:
    site.sign_in("rita")
    r = site.post(f"{site.page}/silences", matchers=lines, duration="60", comment="c")
    assert 400 <= r.status_code < 500
    assert "text/html" in r.headers["content-type"]
    assert said in _flash(r.text, "error")
    assert html.escape(lines, quote=False) in r.text  # typed lines come back


def test_a_viewer_cannot_start_maintenance_or_silence(site: Site) -> None:
    site.sign_in("vic")
    for path, data in (
        (f"{site.page}/maintenance", {"duration": "60"}),
        (f"{site.page}/silences", {"matchers": "a=b", "duration": "60"}),
    ):
        r = site.post(path, **data)
        assert r.status_code == 403
        assert "viewer" in r.text
