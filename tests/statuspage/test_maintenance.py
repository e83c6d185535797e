"""Scheduled maintenance through its actions and the engine, on a fake clock, on SQLite and
PostgreSQL: windows on the services of its components, components under maintenance
while it runs, alerts held in its window, stale engine tasks harmless."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Personas
from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.components import ComponentStatus
from warroom.domain.statuspage import MaintenanceStatus
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.errors import Conflict, Invalid
from warroom.incidents.models import Incident
from warroom.services.models import MaintenanceWindow, Service
from warroom.settings import Settings
from warroom.statuspage import maintenances, subscriptions
from warroom.statuspage.maintenances import (
    COMPLETE,
    OPEN_END,
    START,
    do_move_maintenance,
    do_post_maintenance_update,
    do_schedule_maintenance,
    do_update_maintenance,
)
from warroom.statuspage.models import Component, Maintenance, StatusPageRevision

HOUR = timedelta(hours=1)
ENQUEUE = "/integrations/events/v2/enqueue"


@dataclass
class Site:
    """Components `db` and `api`; services `postgres` and `pgbouncer` on `db`, `gateway`
    on `api`, `billing` on none; the engine run by hand."""

    db: Database
    clock: FakeClock
    settings: Settings
    data: StatusData

    def run(self) -> int:
        engine = Engine(self.db, self.clock, self.settings, default_handlers(), name="e1")
        total = 0
        while ran := engine.run_once():
            total += ran
        return total

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)
        self.run()

    def schedule(self, components: list[str] | None = None, **kw: Any) -> Maintenance:
        now = self.clock.now()
        fields: dict[str, Any] = {
            "name": "Database upgrade",
            "body": "Upgrading PostgreSQL to 17.",
            "components": ["db"] if components is None else components,
            "scheduled_for": now + HOUR,
            "scheduled_until": now + 3 * HOUR,
            "actor": "rita",
            "now": now,
        } | kw
        with self.db.write() as session:
            return do_schedule_maintenance(session, **fields)

    def move(self, ref: int | str, status: MaintenanceStatus, body: str | None = None) -> None:
        with self.db.write() as session:
            do_move_maintenance(
                session, ref=ref, status=status, body=body, actor="rita", now=self.clock.now()
            )

    def update(self, ref: int | str, **kw: Any) -> None:
        with self.db.write() as session:
            do_update_maintenance(session, ref=ref, actor="rita", now=self.clock.now(), **kw)

    def get(self, ref: int | str) -> Maintenance:
        with self.db.read() as session:
            m = maintenances.get_maintenance(session, ref)
            _ = m.components, m.updates
            return m

    def statuses(self) -> dict[str, ComponentStatus]:
        with self.db.read() as session:
            return {c.name: c.status for c in session.scalars(select(Component))}

    def windows(self, maintenance_id: int) -> dict[str, tuple[datetime, datetime]]:
        with self.db.read() as session:
            rows = session.execute(
                select(Service.name, MaintenanceWindow.starts_at, MaintenanceWindow.ends_at)
                .join(Service, Service.id == MaintenanceWindow.service_id)
                .where(MaintenanceWindow.maintenance_id == maintenance_id)
            ).all()
            return {name: (start, end) for name, start, end in rows}

    def revision(self) -> int:
        with self.db.read() as session:
            row = session.get(StatusPageRevision, 1)
            return row.revision if row else 0


@pytest.fixture
def site(db: Database, clock: FakeClock, settings: Settings, status_data: StatusData) -> Site:
    status_data.component("db")
    status_data.component("api")
    status_data.service("postgres", component="db")
    status_data.service("pgbouncer", component="db")
    status_data.service("gateway", component="api")
    status_data.service("billing")
    return Site(db, clock, settings, status_data)


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What the subscribers would hear: (status, body) per call."""
    heard: list[tuple[str, str]] = []

    def notify(session: Any, *, maintenance: Maintenance, update: Any, now: datetime) -> int:
        heard.append((str(update.status), update.body))
        return 0

    monkeypatch.setattr(subscriptions, "notify_subscribers_of_maintenance", notify)
    return heard


# --- scheduling ---------------------------------------------------------------------------


