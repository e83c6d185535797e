"""What the public sees on /status and the incident and maintenance pages, for a known set
of data, on SQLite and PostgreSQL: the banner, components with 90 days of uptime bars,
open incidents with their public updates, maintenance, the last 14 days, the configured
title/logo/links, times in the page's zone, and the public 404."""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.components import ComponentStatus
from warroom.domain.severity import Severity
from warroom.domain.statuspage import UptimeDay
from warroom.settings import Settings
from warroom.statuspage.component_actions import do_update_component
from warroom.statuspage.html_view import uptime_label
from warroom.web.app import create_app

# --- a small DOM over the stdlib parser (the project has no HTML library) -------------

_VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    # Text and elements, in document order.
    items: list["Node | str"] = field(default_factory=list)

    @property
    def children(self) -> list["Node"]:
        return [item for item in self.items if isinstance(item, Node)]

    @property
    def text(self) -> str:
        """All text inside, whitespace collapsed."""
        out: list[str] = []

        def walk(node: Node) -> None:
            for item in node.items:
                if isinstance(item, str):
                    out.append(item)
                else:
                    walk(item)

        walk(self)
        return " ".join(" ".join(out).split())

    def all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        """Every descendant with this tag whose attributes contain these values (for
        `class_`, one of its classes)."""
        found: list[Node] = []

        def matches(node: Node) -> bool:
            if tag is not None and node.tag != tag:
                return False
            for key, wanted in attrs.items():
                if key == "class_":
                    if wanted not in node.attrs.get("class", "").split():
                        return False
                elif node.attrs.get(key) != wanted:
                    return False
            return True

        def walk(node: Node) -> None:
            for child in node.children:
                if matches(child):
                    found.append(child)
                walk(child)

        walk(self)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> "Node":
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].items.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self.stack) - 1, 0, -1):
            if self.stack[n].tag == tag:
                del self.stack[n:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].items.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def headings(root: Node) -> list[tuple[int, str]]:
    """(level, text) of every h1-h6 in document order."""
    found: list[tuple[int, str]] = []

    def walk(node: Node) -> None:
        for child in node.children:
            if re.fullmatch(r"h[1-6]", child.tag):
                found.append((int(child.tag[1]), child.text))
            walk(child)

    walk(root)
    return found


# --- the world -------------------------------------------------------------------------

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# The API's partial outage: 72 minutes from 10:00 Berlin time on 25 January.
OUTAGE_AT = datetime(2026, 1, 25, 9, 0, tzinfo=UTC)
OUTAGE_MINUTES = 72
NOW = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)  # 11:00 CEST


