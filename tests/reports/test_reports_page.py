"""The reports page (/reports) as a signed-in browser without JavaScript sees it, on real
incidents: headline figures against the period before, severities beside their targets,
breakdowns, filters, the inline charts, on-call load, and the CSV download."""

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_acknowledge, do_declare, do_resolve
from warroom.paging.models import Page, PageState
from warroom.services.actions import do_create_service
from warroom.services.repository import get_service
from warroom.settings import Settings
from warroom.teams.models import Team
from warroom.users.actions import do_create_token, do_create_user
from warroom.users.models import UserRole
from warroom.users.repository import find_user
from warroom.web.app import create_app

EVIL = '<img src=x onerror="alert(1)">'


@dataclass(frozen=True)
class Site:
    client: TestClient
    db: Database
    clock: FakeClock
    tokens: dict[str, str]
    now: datetime

    def sign_in(self, handle: str = "vic") -> None:
        self.client.cookies.clear()
        r = self.client.post("/login", data={"token": self.tokens[handle]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def get(self, query: str = "") -> httpx.Response:
        return self.client.get(f"/reports{query}")

    def declare(
        self,
        severity: Severity,
        *,
        at: datetime,
        service: str = "checkout",
        ack_after: float | None = None,
        resolve_after: float | None = None,
        drill: bool = False,
    ) -> int:
        with self.db.write() as s:
            incident_id = do_declare(
                s,
                title=f"{severity} on {service}",
                severity=severity,
                service=service,
                actor="rita",
                now=at,
                drill=drill,
            ).id
        for after, act in ((ack_after, do_acknowledge), (resolve_after, do_resolve)):
            if after is not None:
                with self.db.write() as s:
                    act(s, incident_id=incident_id, actor="rita", now=at + timedelta(minutes=after))
        return incident_id


@pytest.fixture
def site(sqlite_db: Database, clock: FakeClock) -> Iterator[Site]:
    tokens = {}
    now = clock.now()
    with sqlite_db.write() as s:
        for handle, role, zone in (
            ("ada", UserRole.ADMIN, "UTC"),
            ("rita", UserRole.RESPONDER, "Europe/Berlin"),
            ("vic", UserRole.VIEWER, "America/New_York"),
        ):
            user = do_create_user(
                s, handle=handle, name=handle.title(), role=role, time_zone=zone, now=now
            )
            tokens[handle] = do_create_token(s, user=user, now=now).secret
        team = Team(name="payments", description="", created_at=now)
        s.add(team)
        for name in ("checkout", "search", EVIL):
            do_create_service(s, name=name, now=now)
        s.flush()
        get_service(s, "checkout").team_id = team.id
    settings = Settings(database_url=sqlite_db.url, base_url="http://warroom.test")
    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        site = Site(client, sqlite_db, clock, tokens, now)
        # This period (the last 30 days): acknowledged in 10, 40 and 20 minutes.
        site.declare(Severity.SEV1, at=now - timedelta(days=10), ack_after=10, resolve_after=60)
        site.declare(Severity.SEV2, at=now - timedelta(days=3), ack_after=40, resolve_after=120)
        site.declare(Severity.SEV3, at=now - timedelta(days=2), service="search", ack_after=20)
        # The 30 days before: one SEV-1, acknowledged in 30 minutes.
        site.declare(Severity.SEV1, at=now - timedelta(days=40), ack_after=30, resolve_after=90)
        site.sign_in("vic")
        yield site


def flash(page: str) -> str:
    found = re.search(r'class="flash flash-error" role="alert">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def tile(page: str, label: str) -> str:
    found = re.search(rf'data-figure="{label}">(.*?)</div>\s*</div>', page, re.S)
    assert found, f"no {label} figure"
    return text_of(found.group(1) + "</div>")


def row(page: str, marker: str) -> str:
    found = re.search(
        rf"<tr[^>]*>\s*<th[^>]*>(?:(?!</tr>).)*{marker}(?:(?!</tr>).)*</tr>", page, re.S
    )
    assert found, f"no row with {marker}"
    return text_of(found.group(0))


def table(page: str, name: str) -> str:
    found = re.search(rf'data-table="{name}">(.*?)</table>', page, re.S)
    return text_of(found.group(1)) if found else ""


def charts(page: str) -> list[ET.Element]:
    return [
        ET.fromstring(svg)  # noqa: S314 -- our own page, parsed to check it
        for svg in re.findall(r"<svg .*?</svg>", page, re.S)
    ]


# --- reading it ---------------------------------------------------------------------------


def test_it_needs_signing_in(site: Site) -> None:
    site.client.cookies.clear()
    r = site.client.get("/reports?period=7", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/reports")


def test_it_compares_the_headline_figures_with_the_period_before(site: Site) -> None:
    r = site.get()
    assert r.status_code == 200, flash(r.text)
    incidents = tile(r.text, "Incidents")
    assert incidents.startswith("Incidents 3 ")
    assert "2 more than the 30 days before (1)" in incidents
    mtta = tile(r.text, "MTTA")
    assert "23 min" in mtta  # (10 + 40 + 20) / 3
    assert "6 min faster than the 30 days before (30 min)" in mtta
    assert 'report-better" data-figure="MTTA"' in r.text
    assert 'report-worse" data-figure="Incidents"' in r.text
    for label in ("MTTD", "MTTR", "MTTF", "Within target", "Repeats"):
        assert tile(r.text, label)


def test_it_sets_each_severity_beside_its_response_target(site: Site) -> None:
    page = site.get().text
    sev2 = row(page, "sev-sev-2")
    assert "40 min over target 30 min" in sev2
    sev1 = row(page, "sev-sev-1")
    assert "10 min 15 min 100%" in sev1
    assert "over target" not in sev1
    # No SEV-4 in the period: its target is still there to read.
    sev4 = row(page, "sev-sev-4")
    assert "SEV-4 0 — 24 h —" in sev4


def test_it_breaks_the_figures_down_by_service_and_team(site: Site) -> None:
    page = site.get().text
    services = table(page, "service")
    assert "checkout 2" in services
    assert "search 1" in services
    assert "payments 2" in table(page, "team")
    # Each name narrows the same period to it.
    assert 'href="/reports?period=30&amp;service=search"' in page


def test_it_narrows_to_one_service_or_team(site: Site) -> None:
    page = site.get("?service=search").text
    assert tile(page, "Incidents").startswith("Incidents 1 ")
    assert "checkout" not in table(page, "service")
    assert '<option value="search" selected>' in page
    page = site.get("?team=payments").text
    assert tile(page, "Incidents").startswith("Incidents 2 ")
    assert "search" not in table(page, "service")


def test_it_counts_drills_only_when_asked(site: Site) -> None:
    site.declare(Severity.SEV1, at=site.now - timedelta(days=1), ack_after=2, drill=True)
    assert tile(site.get().text, "Incidents").startswith("Incidents 3 ")
    page = site.get("?drill=1").text
    assert tile(page, "Incidents").startswith("Incidents 1 ")
    assert "Drills triggered the last 30 days" in text_of(page)
    assert 'name="drill" value="1" checked' in page
    assert '&amp;drill=true"' in page  # the JSON link asks for drills too


def test_it_offers_the_last_7_30_and_90_days(site: Site) -> None:
    page = site.get("?period=7").text
    assert tile(page, "Incidents").startswith("Incidents 2 ")
    assert "the 7 days before" in tile(page, "Incidents")
    assert 'class="tab tab-active" href="/reports?period=7"' in page
    page = site.get("?period=90").text
    assert tile(page, "Incidents").startswith("Incidents 4 ")


def test_it_takes_a_custom_period_in_the_readers_time_zone(site: Site) -> None:
    # 2026-01-01 03:00 UTC is still New Year's Eve in New York, where vic reads.
    site.declare(Severity.SEV4, at=datetime.fromisoformat("2026-01-01T03:00:00+00:00"))
    page = site.get("?since=2025-12-31&until=2025-12-31").text
    assert tile(page, "Incidents").startswith("Incidents 1 ")
    assert "2025-12-31 to 2025-12-31" in text_of(page)
    assert "the 1 day before" in tile(page, "Incidents")
    assert '<span class="tab tab-active">Custom</span>' in page
    assert 'name="since" value="2025-12-31"' in page
    site.sign_in("ada")  # UTC: that evening is already the new year
    page = site.get("?since=2025-12-31&until=2025-12-31").text
    assert tile(page, "Incidents").startswith("Incidents 0 ")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("?since=31/12/2025", "'31/12/2025' is not a date for since (use YYYY-MM-DD)"),
        ("?since=2026-01-01&until=2025-12-01", "the period ends (2025-12-01) before it starts"),
        ("?until=2025-12-01", "a custom period needs its first day (since)"),
        ("?since=2001-01-01", "a period can be at most 1098 days long"),
        ("?period=365", "'365' is not a period; showing the last 30 days"),
        ("?service=nope", "there is no service 'nope'; showing every service"),
        ("?team=nope", "there is no team 'nope'; showing every team"),
        ("?drill=maybe", "'maybe' is not a drills choice"),
        # The period before and the day after have no date this close to the calendar's ends.
        ("?since=9999-12-31&until=9999-12-31", "since must lie between 1970-01-01 and 9000-12-31"),
        ("?since=0001-01-01&until=0001-01-05", "since must lie between 1970-01-01 and 9000-12-31"),
        (f"?service={'x' * 101}", "This address is not valid"),
    ],
)
def test_it_explains_a_bad_filter_instead_of_failing(site: Site, query: str, said: str) -> None:
    r = site.get(query)
    assert r.status_code == 400
    assert said in (flash(r.text) or html.unescape(r.text))
    if "address" not in said:
        # The rest of the page still answers, with the default in place of the bad part.
        assert tile(r.text, "Incidents")


def test_it_draws_the_three_charts_inline(site: Site) -> None:
    page = site.get().text
    drawn = charts(page)
    assert [c.get("aria-label") for c in drawn] == [
        "MTTA and MTTR per week",
        "Incidents per week, by severity",
        "On-call load: pages per person",
    ]
    trend, weekly, load = drawn
    assert trend.findall(".//{http://www.w3.org/2000/svg}circle")
    bars = [el for el in weekly.iter() if "chart-bar" in el.get("class", "").split()]
    assert len(bars) == 3  # three incidents, in three week/severity pieces
    # Nobody was paged (no escalation policy): the load chart says so.
    assert "No pages in this period" in "".join(load.itertext())
    # Nothing from elsewhere: no CDN, no script beyond warroom's own.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_it_shows_each_persons_on_call_load(site: Site) -> None:
    at_night = datetime.fromisoformat("2026-01-01T02:00:00+00:00")  # 03:00 in Berlin
    incident_id = site.declare(Severity.SEV1, at=at_night, ack_after=5)
    with site.db.write() as s:
        rita = find_user(s, "rita")
        assert rita is not None
        s.add(
            Page(
                incident_id=incident_id,
                loop=1,
                level=0,
                user_id=rita.id,
                contact="json://example.invalid/hook",
                state=PageState.SENT,
                attempts=1,
                created_at=at_night,
                sent_at=at_night,
            )
        )
    page = site.get().text
    load = table(page, "load")
    assert "Rita @rita Europe/Berlin 1 1 1 1" in load
    (bars,) = [c for c in charts(page) if c.get("aria-label", "").startswith("On-call")]
    assert [
        el.get("class") for el in bars.iter() if "chart-bar" in el.get("class", "").split()
    ] == ["chart-bar k-sleep"]


def test_it_escapes_names_people_typed(site: Site) -> None:
    site.declare(Severity.SEV3, at=site.now - timedelta(days=1), service=EVIL, ack_after=1)
    page = site.get().text
    assert EVIL not in page
    assert "&lt;img src=x onerror=" in page


def test_it_links_to_the_same_figures_as_json_and_csv(site: Site) -> None:
    page = site.get("?service=search").text
    found = re.search(r'href="(/api/v1/reports/incidents\?[^"]+)"', page)
    assert found
    link = html.unescape(found.group(1))
    assert "service=search" in link
    assert "since=2025-12-06T09%3A00%3A00%2B00%3A00" in link
    r = site.client.get(link, headers={"Authorization": f"Bearer {site.tokens['vic']}"})
    assert r.status_code == 200, r.text
    assert r.json()["total_incidents"] == 1
    assert list(r.json()["by_service"]) == ["search"]
    assert 'href="/reports.csv?period=30&amp;service=search"' in page


def test_it_downloads_the_report_as_csv(site: Site) -> None:
    with site.db.write() as s:
        do_create_service(s, name="=cmd()", now=site.now)
    site.declare(Severity.SEV3, at=site.now - timedelta(days=1), service="=cmd()")
    r = site.client.get("/reports.csv?period=30")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="warroom-report-20251206-20260105.csv"' in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0].startswith("scope,name,total_incidents,mtta_minutes")
    overall = lines[1].split(",")
    assert overall[:4] == ["overall", "", "4", "23.3333"]
    assert any(line.startswith("service,search,1,20,") for line in lines)
    assert any(line.startswith("team,payments,2,") for line in lines)
    # A name that a spreadsheet would run as a formula stays text.
    assert any(line.startswith("service,'=cmd(),1,") for line in lines)


def test_a_bad_filter_downloads_nothing(site: Site) -> None:
    r = site.client.get("/reports.csv?since=soon")
    assert r.status_code == 400
    assert "'soon' is not a date" in html.unescape(r.text)