def test_it_schedules_with_a_public_code_a_first_update_windows_and_tasks(
    site: Site, told: list[tuple[str, str]]
) -> None:
    t = site.clock.now()
    before = site.revision()
    m = site.schedule()
    got = site.get(m.id)
    assert got.status is MaintenanceStatus.SCHEDULED
    assert len(got.code) == 12
    assert got.code.isalpha()
    assert got.code.islower()
    assert got.code != str(got.id)
    assert [c.name for c in got.components] == ["db"]
    assert [(u.status, u.body) for u in got.updates] == [
        (MaintenanceStatus.SCHEDULED, "Upgrading PostgreSQL to 17.")
    ]
    assert site.windows(m.id) == {
        "postgres": (t + HOUR, t + 3 * HOUR),
        "pgbouncer": (t + HOUR, t + 3 * HOUR),
    }
    assert site.statuses() == {"db": "operational", "api": "operational"}
    assert site.revision() > before
    assert told == [("scheduled", "Upgrading PostgreSQL to 17.")]
    with site.db.read() as session:
        tasks = session.scalars(select(Task).order_by(Task.id)).all()
        mine = [(x.kind, x.due_at, x.payload["maintenance_id"]) for x in tasks]
    assert (START, t + HOUR, m.id) in mine
    assert (COMPLETE, t + 3 * HOUR, m.id) in mine
    # Found by code as well as id.
    assert site.get(got.code).id == m.id


def test_it_refuses_unknown_components_naming_them_and_writes_nothing(site: Site) -> None:
    with pytest.raises(Invalid, match="'cache'"):
        site.schedule(["db", "cache"])
    with site.db.read() as session:
        assert session.scalars(select(Maintenance)).all() == []
        assert session.scalars(select(MaintenanceWindow)).all() == []


def test_it_refuses_an_end_before_the_start_or_already_past(site: Site) -> None:
    t = site.clock.now()
    with pytest.raises(Invalid, match="after scheduled_for"):
        site.schedule(scheduled_for=t + HOUR, scheduled_until=t + HOUR)
    with pytest.raises(Invalid, match="already passed"):
        site.schedule(scheduled_for=t - 3 * HOUR, scheduled_until=t - HOUR)


# --- the engine runs it -------------------------------------------------------------------


def test_the_engine_starts_and_completes_it_at_its_times(
    site: Site, told: list[tuple[str, str]]
) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.at(t + HOUR - timedelta(seconds=1))
    assert site.get(m.id).status is MaintenanceStatus.SCHEDULED
    site.at(t + HOUR)
    got = site.get(m.id)
    assert got.status is MaintenanceStatus.IN_PROGRESS
    assert got.started_at == t + HOUR
    assert got.updates[0].author == "warroom"
    assert site.statuses() == {"db": "under_maintenance", "api": "operational"}
    site.at(t + 3 * HOUR)
    got = site.get(m.id)
    assert got.status is MaintenanceStatus.COMPLETED
    assert got.completed_at == t + 3 * HOUR
    assert site.statuses() == {"db": "operational", "api": "operational"}
    assert [s for s, _ in told] == ["scheduled", "in_progress", "completed"]
    # Running again changes nothing: every task is done.
    assert site.run() == 0


def test_starting_early_by_hand_moves_the_windows_start_and_the_start_task_does_nothing(
    site: Site, told: list[tuple[str, str]]
) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.clock.set(t + timedelta(minutes=20))
    site.move(m.id, MaintenanceStatus.IN_PROGRESS, "Starting early.")
    assert site.windows(m.id)["postgres"] == (t + timedelta(minutes=20), t + 3 * HOUR)
    site.at(t + HOUR)
    got = site.get(m.id)
    assert got.started_at == t + timedelta(minutes=20)
    assert [u.body for u in got.updates][:1] == ["Starting early."]
    assert len(told) == 2  # the start task found it started and said nothing


def test_completing_ends_the_windows_now(site: Site) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.at(t + HOUR)
    site.clock.set(t + 2 * HOUR)
    site.move(m.id, MaintenanceStatus.VERIFYING)
    assert site.statuses()["db"] == "under_maintenance"
    site.move(m.id, MaintenanceStatus.COMPLETED)
    assert site.windows(m.id)["postgres"] == (t + HOUR, t + 2 * HOUR)
    assert site.statuses()["db"] == "operational"
    site.at(t + 3 * HOUR)  # the complete task: already completed, nothing to do
    assert site.get(m.id).completed_at == t + 2 * HOUR


