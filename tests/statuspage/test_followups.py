"""Follow-ups to the status page: one maintenance read by its code (its page and its
webhooks read no lists), services linked into a scheduled maintenance get its window at
once. Every test runs on SQLite and PostgreSQL (the `db` fixture)."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

import warroom.web
from tests.conftest import Personas
from tests.notify.test_apprise import Receiver, receiver
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.statuspage import MaintenanceStatus
from warroom.engine.handlers import default_handlers
from warroom.engine.runner import Engine
from warroom.services.actions import do_update_service
from warroom.services.models import MaintenanceWindow, Service
from warroom.settings import Settings
from warroom.statuspage import cache, pages, public, uptime
from warroom.statuspage.maintenances import do_move_maintenance
from warroom.statuspage.models import Maintenance

__all__ = ["receiver"]

HOUR = timedelta(hours=1)
ENQUEUE = "/integrations/events/v2/enqueue"


def run_engine(db: Database, clock: FakeClock, settings: Settings) -> None:
    engine = Engine(db, clock, settings, default_handlers(), name="t")
    while engine.run_once():
        pass


@pytest.fixture
def lists_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every maintenance list read (and each comes back empty): whatever still works
    does not depend on scanning lists for one maintenance."""
    calls: list[str] = []

    def listing(session: Any, *, settings: Settings, which: str, limit: int = 50) -> list[Any]:
        calls.append(which)
        return []

    monkeypatch.setattr(public, "load_maintenances", listing)
    return calls


# --- 1. one maintenance by code ---------------------------------------------------------


def test_load_maintenance_finds_one_by_code_with_only_public_parts(
    db: Database, settings: Settings, status_data: StatusData
) -> None:
    status_data.component("Database")
    status_data.component("Hidden box", public=False)
    first = status_data.maintenance(name="First", body="one", components=["Database"])
    second = status_data.maintenance(
        name="Second", body="two", components=["Database", "Hidden box"]
    )
    with db.read() as session:
        got = public.load_maintenance(session, second.code, settings=settings)
        listed = {
            m.code: m for m in public.load_maintenances(session, settings=settings, which="all")
        }
        assert public.load_maintenance(session, "nope", settings=settings) is None
        assert public.load_maintenance(session, first.code, settings=settings) == listed[first.code]
    assert got is not None
    assert got == listed[second.code]
    assert got.name == "Second"
    assert [c.name for c in got.components] == ["Database"]
    assert got.shortlink.endswith(f"/maintenances/{second.code}")
    assert [u.body for u in got.updates] == ["two"]


def test_load_maintenance_reads_a_bounded_number_of_rows(
    db: Database, settings: Settings, status_data: StatusData
) -> None:
    status_data.component("Database")
    made = [
        status_data.maintenance(name=f"M{n}", body="b", components=["Database"]) for n in range(12)
    ]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with db.read() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            got = public.load_maintenance(session, made[0].code, settings=settings)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert got is not None
    assert got.name == "M0"
    # The maintenance by its code, then its components and its updates.
    assert len(statements) <= 3, statements
    assert "maintenances.code =" in statements[0]


def test_the_maintenance_page_reads_one_maintenance_not_a_list(
    app_client: TestClient, status_data: StatusData, lists_read: list[str]
) -> None:
    status_data.component("Database")
    m = status_data.maintenance(name="DB upgrade", body="Bump.", components=["Database"])
    page = app_client.get(f"/status/maintenances/{m.code}")
    assert page.status_code == 200, page.text
    assert "DB upgrade" in page.text
    assert lists_read == []
    assert app_client.get("/status/maintenances/unknown1").status_code == 404


def test_a_maintenance_webhook_reads_one_maintenance_not_a_list(
    app_client: TestClient,
    db: Database,
    clock: FakeClock,
    settings: Settings,
    people: Personas,
    receiver: Receiver,
    status_data: StatusData,
    lists_read: list[str],
) -> None:
    r = app_client.post(
        "/api/v1/subscribers",
        json={"kind": "webhook", "url": f"http://127.0.0.1:{receiver.port}/hook"},
        headers=people.admin.headers,
    )
    assert r.status_code == 201, r.text
    status_data.component("Database")
    m = status_data.maintenance(name="DB upgrade", body="Bump.", components=["Database"])
    run_engine(db, clock, settings)
    [(_, doc)] = receiver.requests
    assert doc["incident"]["id"] == m.code
    assert doc["incident"]["name"] == "DB upgrade"
    assert doc["incident"]["status"] == "scheduled"
    # Only the page's own summary (its indicator) reads lists, never "all".
    assert "all" not in lists_read


# --- 2. linking a service into a maintenance ------------------------------------------------


