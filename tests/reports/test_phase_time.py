"""Time spent by phase (issue 6): the seconds each incident row keeps per lifecycle
phase, after random runs of the real actions (status moves, postmortems, action items),
against the definition in warroom.domain.phase_time; the migration's rebuild from the
timeline; and the report's mean minutes per phase in the API, on the reports page, in
its CSV and in `warroom report`, for a case worked out by hand."""

import csv
import io
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import LiveServer, Personas
from warroom.cli import app
from warroom.clock import FakeClock
from warroom.db.migrate import alembic_config
from warroom.db.session import Database
from warroom.domain.action_items import FINISHED, ActionItemStatus
from warroom.domain.errors import InvalidTransition
from warroom.domain.lifecycle import TRANSITIONS, Phase, Status, phase_of
from warroom.domain.phase_time import (
    TIMED_PHASES,
    Moment,
    entered,
    moments_of,
    seconds_by_phase,
    stretch_seconds,
)
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.severity import Severity
from warroom.errors import Conflict
from warroom.incidents import actions
from warroom.incidents.models import Incident, TimelineEvent
from warroom.incidents.phase_time import (
    PHASE_COLUMNS,
    StatusMoved,
    change_of,
    rebuild_phase_time,
)
from warroom.postmortems import documents
from warroom.postmortems.actions import ItemChanges, do_add_action_item, do_change_action_item
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.services.actions import do_create_service

S = Status
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTOR = "rita"

# --- random runs of the real actions -----------------------------------------------------


def phase_now(session: Session, incident_id: int) -> Phase:
    """The incident's phase as its rows say it, not its timeline."""
    status = session.scalar(select(Incident.status).where(Incident.id == incident_id))
    assert status is not None
    published = session.scalar(
        select(func.count(Postmortem.id)).where(
            Postmortem.incident_id == incident_id,
            Postmortem.status == PostmortemStatus.PUBLISHED,
        )
    )
    open_items = session.scalar(
        select(func.count(ActionItem.id)).where(
            ActionItem.incident_id == incident_id, ActionItem.status.not_in(FINISHED)
        )
    )
    return phase_of(status, postmortem_published=bool(published), open_action_items=open_items or 0)