def test_cancelling_before_it_starts_removes_its_windows(
    site: Site, told: list[tuple[str, str]]
) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.move(m.id, MaintenanceStatus.COMPLETED)
    assert site.windows(m.id) == {}
    got = site.get(m.id)
    assert got.status is MaintenanceStatus.COMPLETED
    assert got.started_at is None
    assert told[-1] == ("completed", "This scheduled maintenance has been cancelled.")
    site.at(t + 4 * HOUR)
    assert site.statuses()["db"] == "operational"
    assert len(told) == 2


def test_a_refused_move_is_a_409_naming_the_allowed_moves(site: Site) -> None:
    m = site.schedule()
    with pytest.raises(Conflict) as refused:
        site.move(m.id, MaintenanceStatus.VERIFYING)
    assert refused.value.allowed == ["completed", "in_progress"]
    assert "allowed: completed, in_progress" in refused.value.message
    site.move(m.id, MaintenanceStatus.COMPLETED)
    with pytest.raises(Conflict, match="it is completed"):
        site.move(m.id, MaintenanceStatus.IN_PROGRESS)


def test_without_auto_complete_it_stays_in_progress_and_its_services_stay_quiet(
    site: Site,
) -> None:
    t = site.clock.now()
    m = site.schedule(auto_complete=False)
    site.at(t + HOUR)
    assert site.windows(m.id)["postgres"] == (t + HOUR, OPEN_END)
    site.at(t + 10 * HOUR)
    assert site.get(m.id).status is MaintenanceStatus.IN_PROGRESS
    assert site.statuses()["db"] == "under_maintenance"
    site.move(m.id, MaintenanceStatus.COMPLETED)
    assert site.windows(m.id)["postgres"] == (t + HOUR, t + 10 * HOUR)
    assert site.statuses()["db"] == "operational"


def test_without_auto_start_nothing_starts_it_but_a_person(site: Site) -> None:
    t = site.clock.now()
    m = site.schedule(auto_start=False)
    site.at(t + 2 * HOUR)
    assert site.get(m.id).status is MaintenanceStatus.SCHEDULED
    assert site.statuses()["db"] == "operational"
    site.move(m.id, MaintenanceStatus.IN_PROGRESS)
    assert site.statuses()["db"] == "under_maintenance"
    site.at(t + 3 * HOUR)
    assert site.get(m.id).status is MaintenanceStatus.COMPLETED


# --- changing it ----------------------------------------------------------------------------


def test_rescheduling_moves_windows_and_leaves_the_old_tasks_harmless(
    site: Site, told: list[tuple[str, str]]
) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.update(m.id, scheduled_for=t + 5 * HOUR, scheduled_until=t + 6 * HOUR)
    assert site.windows(m.id)["postgres"] == (t + 5 * HOUR, t + 6 * HOUR)
    site.at(t + 3 * HOUR)  # the first plan's start and end come and go
    assert site.get(m.id).status is MaintenanceStatus.SCHEDULED
    assert site.statuses()["db"] == "operational"
    site.at(t + 5 * HOUR)
    assert site.get(m.id).status is MaintenanceStatus.IN_PROGRESS
    site.at(t + 6 * HOUR)
    assert site.get(m.id).status is MaintenanceStatus.COMPLETED
    assert [s for s, _ in told] == ["scheduled", "in_progress", "completed"]


def test_turning_auto_start_off_stops_the_queued_start(site: Site) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.update(m.id, auto_start=False)
    site.at(t + HOUR)
    assert site.get(m.id).status is MaintenanceStatus.SCHEDULED


def test_changing_components_moves_windows_and_component_statuses(site: Site) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.at(t + HOUR)
    site.clock.set(t + 90 * timedelta(minutes=1))
    site.update(m.id, components=["api"], name="Gateway upgrade")
    # postgres keeps the half hour that was true, gateway is quiet from the start.
    assert site.windows(m.id) == {
        "postgres": (t + HOUR, t + 90 * timedelta(minutes=1)),
        "pgbouncer": (t + HOUR, t + 90 * timedelta(minutes=1)),
        "gateway": (t + HOUR, t + 3 * HOUR),
    }
    assert site.statuses() == {"db": "operational", "api": "under_maintenance"}
    assert site.get(m.id).name == "Gateway upgrade"


