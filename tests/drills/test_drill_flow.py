"""A drill end to end on a fake clock: a real incident marked DRILL in its title, paging
the service's real escalation policy, kept off the public page and from subscribers, and
its report measured against the severity's targets."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Personas
from tests.drills.conftest import DrillWorld
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.roles import Role
from warroom.engine.models import Task
from warroom.incidents.actions import (
    do_acknowledge,
    do_assign_role,
    do_publish_update,
    do_resolve,
    do_set_public,
)
from warroom.incidents.models import Incident
from warroom.statuspage.subscriptions import SUBSCRIBERS_FANOUT, do_add_subscriber


def test_it_opens_a_drill_incident_marked_in_its_title_and_pages_the_real_policy(
    drills: DrillWorld,
) -> None:
    w = drills.world
    drills.setup()
    drill = drills.start()
    w.run()

    with w.db.read() as session:
        incident = session.get(Incident, drill.incident_id)
        assert incident is not None
        assert incident.drill is True
        assert incident.title == "[DRILL] High Memory Usage"
        assert incident.description.startswith("DRILL: a practice incident.")
        assert "Symptoms:\n- Memory alerts, OOM kills" in incident.description
    # Level 1 of the service's policy paged ann, for real, and the page says DRILL.
    assert w.pages(drill.incident_id) == [(1, 0, "ann", "sent")]
    [(path, body)] = w.receiver.requests
    assert path == "/ann"
    assert body["title"] == "[SEV-2] [DRILL] High Memory Usage"
    assert "DRILL: a practice incident" in body["message"]

    # Nobody acknowledges: the policy escalates to bob, still marked.
    w.at(5, drill.started_at)
    assert [p[2] for p in w.pages(drill.incident_id)] == ["ann", "bob"]
    assert all("[DRILL]" in body["title"] for _, body in w.receiver.requests)


def test_the_drill_never_reaches_the_public_page_or_subscribers(
    drills: DrillWorld, app_client: TestClient
) -> None:
    w = drills.world
    drills.setup()
    now = w.clock.now()
    with w.db.write() as session:
        do_add_subscriber(
            session, kind="webhook", address="https://hooks.example.com/status", now=now
        )
    drill = drills.start()
    with w.db.write() as session:
        # Even made public by hand with a public update, a drill stays internal.
        do_set_public(session, incident_id=drill.incident_id, actor="ann", now=now, public=True)
        do_publish_update(
            session,
            incident_id=drill.incident_id,
            kind=UpdateKind.INITIAL,
            status=UpdateStatus.INVESTIGATING,
            public=True,
            actor="ann",
            now=now,
        )
    w.run()

    for path in ("/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"):
        assert app_client.get(path).json()["incidents"] == []
    assert app_client.get("/api/v2/status.json").json()["status"]["indicator"] == "none"
    assert "High Memory Usage" not in app_client.get("/status").text
    with w.db.read() as session:
        fanouts = session.scalar(
            select(func.count()).select_from(Task).where(Task.kind == SUBSCRIBERS_FANOUT)
        )
    assert fanouts == 0


def test_the_report_measures_a_scripted_drill_against_the_severity_targets(
    drills: DrillWorld, app_client: TestClient, people: Personas
) -> None:
    w = drills.world
    drills.setup()
    drill = drills.start()
    start = drill.started_at
    w.run()
    w.clock.set(start + timedelta(minutes=4))
    with w.db.write() as session:
        do_acknowledge(session, incident_id=drill.incident_id, actor="ann", now=w.clock.now())
    w.clock.set(start + timedelta(minutes=6))
    with w.db.write() as session:
        for role, user in ((Role.INCIDENT_COMMANDER, "ann"), (Role.TECH_LEAD, "bob")):
            do_assign_role(
                session,
                incident_id=drill.incident_id,
                role=role,
                user=user,
                actor="ann",
                now=w.clock.now(),
            )
    w.clock.set(start + timedelta(minutes=20))
    with w.db.write() as session:
        do_resolve(session, incident_id=drill.incident_id, actor="ann", now=w.clock.now())
    w.clock.set(start + timedelta(days=1))  # read later: the figures stay as they were

    report = app_client.get(f"/api/v1/drills/{drill.id}", headers=people.viewer.headers).json()

    figures = {f["measure"]: f for f in report["figures"]}
    assert {m: (f["minutes"], f["target_minutes"], f["outcome"]) for m, f in figures.items()} == {
        "acknowledge": (4.0, 30.0, "met"),
        "assemble": (6.0, 60.0, "met"),
        "resolve": (20.0, 120.0, "met"),
    }
    assert report["verdicts"] == [
        "Acknowledged in 4 min — within the SEV-2 target of 30 min",
        "Team assembled in 6 min — within the SEV-2 target of 1 h",
        "Resolved in 20 min — within the SEV-2 target of 2 h",
    ]
    assert report["drill"]["outcome"] == "All targets met"
    assert report["drill"]["title"] == "[DRILL] High Memory Usage"
    assert report["drill"]["team"] == "payments"
    # Resolving counts as having investigated and fixed; nobody assessed the severity,
    # opened a room or sent an update.
    assert report["checklist"]["completed"] == [
        "Acknowledge incident",
        "Assemble response team",
        "Begin investigation",
        "Implement fixes",
        "Verify resolution",
    ]
    assert report["checklist"]["compliance"] == 0.5
    assert report["acknowledged_by"] == "ann"
    responders = {r["user"]: r for r in report["responders"]}
    assert list(responders) == ["ann", "bob"]
    assert responders["ann"]["pages"] == 1
    assert responders["ann"]["acknowledged"] is True
    assert responders["ann"]["roles"] == ["Incident commander"]
    # bob was never paged (ann acknowledged before level 2) but took a role.
    assert responders["bob"]["paged_at"] is None
    assert responders["bob"]["acknowledged"] is False
    assert responders["bob"]["roles"] == ["Tech lead"]
    texts = [(e["minutes"], e["text"]) for e in report["timeline"]]
    assert (0.0, "Drill started: High Memory Usage") in texts
    assert (20.0, "Status acknowledged → resolved") in texts


def test_a_late_and_unfinished_drill_says_what_was_missed(
    drills: DrillWorld, app_client: TestClient, people: Personas
) -> None:
    w = drills.world
    drills.setup()
    drill = drills.start()
    w.clock.set(drill.started_at + timedelta(minutes=45))
    with w.db.write() as session:
        do_acknowledge(session, incident_id=drill.incident_id, actor="bob", now=w.clock.now())
    w.clock.set(drill.started_at + timedelta(minutes=50))

    report = app_client.get(f"/api/v1/drills/{drill.id}", headers=people.viewer.headers).json()

    assert report["verdicts"] == [
        "Acknowledged in 45 min — 15 min over the SEV-2 target of 30 min",
        "Team not assembled yet (50 min so far) — the SEV-2 target is 1 h",
        "Not resolved yet (50 min so far) — the SEV-2 target is 2 h",
    ]
    assert report["drill"]["outcome"] == "Running: 0 of 3 targets met so far"

    w.clock.set(drill.started_at + timedelta(minutes=70))
    with w.db.write() as session:
        do_resolve(session, incident_id=drill.incident_id, actor="bob", now=w.clock.now())
    report = app_client.get(f"/api/v1/drills/{drill.id}", headers=people.viewer.headers).json()
    assert report["verdicts"][1] == (
        "Team never assembled — the drill ended after 1 h 10 min; the SEV-2 target is 1 h"
    )
    assert report["verdicts"][2] == "Resolved in 1 h 10 min — within the SEV-2 target of 2 h"
    assert report["drill"]["outcome"] == "1 of 3 targets met"
