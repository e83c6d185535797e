"""Property: nothing marked internal ever reaches the HTML status page, an incident or
maintenance page, or the history feeds. The same random worlds as the /api/v2 property
(tests/statuspage/test_no_leak.py: public and internal components, private, public and
made-private-again incidents, public and internal updates, notes, descriptions,
commanders, every internal field carrying a marker), then every page a visitor can reach
is searched for the marker: the ones linked from /status and the feeds, and the address
of every incident that ever had a public code (made private again, it must be a 404)."""

import re
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.statuspage.conftest import StatusData
from tests.statuspage.test_no_leak import INTERNAL, _build, _incident
from warroom.incidents.models import Incident
from warroom.statuspage.models import Maintenance

_LINK = re.compile(r'href="(/status/(?:incidents|maintenances)/[^"]+)"')
_SHORTLINK = re.compile(r"http://warroom\.test/status/((?:incidents|maintenances)/\w+)")


def _reachable(client: TestClient) -> set[str]:
    """Every incident and maintenance page a visitor can follow a link to."""
    paths: set[str] = set()
    for page in ("/status", "/status/history.atom", "/status/history.rss"):
        text = client.get(page).text
        paths |= set(_LINK.findall(text))
        paths |= {"/status/" + m for m in _SHORTLINK.findall(text)}
    return paths


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(incidents=st.lists(_incident, min_size=1, max_size=3))
def test_nothing_internal_ever_appears_on_the_pages_or_in_the_feeds(
    status_data: StatusData, app_client: TestClient, incidents: list[dict[str, Any]]
) -> None:
    for n, spec in enumerate(incidents):
        _build(status_data, spec, n)
    status_data.maintenance(name="Planned window", body="Planned.", components=[])
    with status_data.db.read() as s:
        codes = [c for c in s.scalars(select(Incident.public_code)) if c]
        windows = list(s.scalars(select(Maintenance.code)))
    reachable = _reachable(app_client)
    assert {f"/status/maintenances/{w}" for w in windows} <= reachable
    paths = {
        "/status",
        "/status/history.atom",
        "/status/history.rss",
        *reachable,
        *(f"/status/incidents/{c}" for c in codes),
    }
    for path in sorted(paths):
        r = app_client.get(path)
        assert r.status_code in (200, 404), path
        assert INTERNAL.encode() not in r.content, (path, r.text)
    for path in reachable:
        assert app_client.get(path).status_code == 200, path


def test_public_text_is_escaped_on_the_page(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.service("checkout")
    incident = status_data.incident(
        title="x", service="checkout", public_title="<script>alert(1)</script> & co"
    )
    status_data.update(incident, body='<img src=x onerror="alert(2)">', public=True)
    for path in ("/status", f"/status/incidents/{status_data.public_code(incident)}"):
        text = app_client.get(path).text
        assert "<script>" not in text
        assert "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