@dataclass
class Run:
    """Incidents worked by the real actions at increasing times; after each action that
    went through, the phase each touched incident is in, read from its rows."""

    db: Database
    rng: random.Random
    now: datetime = T0
    seen: dict[int, list[Moment]] = field(default_factory=dict)
    refused: int = 0

    def act(self, incident_id: int | None, do: Callable[[Session], Any]) -> int | None:
        """One action in its own transaction; a refusal (an item already finished, a
        postmortem publishing a reopened incident) writes nothing and is not a moment."""
        try:
            with self.db.write() as session:
                done = do(session)
        except (Conflict, InvalidTransition):
            self.refused += 1
            return None
        if incident_id is None:
            incident_id = int(done.id)
        with self.db.read() as session:
            self.seen.setdefault(incident_id, []).append(
                Moment(self.now, phase_now(session, incident_id))
            )
        return incident_id

    def tick(self) -> None:
        # Often several actions in one instant, otherwise seconds to hours apart.
        if self.rng.random() < 0.8:
            self.now += timedelta(seconds=self.rng.randint(1, 6 * 3600))

    def declare(self) -> None:
        self.act(
            None,
            lambda s: actions.do_declare(
                s,
                title="Checkout errors",
                severity=self.rng.choice(list(Severity)),
                service="checkout",
                actor=ACTOR,
                now=self.now,
                drill=self.rng.random() < 0.15,  # drills leave no runbook review item
            ),
        )

    def step(self, incident_id: int) -> None:
        """Something that may happen to the incident now, as its state allows."""
        with self.db.read() as session:
            status = session.scalar(select(Incident.status).where(Incident.id == incident_id))
            postmortem = session.scalar(
                select(Postmortem.status).where(Postmortem.incident_id == incident_id)
            )
            items = session.execute(
                select(ActionItem.id, ActionItem.status).where(
                    ActionItem.incident_id == incident_id
                )
            ).all()
        assert status is not None
        kw: dict[str, Any] = {"actor": ACTOR, "now": self.now}
        iid = incident_id
        choices: list[Callable[[Session], Any]] = []
        # A resolved incident mostly stays resolved: its postmortem and items get worked.
        if status is not S.CLOSED and (status is not S.RESOLVED or self.rng.random() < 0.2):
            moves = TRANSITIONS[status]
            # The usual next step (listed first) and resolving more often than others.
            roll = self.rng.random()
            target = moves[0] if roll < 0.3 else self.rng.choice(moves)
            if roll > 0.75 and S.RESOLVED in moves:
                target = S.RESOLVED
            if status is S.RESOLVED and target is S.INVESTIGATING:
                choices.append(lambda s: actions.do_reopen(s, incident_id=iid, **kw))
            elif status is S.TRIGGERED and target is S.ACKNOWLEDGED:
                choices.append(lambda s: actions.do_acknowledge(s, incident_id=iid, **kw))
            else:
                choices.append(
                    lambda s: actions.do_change_status(s, incident_id=iid, status=target, **kw)
                )
        if status is not S.CLOSED:
            choices.append(
                lambda s: do_add_action_item(s, incident_id=iid, title="Add an alert", **kw)
            )
            choices.append(lambda s: actions.do_add_note(s, incident_id=iid, text="Hm", **kw))
        if status in (S.RESOLVED, S.CLOSED) and postmortem is None:
            choices.append(lambda s: documents.do_start_postmortem(s, incident_id=iid, **kw))
        if postmortem is not None:
            forward = {
                PostmortemStatus.DRAFT: PostmortemStatus.PUBLISHED,
                PostmortemStatus.IN_REVIEW: PostmortemStatus.PUBLISHED,
                PostmortemStatus.PUBLISHED: PostmortemStatus.IN_REVIEW,
            }
            to = forward[postmortem] if self.rng.random() < 0.8 else PostmortemStatus.IN_REVIEW
            choices += [
                lambda s: documents.do_move_postmortem(s, incident_id=iid, status=to, **kw)
            ] * 2
        for item_id, item_status in items:
            finish = self.rng.choice([ActionItemStatus.DONE, ActionItemStatus.WONT_DO])
            again = self.rng.choice([ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS])
            wanted = again if item_status in FINISHED else finish
            choices.append(
                lambda s, i=item_id, w=wanted: do_change_action_item(
                    s, item_id=i, changes=ItemChanges(status=w), **kw
                )
            )
        self.act(incident_id, self.rng.choice(choices))

    def play(self, steps: int) -> None:
        for _ in range(steps):
            self.tick()
            if not self.seen or (len(self.seen) < 6 and self.rng.random() < 0.15):
                self.declare()
            else:
                self.step(self.rng.choice(sorted(self.seen)))


@dataclass(frozen=True)
class Stored:
    phase_since: datetime | None
    seconds: dict[Phase, float]


def stored(db: Database) -> dict[int, Stored]:
    with db.read() as session:
        return {
            i.id: Stored(i.phase_since, {p: getattr(i, c) for p, c in PHASE_COLUMNS.items()})
            for i in session.scalars(select(Incident).order_by(Incident.id))
        }


def up_to(row: Stored, phase: Phase, until: datetime) -> dict[Phase, float]:
    """A row's seconds plus its ongoing stretch, as a report at `until` counts them."""
    assert row.phase_since is not None
    total = dict(row.seconds)
    if phase in total:
        total[phase] += stretch_seconds(row.phase_since, until)
    return total


