"""The alert list, the alert page and the incident page's alerts, as a browser without
JavaScript sees them."""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.alerts.actions import IngestResult, do_ingest
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.alerts import AlertAction, AlertEvent, AlertSource
from warroom.domain.timeline import EventType
from warroom.incidents.actions import record
from warroom.incidents.repository import get_incident
from warroom.services.actions import do_create_service, do_start_maintenance
from warroom.services.repository import get_service
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
    keys: dict[str, str]

    def sign_in(self, handle: str) -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": self.tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def ingest(self, service: str = "checkout", **fields: Any) -> IngestResult:
        values: dict[str, Any] = {
            "source": AlertSource.EVENTS_V2,
            "action": AlertAction.TRIGGER,
            "alert_key": "disk-full",
            "incident_key": "disk-full",
            "summary": "Disk full on db-1",
            "severity": "critical",
            "source_name": "db-1",
        }
        values.update(fields)
        with self.db.write() as session:
            return do_ingest(
                session,
                service=get_service(session, service),
                event=AlertEvent(**values),
                now=self.clock.now(),
            )


@pytest.fixture
def site(sqlite_db: Database, clock: FakeClock) -> Iterator[Site]:
    tokens, keys = {}, {}
    with sqlite_db.write() as session:
        for handle, role in (("ada", UserRole.ADMIN), ("vic", UserRole.VIEWER)):
            user = do_create_user(
                session, handle=handle, name=handle.title(), role=role, now=clock.now()
            )
            tokens[handle] = do_create_token(session, user=user, now=clock.now()).secret
        for name in ("checkout", "search"):
            keys[name] = do_create_service(session, name=name, now=clock.now()).first_key.secret
    settings = Settings(
        database_url=sqlite_db.url, base_url="http://warroom.test", intake_key_cache_seconds=0
    )
    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        yield Site(client, sqlite_db, clock, tokens, keys)


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)


def _alert_ids(page: str) -> list[int]:
    return [int(m) for m in re.findall(r'class="c-title"><a href="/alerts/(\d+)"', page)]


def test_it_lists_alerts_newest_first_with_where_they_went(site: Site) -> None:
    first = site.ingest(summary="Disk full on db-1")
    site.clock.advance(minutes=3)
    second = site.ingest(
        service="search",
        alert_key="latency",
        incident_key="latency",
        severity="warning",
        summary="Search p99 above 2 s",
    )
    site.sign_in("vic")
    r = site.client.get("/alerts")
    assert r.status_code == 200
    assert _alert_ids(r.text) == [second.alert_id, first.alert_id]
    newest, oldest = _rows(r.text)
    assert "Search p99 above 2 s" in newest
    assert "Events API v2" in newest
    assert 'class="asev asev-warning"' in newest
    assert f'href="/incidents/{second.incident_id}"' in newest
    assert "just now" in newest
    assert "3 min ago" in oldest
    assert 'class="asev asev-critical"' in oldest


def test_it_filters_alerts_by_service_and_status(site: Site) -> None:
    site.ingest(alert_key="a", incident_key="a", summary="Alert A")
    site.ingest(alert_key="b", incident_key="b", summary="Alert B")
    site.ingest(action=AlertAction.RESOLVE, alert_key="b", incident_key="b")
    site.ingest(service="search", alert_key="c", incident_key="c", summary="Alert C")
    site.sign_in("vic")

    by_service = site.client.get("/alerts", params={"service": "checkout"}).text
    assert "Alert A" in by_service
    assert "Alert B" in by_service
    assert "Alert C" not in by_service

    resolved = site.client.get("/alerts", params={"status": "resolved"}).text
    assert "Alert B" in resolved
    assert "Alert A" not in resolved

    still_open = site.client.get("/alerts", params={"status": "open"}).text
    assert "Alert A" in still_open
    assert "Alert C" in still_open
    assert "Alert B" not in still_open

    r = site.client.get("/alerts", params={"status": "bogus", "service": "nope"})
    assert r.status_code == 400
    assert "is not an alert status" in html.unescape(r.text)
    assert "there is no service" in html.unescape(r.text)