def page_settings(db: Database, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db.url,
        "base_url": "http://warroom.test",
        "status_page_title": "Acme Status",
        "status_page_logo_url": "/static/acme-logo.png",
        "status_page_links": [
            {"label": "Acme home", "url": "https://acme.example"},
            {"label": "Support", "url": "https://acme.example/support"},
        ],
        "status_page_time_zone": "Europe/Berlin",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def acme(db: Database, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(page_settings(db), db=db, clock=clock)) as client:
        yield client


def set_status(data: StatusData, name: str, status: ComponentStatus) -> None:
    with data.db.write() as s:
        do_update_component(s, ref=name, manual_status=status, now=data.now())


@dataclass(frozen=True)
class World:
    open_id: int
    past_id: int
    maintenance_code: str


def build_world(data: StatusData) -> World:
    data.clock.set(START)
    data.group("Platform", description="Core platform")
    data.component("API", group="Platform", description="The public REST API")
    data.component("Database", group="Platform")
    data.component("Website")
    data.component("Billing worker", public=False)
    data.service("checkout")
    data.user("ann", "Ann Commander")

    data.clock.set(OUTAGE_AT)
    set_status(data, "API", ComponentStatus.PARTIAL_OUTAGE)
    data.clock.advance(minutes=OUTAGE_MINUTES)
    set_status(data, "API", ComponentStatus.OPERATIONAL)

    data.clock.set(NOW - timedelta(days=3))
    past = data.incident(
        title="grafana dashboards slow (pg replica lag)",
        service="checkout",
        severity=Severity.SEV3,
        description="replica lag on pg-2, see runbook",
        public_title="Slow dashboards",
    )
    data.update(past, body="Dashboards load slowly.", public=True, kind=UpdateKind.INITIAL)
    data.clock.advance(minutes=30)
    data.update(
        past,
        body="Dashboards are fast again.",
        public=True,
        status=UpdateStatus.RESOLVED,
        kind=UpdateKind.RESOLUTION,
    )

    data.clock.set(NOW - timedelta(minutes=20))
    open_id = data.incident(
        title="db primary OOM in eu-1",
        service="checkout",
        severity=Severity.SEV1,
        description="oom-killer on db-primary-1",
        public_title="Elevated API errors",
        components={"API": "major_outage"},
        commander="ann",
    )
    data.update(open_id, body="We are looking into it.", public=True, kind=UpdateKind.INITIAL)
    data.clock.advance(minutes=10)
    data.update(open_id, body="INTERNAL: rollback of deploy 4411", public=False)
    data.clock.advance(minutes=10)
    data.update(
        open_id,
        body="A fix is rolling out.\nErrors are dropping.",
        public=True,
        status=UpdateStatus.IDENTIFIED,
    )
    maintenance = data.maintenance(
        name="Database upgrade",
        body="Upgrading the database.",
        components=["Database"],
        starts_in=timedelta(days=1),
    )
    assert data.now() == NOW
    return World(open_id, past, maintenance.code)


# --- /status ----------------------------------------------------------------------------


def test_it_shows_the_banner_components_incidents_maintenance_and_history(
    status_data: StatusData, acme: TestClient
) -> None:
    world = build_world(status_data)
    r = acme.get("/status")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = dom(r.text)

    # The overall state: colour for a glance, words for everyone.
    banner = page.one("section", class_="sp-banner")
    assert "sp-banner-critical" in banner.attrs["class"]
    assert "Major System Outage" in banner.text

    # Components in page order, with their state in words.
    rows = page.all("li", class_="sp-component")
    assert [r.one(class_="sp-component-name").text.split(" The ")[0] for r in rows] == [
        "API",
        "Database",
        "Website",
    ]
    assert [r.one("span", class_="sp-state").text for r in rows] == [
        "Major outage",
        "Operational",
        "Operational",
    ]
    group = page.one("li", class_="sp-group")
    assert group.one("summary").text.startswith("Platform")
    assert "open" in group.one("details").attrs  # something in it is wrong: unfolded
    assert "Billing worker" not in r.text

    # The open incident with every public update, newest first; never the internal one.
    section = page.one("section", **{"aria-labelledby": "open-incidents"})
    [article] = section.all("article")
    code = status_data.public_code(world.open_id)
    assert article.one("a").attrs["href"] == f"/status/incidents/{code}"
    assert article.one("a").text == "Elevated API errors"
    assert "Impact: Critical" in article.text
    updates = article.all("li", class_="sp-update")
    assert [u.one("strong").text for u in updates] == ["Identified", "Investigating"]
    assert updates[0].one("p", class_="sp-update-body").text == (
        "A fix is rolling out. Errors are dropping."
    )
    # Times in the page's zone, named.
    assert updates[0].one("time").text == "Apr 10, 2026 11:00 CEST"
    assert updates[1].one("time").text == "Apr 10, 2026 10:40 CEST"
    assert "INTERNAL" not in r.text
    assert "OOM" not in r.text

    # Upcoming maintenance.
    maintenance = page.one("section", **{"aria-labelledby": "maintenance"})
    link = maintenance.one("a")
    assert link.text == "Database upgrade"
    assert link.attrs["href"] == f"/status/maintenances/{world.maintenance_code}"
    assert "Scheduled" in maintenance.text
    assert "Apr 11, 2026 11:00 CEST" in maintenance.text

    # Past incidents: 14 days, today first, quiet days saying so.
    past = page.one("section", **{"aria-labelledby": "past"})
    days = past.all("div", class_="sp-day")
    assert [d.one("h3").text for d in days] == [
        (NOW.date() - timedelta(days=n)).strftime("%b %d, %Y").replace(" 0", " ") for n in range(14)
    ]
    assert days[0].one("h3").text == "Apr 10, 2026"
    assert [a.text for a in days[0].all("h4")] == ["Elevated API errors"]
    assert [a.text for a in days[3].all("h4")] == ["Slow dashboards"]
    assert "Dashboards are fast again." in days[3].text
    quiet = [d for d in days if "No incidents reported." in d.text]
    assert len(quiet) == 12


def test_every_component_has_ninety_bars_labelled_with_the_days_uptime(
    status_data: StatusData, acme: TestClient
) -> None:
    build_world(status_data)
    page = dom(acme.get("/status").text)
    api = next(r for r in page.all("li", class_="sp-component") if "API" in r.text)
    bars = api.all("li", class_="sp-bar")
    assert len(bars) == 90
    for row in page.all("li", class_="sp-component"):
        assert len(row.all("li", class_="sp-bar")) == 90
        assert all(b.attrs["role"] == "img" and b.attrs["title"] for b in row.all("li"))

    # The outage day, worked out here from the raw facts: 72 minutes of partial outage,
    # which Statuspage counts at 30% weight, out of a 24-hour day.
    day = OUTAGE_AT.date().isoformat()
    down_share = 0.3 * OUTAGE_MINUTES / (24 * 60)
    expected = f"{day}: {100 * (1 - down_share):.1f}% uptime, partial outage 1 h 12 min"
    assert expected == "2026-01-25: 98.5% uptime, partial outage 1 h 12 min"
    [outage] = [b for b in bars if b.attrs["title"].startswith(day)]
    assert outage.attrs["title"] == expected
    assert "sp-bar-partial_outage" in outage.attrs["class"]
    # The oldest bar is 89 days before today; a quiet day says so.
    assert bars[0].attrs["title"] == "2026-01-11: 100% uptime, no downtime"
    # Today (up to now, 11:00 CEST) the open SEV-1 has had the API in a major outage for
    # the last 20 minutes.
    today_share = 1 - 20 / (11 * 60)
    assert bars[-1].attrs["title"] == (
        f"2026-04-10: {100 * today_share:.1f}% uptime, major outage 20 min"
    )
    assert "sp-bar-major_outage" in bars[-1].attrs["class"]
    quiet = [b for b in bars if "sp-bar-operational" in b.attrs["class"]]
    assert len(quiet) == 88

    share = (88 + (1 - down_share) + today_share) / 90
    assert api.one("span", class_="sp-uptime").text == f"{100 * share:.2f}% uptime"
    website = next(r for r in page.all("li", class_="sp-component") if "Website" in r.text)
    assert website.one("span", class_="sp-uptime").text == "100% uptime"


def test_days_before_a_component_existed_show_as_no_data(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.clock.set(NOW - timedelta(days=2))
    status_data.component("Search")
    status_data.clock.set(NOW)
    page = dom(acme.get("/status").text)
    bars = page.one("li", class_="sp-component").all("li", class_="sp-bar")
    assert len(bars) == 90
    assert ["sp-bar-none" in b.attrs["class"] for b in bars].count(True) == 87
    assert bars[0].attrs["title"] == "2026-01-11: no data"
    assert "sp-bar-operational" in bars[-1].attrs["class"]


def test_it_carries_the_configured_title_logo_links_and_feeds(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.component("API")
    r = acme.get("/status")
    page = dom(r.text)
    assert page.one("title").text == "Acme Status"
    h1 = page.one("h1")
    assert h1.one("img").attrs == {
        "class": "sp-logo",
        "src": "/static/acme-logo.png",
        "alt": "Acme Status",
    }
    header_links = page.one("header").all("a")
    assert [(a.text, a.attrs["href"]) for a in header_links[1:]] == [
        ("Acme home", "https://acme.example"),
        ("Support", "https://acme.example/support"),
        ("Subscribe to updates", "/status/subscribe"),
    ]
    footer = page.one("footer")
    assert "Acme home" in footer.text
    assert "Times are shown in Europe/Berlin" in footer.text
    [atom] = page.all("link", rel="alternate", type="application/atom+xml")
    assert atom.attrs["href"] == "/status/history.atom"
    [viewport] = page.all("meta", name="viewport")
    assert "width=device-width" in viewport.attrs["content"]
    # Its own stylesheet only: none of the staff app's, nothing from elsewhere, no script.
    assert [s.attrs["href"].split("?")[0] for s in page.all("link", rel="stylesheet")] == [
        "/static/status.css"
    ]
    assert page.all("script") == []
    assert "/incidents" not in r.text.replace("/status/incidents", "")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_it_uses_landmarks_and_headings_in_order(status_data: StatusData, acme: TestClient) -> None:
    world = build_world(status_data)
    code = status_data.public_code(world.open_id)
    for path in (
        "/status",
        f"/status/incidents/{code}",
        f"/status/maintenances/{world.maintenance_code}",
        "/status/incidents/nope",
    ):
        page = dom(acme.get(path).text)
        for landmark in ("header", "main", "footer", "nav"):
            assert page.all(landmark), f"{path}: no <{landmark}>"
        assert page.one("html").attrs["lang"] == "en"
        levels = [level for level, _ in headings(page)]
        assert levels[0] == 1, (path, levels)
        assert levels.count(1) == 1, (path, levels)
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (path, levels)


def test_an_empty_page_is_all_operational_with_fourteen_quiet_days(acme: TestClient) -> None:
    page = dom(acme.get("/status").text)
    banner = page.one("section", class_="sp-banner")
    assert "sp-banner-none" in banner.attrs["class"]
    assert "All Systems Operational" in banner.text
    assert "No components are listed yet." in page.text
    assert page.text.count("No incidents reported.") == 14


def test_healthy_groups_start_folded(status_data: StatusData, acme: TestClient) -> None:
    status_data.group("Platform")
    status_data.component("API", group="Platform")
    details = dom(acme.get("/status").text).one("details")
    assert "open" not in details.attrs
    assert len(details.all("li", class_="sp-bar")) == 90  # there, one click away


def test_uptime_bars_can_be_turned_off(status_data: StatusData, db: Database) -> None:
    status_data.component("API")
    app = create_app(
        page_settings(db, status_page_show_uptime=False), db=db, clock=status_data.clock
    )
    with TestClient(app) as client:
        page = dom(client.get("/status").text)
    assert page.all("li", class_="sp-bar") == []
    assert page.one("li", class_="sp-component").one("span", class_="sp-state").text == (
        "Operational"
    )


def test_a_running_maintenance_shows_with_its_components_under_maintenance(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.component("Database")
    m = status_data.maintenance(name="Disk swap", body="Swapping disks.", components=["Database"])
    from warroom.domain.statuspage import MaintenanceStatus
    from warroom.statuspage.maintenances import do_move_maintenance

    status_data.clock.advance(hours=1)
    with status_data.db.write() as s:
        do_move_maintenance(
            s, ref=m.code, status=MaintenanceStatus.IN_PROGRESS, actor="t", now=status_data.now()
        )
    page = dom(acme.get("/status").text)
    assert "Service Under Maintenance" in page.one("section", class_="sp-banner").text
    assert "sp-banner-maintenance" in page.one("section", class_="sp-banner").attrs["class"]
    section = page.one("section", **{"aria-labelledby": "maintenance"})
    assert "In progress" in section.text
    assert page.one("li", class_="sp-component").one("span", class_="sp-state").text == (
        "Under maintenance"
    )


# --- the incident and maintenance pages -------------------------------------------------


def test_the_incident_page_shows_title_impact_components_and_every_update(
    status_data: StatusData, acme: TestClient
) -> None:
    world = build_world(status_data)
    code = status_data.public_code(world.open_id)
    r = acme.get(f"/status/incidents/{code}")
    assert r.status_code == 200
    page = dom(r.text)
    assert page.one("h1").text == "Elevated API errors"
    assert page.one("title").text == "Elevated API errors · Acme Status"
    facts = page.one("dl").text
    assert "Status Identified" in facts
    assert "Impact Critical" in facts
    assert "Started Apr 10, 2026 10:40 CEST" in facts
    assert "Responders" not in facts
    assert "Ann" not in r.text
    assert [li.text for li in page.one("ul", class_="sp-affected").all("li")] == ["API"]
    bodies = [u.one("p", class_="sp-update-body").text for u in page.all("li", class_="sp-update")]
    assert bodies == ["A fix is rolling out. Errors are dropping.", "We are looking into it."]
    assert "INTERNAL" not in r.text
    assert "db primary" not in r.text


def test_the_incident_page_names_responders_only_when_the_incident_shows_them(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.service("checkout")
    status_data.user("ann", "Ann Commander")
    shown = status_data.incident(
        title="x",
        service="checkout",
        public_title="Login errors",
        commander="ann",
        show_responders=True,
    )
    page = dom(acme.get(f"/status/incidents/{status_data.public_code(shown)}").text)
    assert "Responders Ann Commander" in page.one("dl").text
    assert "@ann" not in page.text


def test_a_resolved_incident_page_says_when_it_ended(
    status_data: StatusData, acme: TestClient
) -> None:
    world = build_world(status_data)
    page = dom(acme.get(f"/status/incidents/{status_data.public_code(world.past_id)}").text)
    facts = page.one("dl").text
    assert "Status Resolved" in facts
    assert "Impact Minor" in facts
    assert "Resolved Apr 7, 2026" in facts.replace("Apr 07", "Apr 7")


def test_the_maintenance_page_shows_its_window_components_and_updates(
    status_data: StatusData, acme: TestClient
) -> None:
    world = build_world(status_data)
    page = dom(acme.get(f"/status/maintenances/{world.maintenance_code}").text)
    assert page.one("h1").text == "Database upgrade"
    assert "Apr 11, 2026 11:00 CEST \u2013 Apr 11, 2026 13:00 CEST" in page.one("dl").text
    assert [li.text for li in page.one("ul", class_="sp-affected").all("li")] == ["Database"]
    assert "Upgrading the database." in page.text


@pytest.mark.parametrize("path", ["/status/incidents/nope", "/status/maintenances/nope"])
def test_an_unknown_code_is_a_public_404_without_staff_links(acme: TestClient, path: str) -> None:
    r = acme.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 404
    page = dom(r.text)
    assert page.one("h1").text == "Not found"
    hrefs = {a.attrs["href"] for a in page.all("a")}
    assert not any(h.startswith(("/incidents", "/login", "/alerts", "/services")) for h in hrefs)
    assert "Sign in" not in r.text
    assert "warroom.css" not in r.text
    assert "/static/status.css" in r.text


def test_a_private_incident_has_no_public_page(status_data: StatusData, acme: TestClient) -> None:
    status_data.service("checkout")
    status_data.incident(title="quiet one", service="checkout")
    from sqlalchemy import select

    from warroom.incidents.models import Incident
    from warroom.statuspage.public import opaque_id

    with status_data.db.read() as s:
        incident_id = s.scalar(select(Incident.id))
    assert (
        acme.get(f"/status/incidents/{opaque_id('incident', str(incident_id))}").status_code == 404
    )
    assert acme.get(f"/status/incidents/{incident_id}").status_code == 404


# --- caching ------------------------------------------------------------------------------


def test_it_answers_304_to_a_matching_etag_and_changes_with_the_page(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.service("checkout")
    incident = status_data.incident(title="x", service="checkout", public_title="Login errors")
    first = acme.get("/status")
    etag = first.headers["etag"]
    again = acme.get("/status", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    status_data.update(incident, body="Logins work again.", public=True)
    changed = acme.get("/status", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Logins work again." in changed.text


def test_the_day_rolls_over_without_any_change(status_data: StatusData, acme: TestClient) -> None:
    status_data.clock.set(NOW)
    status_data.component("API")
    before = dom(acme.get("/status").text)
    status_data.clock.advance(days=1)
    after = dom(acme.get("/status").text)
    first_day = lambda page: page.all("div", class_="sp-day")[0].one("h3").text  # noqa: E731
    assert (first_day(before), first_day(after)) == ("Apr 10, 2026", "Apr 11, 2026")


# --- units: labels, settings, contrast ----------------------------------------------------


def test_uptime_labels_name_the_worst_outages_first() -> None:
    from datetime import date

    day = UptimeDay(
        date(2026, 11, 20),
        uptime=1 - (1200 + 0.3 * 4320) / 86400,
        worst=ComponentStatus.MAJOR_OUTAGE,
        outage_seconds={
            ComponentStatus.PARTIAL_OUTAGE: 4320.0,
            ComponentStatus.MAJOR_OUTAGE: 1200.0,
        },
    )
    assert uptime_label(day) == (
        "2026-11-20: 97.1% uptime, major outage 20 min, partial outage 1 h 12 min"
    )
    assert uptime_label(UptimeDay(date(2026, 11, 20), None, None, {})) == "2026-11-20: no data"
    degraded = UptimeDay(date(2026, 11, 20), 1.0, ComponentStatus.DEGRADED_PERFORMANCE, {})
    assert uptime_label(degraded) == "2026-11-20: 100% uptime, degraded performance at times"
    # A few seconds of outage never reads as a perfect day.
    blip = UptimeDay(
        date(2026, 11, 20),
        1 - 5 / 86400,
        ComponentStatus.MAJOR_OUTAGE,
        {ComponentStatus.MAJOR_OUTAGE: 5.0},
    )
    assert uptime_label(blip) == "2026-11-20: 99.9% uptime, major outage 5 s"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status_page_time_zone", "Mars/Olympus", "unknown time zone"),
        ("status_page_links", [{"label": "x", "url": "javascript:alert(1)"}], "http(s) URL"),
        ("status_page_links", [{"label": "", "url": "https://a.example"}], "1 to 60"),
        ("status_page_links", [{"label": "x"}], "label and url"),
        ("status_page_logo_url", "data:image/png;base64,AAAA", "http(s) URL"),
        ("status_page_title", "", "at least 1"),
    ],
)
def test_it_refuses_status_page_settings_that_would_break_the_page(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(**{field: value})  # type: ignore[arg-type]


def test_it_reads_the_status_page_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WARROOM_STATUS_PAGE_TITLE", "Acme Status")
    monkeypatch.setenv(
        "WARROOM_STATUS_PAGE_LINKS", '[{"label": "Home", "url": "https://acme.example"}]'
    )
    monkeypatch.setenv("WARROOM_STATUS_PAGE_TIME_ZONE", "America/New_York")
    settings = Settings()
    assert settings.status_page_title == "Acme Status"
    assert settings.status_page_links == [{"label": "Home", "url": "https://acme.example"}]
    assert settings.status_page_time_zone == "America/New_York"
    assert settings.status_page_show_uptime is True
    assert settings.status_page_logo_url is None


CSS = Path(__file__).resolve().parents[2] / "src/warroom/web/static/status.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_keep_a_contrast_of_at_least_4_5_to_1() -> None:
    colours = dict(re.findall(r"--sp-([\w-]+):\s*(#[0-9a-fA-F]{6});", CSS.read_text()))
    states = [
        "operational",
        "under_maintenance",
        "degraded_performance",
        "partial_outage",
        "major_outage",
    ]
    pairs = [
        # White words on each banner colour (and the subscribe button).
        *((colours["on-colour"], colours[s]) for s in states),
        (colours["on-colour"], colours["link"]),
        # Body text, muted text, links and the status words on cards and on the page.
        *(
            (colours[fg], colours[bg])
            for fg in ("ink", "muted", "link", *states)
            for bg in ("card", "bg")
        ),
    ]
    low = [(fg, bg, round(contrast(fg, bg), 2)) for fg, bg in pairs if contrast(fg, bg) < 4.5]
    assert low == []


def test_a_past_incident_resolved_without_a_public_word_still_reads_resolved(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.clock.set(NOW)
    status_data.service("checkout")
    incident = status_data.incident(title="x", service="checkout", public_title="Slow search")
    status_data.update(incident, body="Search is slow.", public=True)
    status_data.clock.advance(minutes=45)
    status_data.resolve(incident)
    page = dom(acme.get("/status").text)
    assert page.all("section", **{"aria-labelledby": "open-incidents"}) == []
    today = page.all("div", class_="sp-day")[0]
    assert "Resolved Apr 10, 2026 11:45 CEST" in today.text
    assert "Search is slow." in today.text


def test_it_sends_the_page_compressed_to_clients_that_take_gzip(
    status_data: StatusData, acme: TestClient
) -> None:
    status_data.component("API")
    zipped = acme.get("/status", headers={"Accept-Encoding": "gzip"})
    plain = acme.get("/status", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.text == plain.text  # the client unpacked it
    assert int(zipped.headers["content-length"]) * 5 < len(plain.content)
    # Each variant revalidates against its own tag.
    assert zipped.headers["etag"] != plain.headers["etag"]
    again = acme.get(
        "/status",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]},
    )
    assert again.status_code == 304