def timeline_seconds(db: Database, incident_id: int, until: datetime) -> dict[Phase, float]:
    """The definition applied to the incident's timeline as the API shows it."""
    with db.read() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        events = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.at, TimelineEvent.id)
        ).all()
        changes = [StatusMoved(incident.triggered_at, S.TRIGGERED)]
        changes += [
            c for e in events if (c := change_of(str(e.type), e.at, dict(e.data))) is not None
        ]
    return seconds_by_phase(moments_of(changes), until=until)


def played(db: Database, seed: int) -> Run:
    with db.write() as session:
        do_create_service(session, name="checkout", now=T0)
    run = Run(db, random.Random(seed))
    run.play(120)
    return run


SEEDS = range(4)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_stored_time_by_phase_follows_the_definition_through_real_actions(
    db: Database, seed: int
) -> None:
    run = played(db, seed)
    rows = stored(db)
    until = run.now + timedelta(hours=1)
    phases_seen: set[Phase] = set()
    for incident_id, seen in run.seen.items():
        row = rows[incident_id]
        expected = seconds_by_phase(seen, until=until)
        current = seen[-1].phase
        assert up_to(row, current, until) == pytest.approx(expected, abs=1e-3), incident_id
        # What the row stores is the same definition up to phase_since, where the stretch
        # of the phase it is in now continues from.
        assert row.phase_since is not None
        assert row.phase_since >= entered(seen)[-1].at
        assert row.seconds == pytest.approx(
            seconds_by_phase(entered(seen), until=row.phase_since), abs=1e-3
        )
        assert timeline_seconds(db, incident_id, until) == pytest.approx(expected, abs=1e-3)
        phases_seen |= {p for p, s in expected.items() if s > 0}
    # The runs spend real time in improvement, and the first in every phase.
    assert Phase.IMPROVEMENT in phases_seen
    if seed == 0:
        assert phases_seen == set(TIMED_PHASES)


@pytest.mark.parametrize("seed", SEEDS)
def test_rebuilding_from_the_timeline_gives_the_stored_time(db: Database, seed: int) -> None:
    played(db, seed)
    kept = stored(db)
    blank = dict.fromkeys(PHASE_COLUMNS.values(), 0.0)
    with db.write() as session:
        session.execute(update(Incident).values(phase_since=None, **blank))
    assert all(r.phase_since is None for r in stored(db).values())
    with db.engine.begin() as conn:
        rebuild_phase_time(conn)
    rebuilt = stored(db)
    assert rebuilt.keys() == kept.keys()
    for incident_id, row in kept.items():
        assert rebuilt[incident_id].phase_since == row.phase_since, incident_id
        assert rebuilt[incident_id].seconds == pytest.approx(row.seconds, abs=1e-3), incident_id