def test_it_pages_through_alerts_with_a_cursor(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("warroom.web.pages.alerts.PAGE_SIZE", 2)
    made = [
        site.ingest(alert_key=f"k{n}", incident_key=f"k{n}", summary=f"Alert number {n}").alert_id
        for n in range(5)
    ]
    site.sign_in("vic")
    seen: list[int] = []
    url = "/alerts?service=checkout"
    for _ in range(5):
        page = site.client.get(url).text
        seen += _alert_ids(page)
        older = re.search(r'href="(/alerts\?[^"]*cursor=[^"]+)">Older', page)
        if older is None:
            break
        url = html.unescape(older.group(1))
        assert "service=checkout" in url
    assert seen == list(reversed(made))

    r = site.client.get("/alerts", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400
    assert "cursor" in r.text


def test_it_shows_an_alert_with_its_labels_annotations_details_and_links(site: Site) -> None:
    result = site.ingest(
        labels={"alertname": "DiskFull", "instance": "db-1:9100"},
        annotations={
            "description": "Less than 1% left on /var",
            "runbook_url": "https://runbooks.example/disk",
        },
        details={"custom_details": {"free_bytes": 1024, "mount": "/var"}},
        links=[{"href": "https://grafana.example/d/disk?var=1&x=2", "text": "Dashboard"}],
    )
    site.sign_in("vic")
    r = site.client.get(f"/alerts/{result.alert_id}")
    assert r.status_code == 200
    page = r.text
    assert "Disk full on db-1" in page
    assert '<th scope="row">alertname</th><td>DiskFull</td>' in page
    assert '<th scope="row">instance</th><td>db-1:9100</td>' in page
    assert "Less than 1% left on /var" in page
    assert (
        '<a href="https://runbooks.example/disk" rel="noopener noreferrer" target="_blank">' in page
    )
    assert (
        '<a href="https://grafana.example/d/disk?var=1&amp;x=2" rel="noopener noreferrer"' in page
    )
    assert "&#34;free_bytes&#34;: 1024" in page or "&quot;free_bytes&quot;: 1024" in page
    assert f'href="/incidents/{result.incident_id}"' in page
    assert "Events API v2" in page


def test_it_escapes_hostile_alert_content_and_never_links_javascript(site: Site) -> None:
    result = site.ingest(
        summary="<script>alert('summary')</script>",
        labels={"<script>": "<script>alert(1)</script>"},
        annotations={"note": "<img src=x onerror=alert(2)>"},
        details={"x": "</pre><script>alert(3)</script>"},
        links=[
            {"href": "javascript:alert(4)", "text": "click me"},
            {"href": " javascript:alert(5)", "text": "spaced"},
            {"href": "data:text/html,<script>alert(6)</script>", "text": "data"},
            {"href": "//evil.example/", "text": "relative"},
        ],
    )
    site.sign_in("vic")
    page = site.client.get(f"/alerts/{result.alert_id}").text
    assert "<script>" not in page.split("</head>", 1)[1]
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href=" javascript:' not in page
    assert 'href="data:' not in page
    assert 'href="//evil' not in page
    assert "click me" in page  # shown, as text
    assert "not a web link" in page

    listing = site.client.get("/alerts").text
    assert "<script>alert" not in listing
    assert "&lt;script&gt;alert(&#39;summary&#39;)&lt;/script&gt;" in listing


def test_it_says_why_a_suppressed_alert_opened_no_incident(site: Site) -> None:
    with site.db.write() as session:
        do_start_maintenance(
            session,
            service=get_service(session, "checkout"),
            ends_at=site.clock.now() + timedelta(hours=1),
            reason="DB upgrade",
            actor="ada",
            now=site.clock.now(),
        )
    result = site.ingest()
    assert result.incident_id is None
    site.sign_in("vic")
    listing = site.client.get("/alerts").text
    assert "suppressed: maintenance window 1: DB upgrade" in listing
    detail = site.client.get(f"/alerts/{result.alert_id}").text
    assert "Suppressed by maintenance window 1: DB upgrade" in detail


def test_it_answers_a_missing_alert_with_a_404_page(site: Site) -> None:
    site.sign_in("vic")
    r = site.client.get("/alerts/999")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "no alert with id 999" in r.text


def test_it_lists_an_incidents_alerts_and_its_room_on_the_incident_page(site: Site) -> None:
    first = site.ingest(alert_key="db-1", summary="Disk full on db-1")
    second = site.ingest(alert_key="db-2", summary="Disk full on db-2", severity="warning")
    assert first.incident_id == second.incident_id is not None
    incident_id = first.incident_id
    with site.db.write() as session:
        incident = get_incident(session, incident_id)
        incident.room_url = "https://chat.example/rooms/incident-1"
        now = site.clock.now()
        record(
            session,
            incident,
            EventType.ROOM_OPENED,
            actor="warroom",
            at=now,
            adapter="slack",
            name="incident-1",
            url=incident.room_url,
        )
        record(
            session,
            incident,
            EventType.ROOM_INVITED,
            actor="warroom",
            at=now,
            invited=["U1", "U2"],
            failed=["U3"],
            skipped=["vic"],
            handles={"U1": "ada", "U2": "rita", "U3": "ghost"},
        )
        record(
            session,
            incident,
            EventType.COMPONENT_STATUS_CHANGED,
            actor="warroom",
            at=now,
            component="checkout",
            automatic=True,
            **{"from": "operational", "to": "major_outage"},
        )
        record(
            session,
            incident,
            EventType.ROOM_MESSAGE_POSTED,
            actor="warroom",
            at=now,
            adapter="slack",
            text="We are investigating",
        )
        record(
            session,
            incident,
            EventType.AUTOMATION_FAILED,
            actor="warroom",
            at=now,
            task="open_room",
            attempts=5,
            error="missing scope channels:manage",
            permanent=True,
        )
    site.sign_in("vic")
    page = site.client.get(f"/incidents/{incident_id}").text
    section = page.split('id="alerts"', 1)[1].split("</section>", 1)[0]
    assert f'href="/alerts/{first.alert_id}"' in section
    assert f'href="/alerts/{second.alert_id}"' in section
    assert "Disk full on db-2" in section
    assert "2 open" in section
    assert (
        '<a class="room-link" href="https://chat.example/rooms/incident-1" '
        'rel="noopener noreferrer"' in page
    )
    text = html.unescape(page)
    assert f"Alert #{first.alert_id} attached (critical, db-1): Disk full on db-1" in text
    assert "Status page: checkout operational → major outage (automatically)" in text
    assert "Incident room incident-1 opened on Slack: https://chat.example/rooms/incident-1" in text
    assert (
        "Invited @ada, @rita to the incident room; could not invite @ghost; no chat id for @vic"
        in text
    )
    assert "Message posted in the incident room on Slack" in text
    assert (
        "Automation failed after 5 attempts: opening the incident room — "
        "missing scope channels:manage" in text
    )


def test_it_shows_alerts_in_the_navigation(site: Site) -> None:
    site.sign_in("vic")
    page = site.client.get("/incidents").text
    assert '<a href="/alerts">Alerts</a>' in page
    assert '<a href="/services">Services</a>' in page
