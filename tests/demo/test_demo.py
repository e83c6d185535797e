"""`warroom demo`: an empty database becomes an organisation with a quarter of history
that every page and report can show, without paging anyone when the engine starts."""

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.demo.load import load_demo
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.runbook import lint
from warroom.domain.timeline import EventType
from warroom.drills.models import Drill
from warroom.engine.handlers import default_handlers
from warroom.engine.runner import Engine
from warroom.errors import Conflict
from warroom.incidents.models import Incident, TimelineEvent
from warroom.paging.models import Page
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.reports.queries import ReportFilter, incident_report
from warroom.runbooks.models import Runbook
from warroom.settings import Settings
from warroom.teams.models import Team
from warroom.users.actions import do_create_token
from warroom.users.models import User
from warroom.users.repository import get_user
from warroom.web.app import create_app

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Database]:
    """Loaded once for the module: the demo takes seconds, not milliseconds."""
    path = tmp_path_factory.mktemp("demo") / "warroom.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    load_demo(db, now=NOW)
    yield db
    db.dispose()


def test_it_builds_the_organisation_the_issue_describes(demo_db: Database) -> None:
    with demo_db.read() as session:
        assert session.scalar(select(func.count(User.id))) == 12
        teams = session.scalars(select(Team)).all()
        assert len(teams) == 4
        assert all(len(t.members) == 3 for t in teams)
        runbooks = session.scalars(select(Runbook)).all()
        assert len(runbooks) >= 7
        assert all(lint(r.markdown) == [] for r in runbooks)


def test_its_history_covers_ninety_days_with_postmortems_and_one_drill(
    demo_db: Database,
) -> None:
    with demo_db.read() as session:
        first = session.scalar(select(func.min(Incident.triggered_at)))
        assert first is not None
        assert NOW - first > timedelta(days=80)
        assert session.scalar(select(func.count(Incident.id))) > 100
        statuses = set(session.scalars(select(Postmortem.status)))
        assert {PostmortemStatus.PUBLISHED, PostmortemStatus.IN_REVIEW} <= statuses
        drills = session.scalars(select(Drill)).all()
        assert len(drills) == 1
        drill_incident = session.get(Incident, drills[0].incident_id)
        assert drill_incident is not None
        assert drill_incident.drill
        assert "DRILL" in drill_incident.title
        overdue = session.scalar(
            select(func.count(ActionItem.id)).where(
                ActionItem.status == "open", ActionItem.due_on < NOW.date()
            )
        )
        assert overdue
        assert overdue > 0


def test_its_figures_read_like_a_real_team(demo_db: Database) -> None:
    with demo_db.read() as session:
        report = incident_report(
            session,
            where=ReportFilter(since=NOW - timedelta(days=91), until=NOW + timedelta(minutes=1)),
            now=NOW,
        )
    sev = report.by_severity
    # The worse the incident, the faster people answer and fix it.
    assert sev["SEV-1"].mtta_minutes < sev["SEV-3"].mtta_minutes < sev["SEV-4"].mtta_minutes  # type: ignore[operator]
    assert sev["SEV-1"].mttr_minutes < sev["SEV-3"].mttr_minutes < sev["SEV-4"].mttr_minutes  # type: ignore[operator]
    assert report.response_target_compliance is not None
    assert 0.6 < report.response_target_compliance < 1.0
    assert report.repeat_incidents > 0
    assert set(report.by_team) == {"Payments", "Platform", "Discovery", "Data"}


def test_its_history_happened_in_order(demo_db: Database) -> None:
    # Loaded through the real actions, in the order things happened: nothing is dated
    # after now, and the time by phase adds up to each incident's lifetime (trigger to
    # close, or to now) — events run out of order would count stretches twice.
    with demo_db.read() as session:
        latest = session.scalar(select(func.max(TimelineEvent.at)))
        report = incident_report(
            session,
            where=ReportFilter(since=NOW - timedelta(days=91), until=NOW + timedelta(minutes=1)),
            now=NOW,
        )
        lifetimes = [
            ((closed or NOW) - triggered).total_seconds() / 60
            for triggered, closed in session.execute(
                select(Incident.triggered_at, Incident.closed_at).where(Incident.drill.is_(False))
            )
        ]
    assert latest is not None
    assert latest <= NOW
    phases = sum(minutes or 0.0 for minutes in report.minutes_by_phase.values())
    assert phases == pytest.approx(sum(lifetimes) / len(lifetimes), rel=1e-6)
    assert min(m or 0.0 for m in report.minutes_by_phase.values()) >= 0


def test_the_first_engine_run_pages_nobody(demo_db: Database) -> None:
    with demo_db.read() as session:
        pages_before = session.scalar(select(func.count(Page.id)))
    clock = FakeClock(NOW)
    engine = Engine(
        demo_db, clock, Settings(database_url=demo_db.url), default_handlers(), name="t"
    )
    while engine.run_once():
        pass
    with demo_db.read() as session:
        assert session.scalar(select(func.count(Page.id))) == pages_before
        replayed = session.scalar(
            select(func.count(TimelineEvent.id)).where(
                TimelineEvent.at >= NOW,
                TimelineEvent.type.in_([EventType.PAGE_SENT, EventType.REMINDER_SENT]),
            )
        )
        assert replayed == 0


def test_it_refuses_a_database_that_already_has_data(demo_db: Database) -> None:
    with pytest.raises(Conflict, match="empty database"):
        load_demo(demo_db, now=NOW)


def test_every_page_has_something_to_show(demo_db: Database) -> None:
    with demo_db.write() as session:
        token = do_create_token(session, user=get_user(session, "lena"), now=NOW).secret
        postmortem = session.scalars(
            select(Postmortem).where(Postmortem.status == PostmortemStatus.PUBLISHED)
        ).first()
        drill = session.scalars(select(Drill)).one()
        assert postmortem is not None
    settings = Settings(database_url=demo_db.url, base_url="http://warroom.test")
    app = create_app(settings, db=demo_db, clock=FakeClock(NOW))
    with TestClient(app) as client:
        signed_in = client.post("/login", data={"token": token}, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        for path, expect in (
            ("/reports", "MTTA"),
            ("/postmortems", "published"),
            (f"/incidents/{postmortem.incident_id}/postmortem", "Timeline"),
            (f"/drills/{drill.id}", "acknowledge"),
            ("/runbooks", "payments-api"),
            ("/teams", "Payments"),
        ):
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            assert expect.lower() in r.text.lower(), path