def test_the_migration_fills_in_incidents_that_existed_before_it(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        played(db, 0)
        kept = stored(db)
        db.dispose()
        command.downgrade(alembic_config(url), "0020")
        command.upgrade(alembic_config(url), "head")
        rebuilt = stored(db)
    finally:
        db.dispose()
    assert sum(sum(r.seconds.values()) for r in kept.values()) > 0
    for incident_id, row in kept.items():
        assert rebuilt[incident_id].phase_since == row.phase_since
        assert rebuilt[incident_id].seconds == pytest.approx(row.seconds, abs=1e-3)


def test_a_call_in_the_past_adds_nothing_rather_than_taking_time_away(db: Database) -> None:
    with db.write() as session:
        do_create_service(session, name="checkout", now=T0)
        incident = actions.do_declare(
            session, title="x", severity=Severity.SEV2, service="checkout", actor=ACTOR, now=T0
        )
        iid = incident.id
    later = T0 + timedelta(minutes=30)
    with db.write() as session:
        actions.do_acknowledge(session, incident_id=iid, actor=ACTOR, now=later)
    with db.write() as session:  # a demo load writing a past moment after a later one
        actions.do_resolve(session, incident_id=iid, actor=ACTOR, now=T0 + timedelta(minutes=5))
    row = stored(db)[iid]
    assert row.seconds[Phase.DETECTION] == pytest.approx(30 * 60)
    assert row.seconds[Phase.TRIAGE] == 0.0
    assert all(v >= 0 for v in row.seconds.values())


def test_several_changes_in_one_transaction_count_to_the_phase_each_left(
    db: Database,
) -> None:
    """A bulk change (an import, a script) may move a resolved incident more than once,
    at different times, in one transaction: each stretch goes to the phase it ran in,
    not to one read before the moves."""
    minutes = [T0 + timedelta(minutes=m) for m in range(0, 100, 10)]
    with db.write() as session:
        do_create_service(session, name="checkout", now=T0)
        iid = actions.do_declare(
            session, title="x", severity=Severity.SEV2, service="checkout", actor=ACTOR, now=T0
        ).id
    with db.write() as session:
        actions.do_resolve(session, incident_id=iid, actor=ACTOR, now=minutes[1])
        documents.do_start_postmortem(session, incident_id=iid, actor=ACTOR, now=minutes[2])
    with db.write() as session:
        kw: dict[str, Any] = {"incident_id": iid, "actor": ACTOR}
        documents.do_move_postmortem(
            session, status=PostmortemStatus.PUBLISHED, now=minutes[3], **kw
        )  # the runbook review is open: improvement
        (item,) = session.scalars(select(ActionItem).where(ActionItem.incident_id == iid))
        do_change_action_item(
            session,
            item_id=item.id,
            changes=ItemChanges(status=ActionItemStatus.DONE),
            actor=ACTOR,
            now=minutes[6],
        )  # nothing open: it closes
    row = stored(db)[iid]
    assert row.seconds[Phase.ANALYSIS] == pytest.approx(20 * 60)
    assert row.seconds[Phase.IMPROVEMENT] == pytest.approx(30 * 60)


# --- the report, worked out by hand ------------------------------------------------------

REPORT = "/api/v1/reports/incidents"
API = "/api/v1/incidents"
# Incident A: detection 10 min, triage 50, analysis 60 (resolved until the postmortem is
# published with the runbook review still open), improvement 60 (until that item is
# done, which closes it). Incident B: detection 10, response 40, and recovery for the
# 50 minutes up to the report. Means over the two incidents:
EXPECTED_MINUTES = {
    "detection": 10.0,
    "triage": 25.0,
    "response": 20.0,
    "recovery": 25.0,
    "analysis": 30.0,
    "improvement": 30.0,
}
EXPECTED_TEXT = {p: f"{m:.0f} min" for p, m in EXPECTED_MINUTES.items()}


def work_two_incidents(client: Any, people: Personas, clock: FakeClock) -> None:
    """Through the API (a TestClient, or an httpx.Client on a live server), moving the
    clock between steps; leaves it at the report's moment, 300 minutes after the start."""
    start = clock.now()

    def at(minutes: int) -> None:
        clock.set(start + timedelta(minutes=minutes))

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = people.admin.headers if path == "/api/v1/services" else people.responder.headers
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code in (200, 201), f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    call("POST", "/api/v1/services", {"name": "checkout"})
    declare = {"title": "Checkout errors", "severity": "SEV-2", "service": "checkout"}
    a = call("POST", API, declare)["id"]
    at(10)
    call("POST", f"{API}/{a}/acknowledge")
    at(60)
    call("POST", f"{API}/{a}/resolve")
    at(100)
    call("POST", f"{API}/{a}/postmortem")
    at(120)
    call("POST", f"{API}/{a}/postmortem/status", {"status": "published"})
    at(180)
    (item,) = call("GET", f"/api/v1/action-items?incident={a}")["items"]
    assert item["kind"] == "runbook_review"
    call("PATCH", f"/api/v1/action-items/{item['id']}", {"status": "done"})
    assert call("GET", f"{API}/{a}")["status"] == "closed"
    at(200)
    b = call("POST", API, declare)["id"]
    at(210)
    call("POST", f"{API}/{b}/status", {"status": "investigating"})
    at(250)
    call("POST", f"{API}/{b}/status", {"status": "monitoring"})
    at(300)


@pytest.fixture
def worked(app_client: TestClient, people: Personas, clock: FakeClock) -> TestClient:
    work_two_incidents(app_client, people, clock)
    return app_client


def test_the_report_gives_the_mean_minutes_in_each_phase(
    worked: TestClient, people: Personas
) -> None:
    r = worked.get(REPORT, headers=people.viewer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_incidents"] == 2
    assert list(body["minutes_by_phase"]) == list(EXPECTED_MINUTES)  # lifecycle order
    assert body["minutes_by_phase"] == pytest.approx(EXPECTED_MINUTES)
    assert body["incidents_by_phase"]["closed"] == 1
    assert body["incidents_by_phase"]["recovery"] == 1
    # Nothing to measure: null, not 0.
    drills = worked.get(REPORT, params={"drill": "true"}, headers=people.viewer.headers)
    assert drills.json()["minutes_by_phase"] == dict.fromkeys(EXPECTED_MINUTES)


def test_the_time_still_running_grows_with_the_clock(
    worked: TestClient, people: Personas, clock: FakeClock
) -> None:
    clock.advance(minutes=100)  # B has been in recovery 150 minutes now
    body = worked.get(REPORT, headers=people.viewer.headers).json()
    assert body["minutes_by_phase"]["recovery"] == pytest.approx(75.0)
    assert body["minutes_by_phase"]["analysis"] == pytest.approx(30.0)


def test_the_openapi_describes_the_field(worked: TestClient) -> None:
    schema = worked.get("/openapi.json").json()["components"]["schemas"]["ReportOut"]
    field = schema["properties"]["minutes_by_phase"]
    assert "mean minutes" in field["description"]


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_the_reports_page_shows_the_time_next_to_the_count(
    worked: TestClient, people: Personas
) -> None:
    worked.cookies.clear()
    r = worked.post("/login", data={"token": people.viewer.token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = worked.get("/reports").text
    rows = dict(re.findall(r'<tr data-phase="(\w+)">(.*?)</tr>', page, re.S))
    assert list(rows) == [*EXPECTED_MINUTES, "closed"]
    for phase, text in EXPECTED_TEXT.items():
        assert text_of(rows[phase]).endswith(text), (phase, text_of(rows[phase]))
    assert text_of(rows["recovery"]) == "Recovery 1 25 min"
    assert text_of(rows["closed"]) == "Closed 1"
    csv_rows = list(csv.DictReader(io.StringIO(worked.get("/reports.csv").text)))
    overall = next(row for row in csv_rows if row["scope"] == "overall")
    for phase, minutes in EXPECTED_MINUTES.items():
        assert float(overall[f"{phase}_minutes"]) == pytest.approx(minutes)
    assert all(row["triage_minutes"] == "" for row in csv_rows if row["scope"] != "overall")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_USER", "WARROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_warroom_report_prints_the_time_by_phase(
    live: LiveServer, people: Personas, clock: FakeClock, cli_env: CliRunner
) -> None:
    work_two_incidents(live.client, people, clock)
    remote = ["--url", live.url, "--token", people.viewer.token]
    result = cli_env.invoke(app, ["report", *remote])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    out = " ".join(result.stdout.split())
    spent = " · ".join(f"{p} {t}" for p, t in EXPECTED_TEXT.items())
    assert f"Mean time per phase: {spent}" in out
    result = cli_env.invoke(app, ["report", *remote, "--csv"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    header, overall = rows[0], rows[1]
    assert overall[0] == "overall"
    got = {name.removesuffix("_minutes"): overall[i] for i, name in enumerate(header)}
    for phase, minutes in EXPECTED_MINUTES.items():
        assert float(got[phase]) == pytest.approx(minutes)