def windows(db: Database, maintenance_id: int) -> dict[str, tuple[datetime, datetime]]:
    with db.read() as session:
        rows = session.execute(
            select(Service.name, MaintenanceWindow.starts_at, MaintenanceWindow.ends_at)
            .join(Service, Service.id == MaintenanceWindow.service_id)
            .where(MaintenanceWindow.maintenance_id == maintenance_id)
        ).all()
        return {name: (start, end) for name, start, end in rows}


@pytest.fixture
def scheduled(status_data: StatusData) -> Maintenance:
    status_data.component("db")
    status_data.component("api")
    return status_data.maintenance(name="Upgrade", body="b", components=["db"])


def test_a_service_created_on_a_component_gets_its_scheduled_window(
    db: Database, clock: FakeClock, status_data: StatusData, scheduled: Maintenance
) -> None:
    assert windows(db, scheduled.id) == {}
    status_data.service("postgres", component="db")
    status_data.service("gateway", component="api")
    t = clock.now()
    got = windows(db, scheduled.id)
    assert set(got) == {"postgres"}
    start, end = got["postgres"]
    assert (start.astimezone(), end.astimezone()) == ((t + HOUR).astimezone(), (t + 3 * HOUR))


def test_moving_a_service_between_components_moves_its_window(
    db: Database, clock: FakeClock, status_data: StatusData, scheduled: Maintenance
) -> None:
    status_data.service("gateway", component="api")
    with db.write() as session:
        do_update_service(session, ref="gateway", component="db", now=clock.now())
    assert set(windows(db, scheduled.id)) == {"gateway"}
    with db.write() as session:
        do_update_service(session, ref="gateway", component="api", now=clock.now())
    assert windows(db, scheduled.id) == {}
    # Unlinking after the window began keeps the part already past, ends it now.
    with db.write() as session:
        do_update_service(session, ref="gateway", component="db", now=clock.now())
    clock.advance(hours=2)
    with db.write() as session:
        do_update_service(session, ref="gateway", component=None, now=clock.now())
    [(start, end)] = windows(db, scheduled.id).values()
    assert end.astimezone() == clock.now().astimezone()
    assert start.astimezone() < end.astimezone()


def test_a_completed_maintenance_gives_no_window_to_a_new_service(
    db: Database, clock: FakeClock, status_data: StatusData, scheduled: Maintenance
) -> None:
    with db.write() as session:
        do_move_maintenance(
            session,
            ref=scheduled.id,
            status=MaintenanceStatus.COMPLETED,
            body=None,
            actor="rita",
            now=clock.now(),
        )
    status_data.service("postgres", component="db")
    assert windows(db, scheduled.id) == {}


def test_alerts_on_a_service_linked_during_a_running_maintenance_are_held(
    app_client: TestClient,
    db: Database,
    clock: FakeClock,
    settings: Settings,
    people: Personas,
    status_data: StatusData,
    scheduled: Maintenance,
) -> None:
    h = people.admin.headers
    r = app_client.post("/api/v1/services", json={"name": "payments"}, headers=h)
    assert r.status_code == 201, r.text
    key = r.json()["integration_key"]
    clock.advance(hours=1)
    run_engine(db, clock, settings)
    with db.read() as session:
        m = session.get(Maintenance, scheduled.id)
        assert m is not None
        assert m.status is MaintenanceStatus.IN_PROGRESS
    r = app_client.patch("/api/v1/services/payments", json={"component": "db"}, headers=h)
    assert r.status_code == 200, r.text
    event_body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "cards",
        "payload": {"summary": "cards failing", "source": "mon", "severity": "critical"},
    }
    assert app_client.post(ENQUEUE, json=event_body).status_code == 202
    incidents = app_client.get("/api/v1/incidents", headers=h).json()["items"]
    assert incidents == []
    alerts = app_client.get("/api/v1/alerts", headers=h).json()["items"]
    assert len(alerts) == 1
    assert "Upgrade" in alerts[0]["suppressed_by"]


# --- 3. one staff navigation --------------------------------------------------------------

TEMPLATES = Path(warroom.web.__file__).parent / "templates"
STAFF_PAGES = {
    "/statuspage/components": "components",
    "/statuspage/maintenances": "maintenances",
    "/statuspage/subscribers": "subscribers",
}


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text


