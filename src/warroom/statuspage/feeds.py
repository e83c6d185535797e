"""The status page's incident history as feeds, at Statuspage's addresses:
`/status/history.atom` (Atom 1.0, RFC 4287) and `/status/history.rss` (RSS 2.0).

Built with xml.etree.ElementTree, which escapes every text node: an entry's content is
HTML (the updates, as Statuspage writes them) carried as escaped text, so a feed reader
renders it and nothing an update says can break the XML or inject markup of its own.
Only the public read model goes in (warroom.statuspage.public), never an incident row.

Namespaces are written as plain `xmlns` attributes rather than through ElementTree's
global prefix registry: the Atom feed then has Atom as its default namespace (what feed
readers expect to see), and nothing here changes how other code serialises XML.
"""

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from itertools import chain
from zoneinfo import ZoneInfo

from warroom.statuspage.html_view import moment_text
from warroom.statuspage.public import PublicIncident, PublicMaintenance, PublicUpdate

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
FEED_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Entry:
    """One incident or completed maintenance, whichever it was."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    content: str  # HTML


@dataclass(frozen=True, slots=True)
class FeedInfo:
    title: str
    page_url: str  # the human page, /status
    self_url: str  # this feed's own address
    updated: datetime  # when nothing is in it: when the page last changed


def _updates_html(updates: list[PublicUpdate], zone: ZoneInfo) -> str:
    """Statuspage's shape: per update, its time, then the status word and the text."""
    parts = []
    for u in updates:
        when = moment_text(u.created_at, zone, year=False)
        body = html.escape(u.body).replace("\n", "<br>")
        word = html.escape(u.status.replace("_", " ").capitalize())
        parts.append(
            f"<p><small>{html.escape(when)}</small><br><strong>{word}</strong> - {body}</p>"
        )
    return "".join(parts)


def entries_of(
    incidents: list[PublicIncident],
    maintenances: list[PublicMaintenance],
    *,
    zone: ZoneInfo,
    limit: int = FEED_LIMIT,
) -> list[Entry]:
    """The newest `limit` incidents and completed maintenances, most recently updated
    first (a feed reader shows an incident again when it gets a new update)."""
    found = chain(
        (
            Entry(
                id=i.shortlink,
                title=i.name,
                link=i.shortlink,
                published=i.created_at,
                updated=i.updated_at,
                content=_updates_html(i.updates, zone) or "<p>We are investigating this issue.</p>",
            )
            for i in incidents
        ),
        (
            Entry(
                id=m.shortlink,
                title=m.name,
                link=m.shortlink,
                published=m.created_at,
                updated=m.updated_at,
                content=_updates_html(m.updates, zone) or "<p>Completed maintenance.</p>",
            )
            for m in maintenances
            if m.completed_at is not None
        ),
    )
    return sorted(found, key=lambda e: (e.updated, e.id), reverse=True)[:limit]


def _rfc3339(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _rfc822(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC), usegmt=True)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def atom_feed(info: FeedInfo, entries: list[Entry]) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    _sub(feed, "id", info.page_url)
    _sub(feed, "title", f"{info.title} - Incident History")
    updated = max((e.updated for e in entries), default=info.updated)
    _sub(feed, "updated", _rfc3339(updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=info.self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=info.page_url)
    # RFC 4287 wants an author on the feed or on every entry.
    author = _sub(feed, "author")
    _sub(author, "name", info.title)
    for e in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", e.id)
        _sub(entry, "title", e.title)
        _sub(entry, "published", _rfc3339(e.published))
        _sub(entry, "updated", _rfc3339(e.updated))
        _sub(entry, "link", rel="alternate", type="text/html", href=e.link)
        _sub(entry, "content", e.content, type="html")
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


def rss_feed(info: FeedInfo, entries: list[Entry]) -> bytes:
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{info.title} - Incident History")
    _sub(channel, "link", info.page_url)
    _sub(channel, "description", f"Incidents and maintenance reported on {info.title}")
    _sub(channel, "language", "en")
    updated = max((e.updated for e in entries), default=info.updated)
    _sub(channel, "lastBuildDate", _rfc822(updated))
    # The Atom self link RSS validators ask for, so readers know the feed's own address.
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=info.self_url)
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", e.title)
        _sub(item, "link", e.link)
        _sub(item, "guid", e.id, isPermaLink="true")
        _sub(item, "pubDate", _rfc822(e.published))
        _sub(item, "description", e.content)
    data: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return data
