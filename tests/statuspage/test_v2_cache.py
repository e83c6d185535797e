"""The page cache: a change made through an action shows on the very next request in this
process; other processes see it within the check interval; ETags give 304s."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.statuspage.conftest import StatusData
from tests.statuspage.statuspage_client import ENDPOINTS, StatuspageClient
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.comms import UpdateStatus
from warroom.settings import Settings
from warroom.statuspage.cache import page_cache
from warroom.statuspage.models import Component
from warroom.web.app import create_app


def test_a_published_update_shows_on_the_very_next_request(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.component("API")
    status_data.service("checkout")
    client = StatuspageClient(app_client)
    assert client.summary().incidents == []  # cached now
    incident = status_data.incident(title="x", service="checkout", public_title="API errors")
    assert [i.name for i in client.summary().incidents] == ["API errors"]
    status_data.update(incident, body="First words.", public=True)
    assert client.summary().incidents[0].incident_updates[0].body == "First words."
    status_data.update(incident, body="Fixed.", public=True, status=UpdateStatus.RESOLVED)
    assert client.summary().incidents == []
    assert client.incidents().incidents[0].status == "resolved"


def test_an_internal_update_does_not_rebuild_the_page(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.service("checkout")
    incident = status_data.incident(title="x", service="checkout")  # never public
    app_client.get("/api/v2/summary.json")
    cache = page_cache(app_client.app)
    builds = cache.builds
    status_data.update(incident, body="internal chatter", public=False)
    for _ in range(5):
        app_client.get("/api/v2/summary.json")
    assert cache.builds == builds


def test_repeated_requests_are_served_from_the_cache(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.component("API")
    first = app_client.get("/api/v2/summary.json")
    cache = page_cache(app_client.app)
    builds = cache.builds
    for _ in range(20):
        again = app_client.get("/api/v2/summary.json")
        assert again.content == first.content
    assert cache.builds == builds


def test_a_matching_etag_answers_304_and_a_change_gives_a_new_one(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.component("API")
    for path in ENDPOINTS:
        first = app_client.get(f"/api/v2/{path}")
        tag = first.headers["etag"]
        again = app_client.get(f"/api/v2/{path}", headers={"If-None-Match": tag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == tag
        weak = app_client.get(f"/api/v2/{path}", headers={"If-None-Match": f'"x", W/{tag}'})
        assert weak.status_code == 304
    tag = app_client.get("/api/v2/components.json").headers["etag"]
    status_data.component("Website")
    changed = app_client.get("/api/v2/components.json", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag


@pytest.fixture
def second_app(db: Database, clock: FakeClock, settings: Settings) -> Iterator[TestClient]:
    """Another process on the same database, as far as the cache can tell: its own app
    and cache; check interval 0 so the test does not depend on waiting."""
    other = settings.model_copy(update={"status_page_cache_seconds": 0.0})
    with TestClient(create_app(other, db=Database(db.url), clock=clock)) as client:
        yield client


def test_another_process_sees_a_change_within_the_check_interval(
    status_data: StatusData, second_app: TestClient
) -> None:
    status_data.component("API")
    client = StatuspageClient(second_app)
    assert [c.name for c in client.components().components] == ["API"]
    # The change is made the way another process would: a bump this app's listener
    # does not hear.
    cache = page_cache(second_app.app)
    cache_clear = cache.clear
    cache.clear = lambda: None  # type: ignore[method-assign]
    try:
        status_data.component("Website")
    finally:
        cache.clear = cache_clear  # type: ignore[method-assign]
    assert [c.name for c in client.components().components] == ["API", "Website"]


def test_a_stale_copy_lasts_at_most_the_check_interval(
    status_data: StatusData, db: Database, clock: FakeClock, settings: Settings
) -> None:
    ticks = [0.0]
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        client.get("/api/v2/components.json")
        cache = page_cache(client.app)
        cache._monotonic = lambda: ticks[0]  # a fake monotonic clock
        cache.clear()
        client.get("/api/v2/components.json")
        # Another process adds a component (this cache is not told).
        with db.write() as session:
            from warroom.statuspage.revision import bump

            session.add(
                Component(
                    code="zzz",
                    name="Elsewhere",
                    status_changed_at=clock.now(),
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
            bump(session, now=clock.now())
            session.info.pop("warroom.statuspage.bumped")
        ticks[0] = 0.5
        names = [c["name"] for c in client.get("/api/v2/components.json").json()["components"]]
        assert names == []
        ticks[0] = 1.0
        names = [c["name"] for c in client.get("/api/v2/components.json").json()["components"]]
        assert names == ["Elsewhere"]


def test_the_fast_path_answers_exactly_as_the_route_does(
    status_data: StatusData, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    status_data.component("API")
    built = app_client.get("/api/v2/summary.json")  # through the route: builds
    # From here the router must not be reached for a fresh entry.
    from warroom.statuspage import v2_api

    async def unreachable(*_: object, **__: object) -> None:
        raise AssertionError("the route ran for a fresh cache entry")

    monkeypatch.setattr(v2_api, "_serve", unreachable)
    fast = app_client.get("/api/v2/summary.json")
    assert fast.content == built.content
    for header in ("etag", "cache-control", "access-control-allow-origin", "content-type"):
        assert fast.headers[header] == built.headers[header]
    assert fast.headers["content-length"] == str(len(built.content))
    assert (
        app_client.get(
            "/api/v2/summary.json", headers={"If-None-Match": built.headers["etag"]}
        ).status_code
        == 304
    )