def test_a_completed_maintenance_cannot_be_changed(site: Site) -> None:
    m = site.schedule()
    site.move(m.id, MaintenanceStatus.COMPLETED)
    with pytest.raises(Conflict, match="completed"):
        site.update(m.id, name="Again")


def test_posting_an_update_tells_subscribers_and_can_move_it(
    site: Site, told: list[tuple[str, str]]
) -> None:
    m = site.schedule()
    with site.db.write() as session:
        do_post_maintenance_update(
            session, ref=m.code, body="Still on for tonight.", actor="rita", now=site.clock.now()
        )
        do_post_maintenance_update(
            session,
            ref=m.code,
            body="Starting now.",
            status=MaintenanceStatus.IN_PROGRESS,
            actor="rita",
            now=site.clock.now(),
        )
    assert told[1:] == [("scheduled", "Still on for tonight."), ("in_progress", "Starting now.")]
    assert site.statuses()["db"] == "under_maintenance"


def test_a_worse_incident_status_wins_over_maintenance(site: Site) -> None:
    t = site.clock.now()
    m = site.schedule()
    site.at(t + HOUR)
    with site.db.write() as session:
        from warroom.statuspage.components import refresh_components

        db = session.scalar(select(Component).where(Component.name == "db"))
        assert db is not None
        db.manual_status = ComponentStatus.MAJOR_OUTAGE
        refresh_components(session, [db.id], now=site.clock.now())
    assert site.statuses()["db"] == "major_outage"
    site.move(m.id, MaintenanceStatus.COMPLETED)
    assert site.statuses()["db"] == "major_outage"


# --- end to end: alerts through the Events API v2 -------------------------------------------


def _send(client: TestClient, key: str, dedup_key: str) -> None:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": f"alert {dedup_key}", "source": "mon", "severity": "critical"},
    }
    r = client.post(ENQUEUE, json=event)
    assert r.status_code == 202, r.text


def _incidents(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        return [
            (title, name)
            for title, name in session.execute(
                select(Incident.title, Service.name)
                .join(Service, Service.id == Incident.service_id)
                .order_by(Incident.id)
            )
        ]


def test_scenario_alerts_in_the_window_open_nothing_and_after_it_they_do(
    db: Database,
    clock: FakeClock,
    settings: Settings,
    status_data: StatusData,
    app_client: TestClient,
    people: Personas,
) -> None:
    headers = people.admin.headers
    r = app_client.post("/api/v1/components", json={"name": "Checkout"}, headers=headers)
    assert r.status_code == 201, r.text
    keys = {}
    for name, component in (("payments", "Checkout"), ("search", None)):
        body: dict[str, Any] = {"name": name}
        if component:
            body["component"] = component
        r = app_client.post("/api/v1/services", json=body, headers=headers)
        assert r.status_code == 201, r.text
        keys[name] = r.json()["integration_key"]
    site = Site(db, clock, settings, status_data)
    t = clock.now()
    r = app_client.post(
        "/api/v1/maintenances",
        json={
            "name": "Payment provider migration",
            "body": "Card payments may fail.",
            "components": ["Checkout"],
            "scheduled_for": (t + HOUR).isoformat(),
            "scheduled_until": (t + 2 * HOUR).isoformat(),
        },
        headers=people.responder.headers,
    )
    assert r.status_code == 201, r.text
    code = r.json()["code"]

    site.at(t + HOUR)
    assert site.statuses()["Checkout"] == "under_maintenance"
    _send(app_client, keys["payments"], "cards-failing")
    _send(app_client, keys["search"], "search-slow")
    # The unrelated service still opens its incident; the one in maintenance does not.
    assert _incidents(db) == [("alert search-slow", "search")]
    alerts = app_client.get("/api/v1/alerts", headers=headers).json()["items"]
    held = [a for a in alerts if a["service"] == "payments"]
    assert len(held) == 1
    assert "Payment provider migration" in held[0]["suppressed_by"]

    site.at(t + 2 * HOUR)
    got = app_client.get(f"/api/v1/maintenances/{code}", headers=people.viewer.headers).json()
    assert got["status"] == "completed"
    assert site.statuses()["Checkout"] == "operational"
    # Monitoring resends the still-firing alert: now it opens an incident.
    _send(app_client, keys["payments"], "cards-failing")
    assert ("alert cards-failing", "payments") in _incidents(db)
