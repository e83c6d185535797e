"""Prometheus /metrics: who may scrape it, and that each figure is what the rows say
(open incidents, pages, engine lag and backlog, alert intake, the 30-day report)."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Personas
from warroom.alerts.models import Alert
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.alerts import AlertSource, AlertStatus
from warroom.domain.severity import Severity
from warroom.engine.models import Task, TaskState
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import do_acknowledge, do_close, do_declare, do_resolve
from warroom.paging.models import Page, PageState
from warroom.services.actions import do_create_service
from warroom.services.repository import get_service
from warroom.settings import Settings
from warroom.users.repository import find_user
from warroom.web.app import create_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, headers: dict[str, str]) -> Samples:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPE_LATEST
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def declare(
    db: Database,
    clock: FakeClock,
    severity: Severity,
    *,
    ack_after: float | None = None,
    resolve_after: float | None = None,
    started_before: float = 0,
    drill: bool = False,
    at: datetime | None = None,
) -> int:
    """An incident triggered at `at` (default now), acknowledged and resolved that many
    minutes later, whose problem started `started_before` minutes before it triggered."""
    when = at or clock.now()
    with db.write() as s:
        incident = do_declare(
            s,
            title=f"{severity} trouble",
            severity=severity,
            service="checkout",
            actor="rita",
            now=when,
            drill=drill,
            started_at=when - timedelta(minutes=started_before),
        )
        incident_id = incident.id
    if ack_after is not None:
        with db.write() as s:
            do_acknowledge(
                s, incident_id=incident_id, actor="rita", now=when + timedelta(minutes=ack_after)
            )
    if resolve_after is not None:
        with db.write() as s:
            do_resolve(
                s,
                incident_id=incident_id,
                actor="rita",
                now=when + timedelta(minutes=resolve_after),
            )
    return incident_id


@pytest.fixture
def checkout(db: Database, clock: FakeClock) -> None:
    with db.write() as s:
        do_create_service(s, name="checkout", now=clock.now())


# --- who may scrape ----------------------------------------------------------------------


def test_it_asks_for_a_token(app_client: TestClient) -> None:
    r = app_client.get("/metrics")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_it_refuses_a_token_nobody_issued(app_client: TestClient, people: Personas) -> None:
    assert app_client.get("/metrics", headers=people.outsider.headers).status_code == 401


def test_it_is_for_admins_only(app_client: TestClient, people: Personas) -> None:
    assert app_client.get("/metrics", headers=people.viewer.headers).status_code == 403
    assert app_client.get("/metrics", headers=people.responder.headers).status_code == 403
    assert app_client.get("/metrics", headers=people.admin.headers).status_code == 200


def test_it_is_open_when_the_setting_says_so(sqlite_db: Database, clock: FakeClock) -> None:
    settings = Settings(database_url=sqlite_db.url, metrics_public=True)
    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        samples = scrape(client, {})
    assert value(samples, "warroom_open_incidents", severity="SEV-1") == 0


# --- what it says ------------------------------------------------------------------------


@pytest.mark.usefixtures("checkout")
def test_it_counts_open_incidents_by_severity_without_drills(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    declare(db, clock, Severity.SEV1)
    declare(db, clock, Severity.SEV1, ack_after=1)
    declare(db, clock, Severity.SEV2, ack_after=1, resolve_after=5)
    declare(db, clock, Severity.SEV3, drill=True)
    closed = declare(db, clock, Severity.SEV4, ack_after=1, resolve_after=2)
    with db.write() as s:
        do_close(s, incident_id=closed, actor="rita", now=clock.now())
    samples = scrape(app_client, people.admin.headers)
    open_now = {s: value(samples, "warroom_open_incidents", severity=s) for s in Severity}
    assert open_now == {"SEV-1": 2, "SEV-2": 0, "SEV-3": 0, "SEV-4": 0}
    total = {s: value(samples, "warroom_incidents_total", severity=s) for s in Severity}
    assert total == {"SEV-1": 2, "SEV-2": 1, "SEV-3": 0, "SEV-4": 1}


@pytest.mark.usefixtures("checkout")
def test_it_counts_pages_by_how_they_ended(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    incident_id = declare(db, clock, Severity.SEV1)
    states = [PageState.SENT] * 3 + [PageState.FAILED] + [PageState.CANCELLED] * 2
    states += [PageState.PENDING] * 4
    with db.write() as s:
        user = find_user(s, "rita")
        assert user is not None
        for n, state in enumerate(states):
            s.add(
                Page(
                    incident_id=incident_id,
                    loop=1,
                    level=n,
                    user_id=user.id,
                    contact="json://example.invalid/hook",
                    state=state,
                    attempts=0,
                    created_at=clock.now(),
                )
            )
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_pages_total", state="sent") == 3
    assert value(samples, "warroom_pages_total", state="failed") == 1
    assert value(samples, "warroom_pages_total", state="cancelled") == 2
    assert value(samples, "warroom_pages_pending") == 4


def test_it_measures_engine_lag_from_the_oldest_due_task(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_engine_lag_seconds") == 0
    assert value(samples, "warroom_engine_pending_tasks") == 0
    now = clock.now()
    with db.write() as s:
        enqueue(s, kind="test", now=now, due_at=now - timedelta(seconds=90))
        enqueue(s, kind="test", now=now, due_at=now - timedelta(seconds=30))
        enqueue(s, kind="test", now=now, due_at=now + timedelta(minutes=10))
        done = enqueue(s, kind="test", now=now, due_at=now - timedelta(hours=5))
        done.state = TaskState.DONE
        failed = enqueue(s, kind="test", now=now, due_at=now - timedelta(hours=5))
        failed.state = TaskState.FAILED
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_engine_lag_seconds") == pytest.approx(90)
    assert value(samples, "warroom_engine_pending_tasks") == 3
    assert value(samples, "warroom_engine_due_tasks") == 2
    assert value(samples, "warroom_engine_failed_tasks_total") == 1
    # Nothing due any more: the lag is back to zero, the future task still waits.
    with db.write() as s:
        for task in s.query(Task).where(Task.due_at <= now, Task.state == TaskState.PENDING):
            task.state = TaskState.DONE
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_engine_lag_seconds") == 0
    assert value(samples, "warroom_engine_pending_tasks") == 1


@pytest.mark.usefixtures("checkout")
def test_it_counts_alert_intake_by_integration(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    with db.write() as s:
        service_id = get_service(s, "checkout").id
        for n, (source, events, suppressed) in enumerate(
            [
                (AlertSource.ALERTMANAGER, 3, None),
                (AlertSource.ALERTMANAGER, 1, "maintenance: db upgrade"),
                (AlertSource.EVENTS_V2, 2, None),
            ]
        ):
            s.add(
                Alert(
                    service_id=service_id,
                    source=source,
                    status=AlertStatus.TRIGGERED,
                    alert_key=f"key-{n}",
                    incident_key=f"key-{n}",
                    summary="disk full",
                    severity="critical",
                    started_at=now,
                    received_at=now,
                    last_event_at=now,
                    event_count=events,
                    suppressed_by=suppressed,
                    payload_hash=f"{n:064d}",
                )
            )
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_alerts_total", source="alertmanager") == 2
    assert value(samples, "warroom_alerts_total", source="events_v2") == 1
    assert value(samples, "warroom_alerts_total", source="grafana") == 0
    assert value(samples, "warroom_alert_events_total", source="alertmanager") == 4
    assert value(samples, "warroom_alert_events_total", source="events_v2") == 2
    assert value(samples, "warroom_alerts_suppressed_total", source="alertmanager") == 1
    assert value(samples, "warroom_alerts_suppressed_total", source="events_v2") == 0


@pytest.mark.usefixtures("checkout")
def test_it_reports_the_last_30_days_figures_as_gauges(
    app_client: TestClient, people: Personas, db: Database, clock: FakeClock
) -> None:
    start = clock.now()
    # Two SEV-1s: acknowledged in 10 and 20 minutes (target 15: one met, one missed),
    # each started 5 minutes before warroom heard of it and resolved an hour after.
    declare(db, clock, Severity.SEV1, ack_after=10, resolve_after=60, started_before=5)
    later = start + timedelta(hours=3)
    declare(db, clock, Severity.SEV1, ack_after=20, resolve_after=60, started_before=5, at=later)
    # A SEV-3 acknowledged in 30 minutes, never resolved.
    declare(db, clock, Severity.SEV3, ack_after=30, at=start + timedelta(hours=6))
    # Neither a drill nor anything from before the 30 days counts.
    declare(db, clock, Severity.SEV1, ack_after=300, resolve_after=400, drill=True)
    declare(
        db, clock, Severity.SEV2, ack_after=300, resolve_after=400, at=start - timedelta(days=2)
    )
    clock.set(start + timedelta(days=29))
    samples = scrape(app_client, people.admin.headers)

    assert value(samples, "warroom_mtta_minutes", severity="SEV-1") == pytest.approx(15)
    assert value(samples, "warroom_mtta_minutes", severity="SEV-3") == pytest.approx(30)
    assert value(samples, "warroom_mtta_minutes", severity="all") == pytest.approx(20)
    assert value(samples, "warroom_mttd_minutes", severity="SEV-1") == pytest.approx(5)
    assert value(samples, "warroom_mttr_minutes", severity="SEV-1") == pytest.approx(65)
    assert value(samples, "warroom_response_target_compliance", severity="SEV-1") == 0.5
    assert value(samples, "warroom_response_target_compliance", severity="SEV-3") == 1.0
    # Nothing to measure: no sample at all, rather than a misleading zero.
    assert value(samples, "warroom_mttr_minutes", severity="SEV-3") is None
    assert value(samples, "warroom_mtta_minutes", severity="SEV-2") is None
    # All on one service: the first SEV-1 was resolved at +60 min and the next problem
    # started at +175 min; that one was resolved at +240 min and the SEV-3 began at +360.
    assert value(samples, "warroom_mttf_hours") == pytest.approx((115 + 120) / 2 / 60)
    assert value(samples, "warroom_repeat_incidents") == 0
    assert value(samples, "warroom_report_incidents", severity="all") == 3
    assert value(samples, "warroom_report_incidents", severity="SEV-1") == 2

    # A month on, the window has moved past them all.
    clock.set(start + timedelta(days=40))
    samples = scrape(app_client, people.admin.headers)
    assert value(samples, "warroom_mtta_minutes", severity="all") is None
    assert value(samples, "warroom_report_incidents", severity="all") == 0


def test_every_process_answers_the_same(
    db: Database, clock: FakeClock, people: Personas, checkout: None
) -> None:
    """Two apps on one database (two processes behind a load balancer) scrape alike."""
    declare(db, clock, Severity.SEV2, ack_after=3)
    answers = []
    for _ in range(2):
        settings = Settings(database_url=db.url)
        with TestClient(create_app(settings, db=db, clock=clock)) as client:
            answers.append(scrape(client, people.admin.headers))
    assert answers[0] == answers[1]
    assert value(answers[0], "warroom_open_incidents", severity="SEV-2") == 1
