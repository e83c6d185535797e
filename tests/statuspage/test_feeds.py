"""The incident-history feeds at Statuspage's addresses: valid Atom 1.0 and RSS 2.0 (read
back with ElementTree, namespaces and all), one entry per public incident and completed
maintenance, the updates as escaped HTML, the right content types."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.statuspage.conftest import StatusData
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.severity import Severity
from warroom.domain.statuspage import Impact, MaintenanceStatus
from warroom.statuspage.feeds import FEED_LIMIT, entries_of
from warroom.statuspage.maintenances import do_move_maintenance
from warroom.statuspage.public import PublicIncident, PublicUpdate

ATOM = "{http://www.w3.org/2005/Atom}"


def _xml(content: bytes) -> ET.Element:
    # Our own feed, read back the way a feed reader would.
    return ET.fromstring(content)  # noqa: S314


def _history(data: StatusData) -> dict[str, str]:
    data.component("API")
    data.service("checkout")
    first = data.incident(
        title="internal: cert expired on lb-3",
        service="checkout",
        severity=Severity.SEV2,
        public_title="Login failures",
    )
    data.update(first, body="Logins fail for some users.", public=True, kind=UpdateKind.INITIAL)
    data.update(first, body="internal: renew via certbot", public=False)
    data.clock.advance(minutes=30)
    data.update(
        first,
        body="Logins work again.",
        public=True,
        status=UpdateStatus.RESOLVED,
        kind=UpdateKind.RESOLUTION,
    )
    data.clock.advance(hours=2)
    second = data.incident(title="x", service="checkout", public_title="Slow <search> & filters")
    data.update(second, body='Search is slow.\nUse "filters" <b>less</b>.', public=True)
    data.incident(title="never public", service="checkout")
    m = data.maintenance(name="Disk swap", body="Swapping disks.", components=["API"])
    data.clock.advance(hours=1)
    with data.db.write() as s:
        do_move_maintenance(
            s, ref=m.code, status=MaintenanceStatus.IN_PROGRESS, actor="t", now=data.now()
        )
    data.clock.advance(hours=1)
    with data.db.write() as s:
        do_move_maintenance(
            s, ref=m.code, status=MaintenanceStatus.COMPLETED, actor="t", now=data.now()
        )
    return {
        "first": data.public_code(first),
        "second": data.public_code(second),
        "maintenance": m.code,
    }


class _Text(HTMLParser):
    """What a feed reader shows of an entry's HTML content: its text, and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read_html(fragment: str) -> _Text:
    reader = _Text()
    reader.feed(fragment)
    return reader


def test_the_atom_feed_is_atom_1_0_with_one_entry_per_public_incident(
    status_data: StatusData, app_client: TestClient
) -> None:
    codes = _history(status_data)
    r = app_client.get("/status/history.atom")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert r.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    feed = _xml(r.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://warroom.test/status"
    assert feed.findtext(f"{ATOM}title") == "Status - Incident History"
    updated = datetime.fromisoformat(feed.findtext(f"{ATOM}updated") or "")
    assert updated == status_data.now()
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "http://warroom.test/status/history.atom",
        "alternate": "http://warroom.test/status",
    }
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Status"

    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Disk swap",
        "Slow <search> & filters",
        "Login failures",
    ]
    for entry in entries:
        for part in ("id", "title", "updated", "published", "content"):
            assert entry.find(f"{ATOM}{part}") is not None, part
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
    login = entries[2]
    shortlink = f"http://warroom.test/status/incidents/{codes['first']}"
    assert login.findtext(f"{ATOM}id") == shortlink
    link = login.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == shortlink
    assert link.get("rel") == "alternate"
    content = login.find(f"{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    shown = _read_html(content.text or "")
    words = "".join(shown.text)
    assert "Resolved - Logins work again." in words
    assert "Investigating - Logins fail for some users." in words
    assert words.index("Logins work again.") < words.index("Logins fail")  # newest first
    assert "internal" not in r.text
    assert "never public" not in r.text
    maintenance = entries[0].findtext(f"{ATOM}id")
    assert maintenance == f"http://warroom.test/status/maintenances/{codes['maintenance']}"


def test_update_text_is_escaped_so_it_cannot_add_markup(
    status_data: StatusData, app_client: TestClient
) -> None:
    _history(status_data)
    feed = _xml(app_client.get("/status/history.atom").content)
    entry = feed.findall(f"{ATOM}entry")[1]
    shown = _read_html(entry.findtext(f"{ATOM}content") or "")
    # The update's own "<b>" is text to the reader, not a tag; ours are p/small/br/strong.
    assert set(shown.tags) <= {"p", "small", "br", "strong"}
    assert 'Use "filters" <b>less</b>.' in "".join(shown.text)


def test_the_rss_feed_is_rss_2_0_with_the_same_entries(
    status_data: StatusData, app_client: TestClient
) -> None:
    codes = _history(status_data)
    r = app_client.get("/status/history.rss")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    rss = _xml(r.content)
    assert rss.tag == "rss"
    assert rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Status - Incident History"
    assert channel.findtext("link") == "http://warroom.test/status"
    assert channel.findtext("description")
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "http://warroom.test/status/history.rss"
    assert parsedate_to_datetime(channel.findtext("lastBuildDate") or "") == status_data.now()
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [
        "Disk swap",
        "Slow <search> & filters",
        "Login failures",
    ]
    login = items[2]
    shortlink = f"http://warroom.test/status/incidents/{codes['first']}"
    assert login.findtext("link") == shortlink
    guid = login.find("guid")
    assert guid is not None
    assert guid.text == shortlink
    assert guid.get("isPermaLink") == "true"
    assert parsedate_to_datetime(login.findtext("pubDate") or "").tzinfo is not None
    assert "Logins work again." in "".join(_read_html(login.findtext("description") or "").text)


def test_an_empty_history_is_still_a_valid_feed(app_client: TestClient) -> None:
    feed = _xml(app_client.get("/status/history.atom").content)
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated")
    rss = _xml(app_client.get("/status/history.rss").content)
    assert rss.findall("channel/item") == []


def test_the_feeds_answer_304_to_a_matching_etag(app_client: TestClient) -> None:
    first = app_client.get("/status/history.atom")
    again = app_client.get("/status/history.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def _incident(n: int, at: datetime) -> PublicIncident:
    update = PublicUpdate(
        id=f"u{n}",
        status="investigating",
        body=f"Update {n}",
        created_at=at,
        affected_components=[],
    )
    return PublicIncident(
        code=f"c{n}",
        name=f"Incident {n}",
        status="investigating",
        impact=Impact.MINOR,
        created_at=at,
        updated_at=at,
        started_at=at,
        monitoring_at=None,
        resolved_at=None,
        shortlink=f"https://status.example/incidents/c{n}",
        components=[],
        updates=[update],
        responders=[],
    )


def test_it_keeps_the_fifty_most_recently_updated() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    incidents = [_incident(n, start + timedelta(hours=n)) for n in range(60)]
    entries = entries_of(incidents, [], zone=ZoneInfo("Europe/Berlin"))
    assert len(entries) == FEED_LIMIT == 50
    assert [e.title for e in entries[:2]] == ["Incident 59", "Incident 58"]
    assert entries[-1].title == "Incident 10"
    # Times in the entries' text are in the page's zone.
    assert "Mar 1, 11:00 CET" in entries[-1].content
