"""/api/v2 read by a client written against Statuspage's documented shapes, on SQLite and
PostgreSQL: every endpoint parses, and says what the data says."""

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.statuspage.conftest import StatusData
from tests.statuspage.statuspage_client import ENDPOINTS, StatuspageClient
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.severity import Severity


def _world(data: StatusData) -> dict[str, int]:
    data.group("Platform", description="Core platform")
    data.component("API", group="Platform", description="The public REST API")
    data.component("Database", group="Platform")
    data.component("Website")
    data.component("Billing worker", public=False)
    data.service("checkout")
    data.user("ann", "Ann Commander")
    open_id = data.incident(
        title="db primary OOM in eu-1",
        service="checkout",
        severity=Severity.SEV1,
        public_title="Elevated API errors",
        components={"API": "major_outage"},
        commander="ann",
        show_responders=True,
    )
    data.update(open_id, body="We are looking into it.", public=True, kind=UpdateKind.INITIAL)
    data.clock.advance(minutes=10)
    data.update(
        open_id,
        body="A fix is rolling out.",
        public=True,
        status=UpdateStatus.MONITORING,
        components={"Database": "degraded_performance"},
    )
    done_id = data.incident(
        title="old thing", service="checkout", severity=Severity.SEV3, public_title="Slow pages"
    )
    data.update(
        done_id,
        body="Slow pages are fixed.",
        public=True,
        status=UpdateStatus.RESOLVED,
        kind=UpdateKind.RESOLUTION,
    )
    data.maintenance(
        name="Database upgrade",
        body="Upgrading the database.",
        components=["Database"],
        starts_in=timedelta(days=1),
    )
    return {"open": open_id, "done": done_id}


def test_it_answers_every_endpoint_in_statuspage_shapes(
    status_data: StatusData, app_client: TestClient
) -> None:
    ids = _world(status_data)
    client = StatuspageClient(app_client)
    summary = client.summary()

    assert summary.page.name == "Status"
    assert summary.page.url == "http://warroom.test/status"
    names = [c.name for c in summary.components]
    assert names == ["Platform", "API", "Database", "Website"]
    group = summary.components[0]
    assert group.group is True
    assert group.components == [summary.components[1].id, summary.components[2].id]
    assert summary.components[1].group_id == group.id
    assert summary.components[1].status == "major_outage"
    assert summary.components[2].status == "degraded_performance"
    assert group.status == "major_outage"
    assert summary.status.indicator == "critical"
    assert summary.status.description == "Major System Outage"

    [incident] = summary.incidents
    code = status_data.public_code(ids["open"])
    assert incident.id == code
    assert incident.name == "Elevated API errors"
    assert incident.status == "monitoring"
    assert incident.impact == "critical"
    assert incident.shortlink == f"http://warroom.test/status/incidents/{code}"
    assert incident.monitoring_at is not None
    assert incident.resolved_at is None
    assert [u.body for u in incident.incident_updates] == [
        "A fix is rolling out.",
        "We are looking into it.",
    ]
    assert all(u.incident_id == code for u in incident.incident_updates)
    newest = incident.incident_updates[0]
    assert newest.affected_components is not None
    assert [(a.name, a.old_status, a.new_status) for a in newest.affected_components] == [
        ("Database", "operational", "degraded_performance")
    ]
    assert {c.name for c in incident.components} == {"API", "Database"}

    [maintenance] = summary.scheduled_maintenances
    assert maintenance.name == "Database upgrade"
    assert maintenance.status == "scheduled"
    assert maintenance.impact == "maintenance"
    assert maintenance.scheduled_until - maintenance.scheduled_for == timedelta(hours=2)
    assert [c.name for c in maintenance.components] == ["Database"]
    assert maintenance.incident_updates[0].status == "scheduled"

    assert client.status().status.indicator == "critical"
    assert [c.name for c in client.components().components] == names
    listed = client.incidents().incidents
    assert [i.name for i in listed] == ["Slow pages", "Elevated API errors"]
    assert listed[0].status == "resolved"
    assert listed[0].resolved_at is not None
    assert listed[0].impact == "minor"
    assert [i.id for i in client.unresolved().incidents] == [code]
    assert [m.name for m in client.maintenances().scheduled_maintenances] == ["Database upgrade"]
    assert [m.name for m in client.upcoming().scheduled_maintenances] == ["Database upgrade"]
    assert client.active().scheduled_maintenances == []


def test_it_shows_an_empty_page_as_all_operational(app_client: TestClient) -> None:
    client = StatuspageClient(app_client)
    summary = client.summary()
    assert summary.status.indicator == "none"
    assert summary.status.description == "All Systems Operational"
    assert summary.components == summary.incidents == summary.scheduled_maintenances == []
    for path in ENDPOINTS:
        assert app_client.get(f"/api/v2/{path}").status_code == 200


def test_it_needs_no_token_and_allows_any_origin(app_client: TestClient) -> None:
    for path in ENDPOINTS:
        r = app_client.get(f"/api/v2/{path}", headers={"Origin": "https://widget.example"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["cache-control"] == "public, max-age=1"
        assert r.headers["etag"].startswith('"')


def test_it_shows_a_resolved_incident_as_resolved_even_without_a_public_word(
    status_data: StatusData, app_client: TestClient
) -> None:
    status_data.service("checkout")
    incident = status_data.incident(title="x", service="checkout", public_title="Login errors")
    status_data.update(incident, body="Investigating.", public=True)
    status_data.resolve(incident)
    client = StatuspageClient(app_client)
    assert client.unresolved().incidents == []
    [listed] = client.incidents().incidents
    assert listed.status == "resolved"
    assert listed.resolved_at is not None


def _queries_for_summary(status_data: StatusData) -> int:
    from sqlalchemy import event

    from warroom.settings import Settings
    from warroom.statuspage import public, v2

    count = [0]

    def counting(*_: object) -> None:
        count[0] += 1

    engine = status_data.db.engine
    event.listen(engine, "before_cursor_execute", counting)
    try:
        with status_data.db.read() as session:
            page = public.load_page(
                session, settings=Settings(), now=status_data.now(), uptime_days=90
            )
            v2.summary_document(page)
            public.load_incidents(session, settings=Settings())
    finally:
        event.remove(engine, "before_cursor_execute", counting)
    return count[0]


def test_the_page_takes_the_same_few_queries_however_many_incidents(
    status_data: StatusData,
) -> None:
    status_data.group("G")
    for n in range(6):
        status_data.component(f"C{n}", group="G" if n < 3 else None)
    status_data.service("checkout")

    def add(count: int) -> None:
        for n in range(count):
            incident = status_data.incident(
                title="x",
                service="checkout",
                public_title=f"P{n}",
                components={"C1": "major_outage"},
            )
            status_data.update(incident, body="a", public=True)
            status_data.update(incident, body="b", public=True, status=UpdateStatus.MONITORING)

    add(2)
    few = _queries_for_summary(status_data)
    add(10)
    many = _queries_for_summary(status_data)
    assert many == few
    assert many <= 20  # page, components, uptime, incidents, maintenances: each batched