def tabs_of(page: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(href, text) of each tab, and which are marked current."""
    [nav] = re.findall(r"<nav [^>]*data-status-tabs[^>]*>(.*?)</nav>", page, re.S)
    links = re.findall(r'<a href="([^"]+)"([^>]*)>(.*?)</a>', nav, re.S)
    found = [(href, re.sub(r"<[^>]+>", "", text).strip()) for href, _, text in links]
    current = [href for href, attrs, _ in links if 'aria-current="page"' in attrs]
    return found, current


def test_the_status_admin_pages_share_one_tab_bar(
    app_client: TestClient, people: Personas, status_data: StatusData
) -> None:
    sign_in(app_client, people.admin.token)
    expected = [
        ("/statuspage/components", "Components"),
        ("/statuspage/maintenances", "Maintenances"),
        ("/statuspage/subscribers", "Subscribers &amp; audiences"),
        ("/status", "View public page ↗"),
    ]
    for path, key in STAFF_PAGES.items():
        page = app_client.get(path)
        assert page.status_code == 200, (path, page.text)
        tabs, current = tabs_of(page.text)
        assert tabs == expected, path
        assert current == [path], key
    status_data.component("Database")
    m = status_data.maintenance(name="Upgrade", body="b", components=["Database"])
    detail = app_client.get(f"/statuspage/maintenances/{m.id}")
    assert detail.status_code == 200
    assert tabs_of(detail.text)[1] == ["/statuspage/maintenances"]


def test_viewers_see_no_subscribers_tab(app_client: TestClient, people: Personas) -> None:
    sign_in(app_client, people.viewer.token)
    tabs, current = tabs_of(app_client.get("/statuspage/components").text)
    assert [href for href, _ in tabs] == [
        "/statuspage/components",
        "/statuspage/maintenances",
        "/status",
    ]
    assert current == ["/statuspage/components"]


def test_the_tab_bar_is_one_macro_not_copies() -> None:
    for name in (
        "status_components.html",
        "status_maintenances.html",
        "status_maintenance.html",
        "status_subscribers.html",
    ):
        source = (TEMPLATES / name).read_text()
        assert "import status_tabs with context" in source, name
        assert "data-status-tabs" not in source, name
        assert 'href="/status"' not in source, name


# --- 4. /status from the fast path ----------------------------------------------------------


def answer(client: TestClient, **headers: str) -> tuple[int, bytes, list[tuple[str, str]]]:
    r = client.get("/status", headers=headers)
    return r.status_code, r.content, sorted((k.decode(), v.decode()) for k, v in r.headers.raw)


@pytest.mark.parametrize("encoding", ["gzip, deflate", "identity"])
def test_the_status_page_fast_path_answers_exactly_as_the_route_does(
    app_client: TestClient,
    status_data: StatusData,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    status_data.component("API")
    ask = {"Accept-Encoding": encoding}
    built = answer(app_client, **ask)  # through the route: builds
    assert built[0] == 200
    etag = dict(built[2])["etag"]
    # The route again, the entry now cached: what the fast path must repeat.
    with monkeypatch.context() as m:
        m.delitem(cache.FAST_PATHS, "/status")
        routed = answer(app_client, **ask)
        routed_304 = answer(app_client, **ask, **{"If-None-Match": etag})
    assert routed == built

    async def unreachable(*_: object, **__: object) -> None:
        raise AssertionError("the route ran for a fresh cache entry")

    monkeypatch.setattr(pages, "_answer", unreachable)
    assert answer(app_client, **ask) == routed
    fast_304 = answer(app_client, **ask, **{"If-None-Match": etag})
    assert fast_304 == routed_304
    assert fast_304[0] == 304
    got = dict(routed[2])
    assert got["vary"] == "Accept-Encoding"
    assert "frame-ancestors 'none'" in got["content-security-policy"]
    assert got["x-content-type-options"] == "nosniff"
    assert (got.get("content-encoding") == "gzip") == (encoding != "identity")
    assert "content-encoding" not in dict(fast_304[2])


def test_the_status_page_fast_path_follows_the_hour_and_changes(
    app_client: TestClient,
    clock: FakeClock,
    status_data: StatusData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status_data.component("API")
    first = app_client.get("/status")
    builds = cache.page_cache(app_client.app).builds
    assert app_client.get("/status").content == first.content
    assert cache.page_cache(app_client.app).builds == builds  # answered from the cache
    clock.advance(hours=1)  # a new hour is a new key: the route builds again
    app_client.get("/status")
    assert cache.page_cache(app_client.app).builds == builds + 1
    status_data.component("Billing")  # a change clears the cache in this process
    assert "Billing" in app_client.get("/status").text


# --- 5. the split modules -------------------------------------------------------------------


def test_uptime_bars_come_from_the_uptime_module(
    db: Database, clock: FakeClock, settings: Settings, status_data: StatusData
) -> None:
    status_data.component("API")
    status_data.component("Billing")
    with db.read() as session:
        page = public.load_page(session, settings=settings, now=clock.now(), uptime_days=7)
        bare = public.load_page(session, settings=settings, now=clock.now())
        direct = uptime.with_uptime(
            session, bare.components, settings=settings, now=clock.now(), days=7
        )
    assert [c.uptime for c in direct] == [c.uptime for c in page.components]
    assert all(len(c.uptime) == 7 for c in direct)
    assert all(c.uptime == [] for c in bare.components)
