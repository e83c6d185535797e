"""Incident timers run by the engine on a fake clock, on SQLite and PostgreSQL: the
response-target breach, the comms lead's "next update" reminder, auto-resolve and the
acknowledgement timeout. Nobody touches the incident unless the test says so."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.incidents.conftest import World
from warroom.domain.comms import UpdateKind
from warroom.domain.lifecycle import Status
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.tasks import enqueue
from warroom.incidents.actions import (
    do_acknowledge,
    do_add_note,
    do_assign_role,
    do_change_severity,
    do_change_status,
    do_declare,
    do_publish_update,
)
from warroom.incidents.models import Incident, TimelineEvent
from warroom.incidents.schemas import IncidentOut
from warroom.incidents.timers import RESPONSE_TARGET
from warroom.services.actions import do_update_service

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

TWO_LEVELS = [(5, [{"user": "a"}]), (5, [{"user": "b"}])]


def timeline(world: World, incident_id: int, type: EventType) -> list[tuple[datetime, str, Any]]:
    with world.db.read() as session:
        return [
            (e.at, e.actor, dict(e.data))
            for e in session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id, TimelineEvent.type == type)
                .order_by(TimelineEvent.id)
            )
        ]


def incident(world: World, incident_id: int) -> IncidentOut:
    with world.db.read() as session:
        row = session.get(Incident, incident_id)
        assert row is not None
        return IncidentOut.of(row, now=world.clock.now())


def heard(world: World, handle: str) -> list[str]:
    """The titles of what `handle`'s receiver got, in order."""
    return [body["title"] for path, body in world.receiver.requests if path == f"/{handle}"]


def declare(world: World, severity: Severity = Severity.SEV1) -> int:
    with world.db.write() as session:
        return do_declare(
            session,
            title="Checkout is failing",
            severity=severity,
            service="checkout",
            actor="ada",
            now=world.clock.now(),
        ).id


def assign(world: World, incident_id: int, role: Role, user: str) -> None:
    with world.db.write() as session:
        do_assign_role(
            session,
            incident_id=incident_id,
            role=role,
            user=user,
            actor="ada",
            now=world.clock.now(),
        )


def publish(world: World, incident_id: int, next_minutes: int | None = 10, **kw: Any) -> None:
    with world.db.write() as session:
        do_publish_update(
            session,
            incident_id=incident_id,
            kind=kw.pop("kind", UpdateKind.UPDATE),
            actor="cl",
            now=world.clock.now(),
            next_update_minutes=next_minutes,
            **kw,
        )


def set_timers(world: World, **timeouts: int | None) -> None:
    with world.db.write() as session:
        do_update_service(session, ref="checkout", **timeouts)


@pytest.fixture
def ops(world: World) -> World:
    world.users("a", "b", "ic", "cl")
    world.service(TWO_LEVELS)
    return world


# --- response-target breach -------------------------------------------------------------


def test_it_records_the_breach_at_the_target_time_once_with_nobody_touching_it(
    ops: World,
) -> None:
    t = ops.clock.now()
    iid = declare(ops)  # SEV-1: 15 minutes
    ops.run()
    ops.at(14.99, t)
    assert timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED) == []
    ops.at(15, t)
    [(at, actor, data)] = timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED)
    assert (at, actor) == (t + timedelta(minutes=15), SYSTEM_ACTOR)
    assert data["target_minutes"] == 15
    assert incident(ops, iid).response_target_breached_at == t + timedelta(minutes=15)
    # A second timer for the same target (a retried task, another engine) adds nothing,
    # and neither does an action that would note the breach lazily.
    with ops.db.write() as session:
        enqueue(session, kind=RESPONSE_TARGET, incident_id=iid, now=ops.clock.now())
    ops.engine("e2").run_once()
    ops.at(16, t)
    ops.ack(iid)
    assert len(timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED)) == 1


def test_it_tells_the_incident_commander_when_the_target_is_missed(ops: World) -> None:
    t = ops.clock.now()
    iid = declare(ops)
    assign(ops, iid, Role.INCIDENT_COMMANDER, "ic")
    ops.at(15, t)
    assert heard(ops, "ic") == ["[SEV-1] Response target missed: Checkout is failing"]
    ops.at(60, t)
    assert len(heard(ops, "ic")) == 1


def test_it_records_no_breach_when_someone_acknowledged_in_time(ops: World) -> None:
    t = ops.clock.now()
    iid = declare(ops)
    ops.at(3, t)
    ops.ack(iid)
    ops.at(15, t)
    ops.at(60, t)
    assert timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED) == []
    assert not incident(ops, iid).response_target_breached


def test_a_shorter_target_after_a_severity_change_moves_the_breach_earlier(ops: World) -> None:
    t = ops.clock.now()
    iid = declare(ops, Severity.SEV3)  # 120 minutes
    ops.at(5, t)
    with ops.db.write() as session:
        do_change_severity(
            session, incident_id=iid, severity=Severity.SEV1, actor="ic", now=ops.clock.now()
        )
    ops.at(14.99, t)
    assert timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED) == []
    ops.at(15, t)
    ops.at(120, t)  # the SEV-3 timer comes due too and finds it recorded
    [(at, _, data)] = timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED)
    assert at == t + timedelta(minutes=15)
    assert data["severity"] == "SEV-1"


def test_a_longer_target_after_a_severity_change_moves_the_breach_later(ops: World) -> None:
    t = ops.clock.now()
    iid = declare(ops, Severity.SEV1)
    ops.at(5, t)
    with ops.db.write() as session:
        do_change_severity(
            session, incident_id=iid, severity=Severity.SEV2, actor="ic", now=ops.clock.now()
        )
    ops.at(15, t)  # the SEV-1 timer finds the target moved to 30 minutes
    assert timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED) == []
    ops.at(30, t)
    [(at, _, _)] = timeline(ops, iid, EventType.RESPONSE_TARGET_BREACHED)
    assert at == t + timedelta(minutes=30)


# --- the comms lead's "next update" reminder --------------------------------------------


def test_it_reminds_the_comms_lead_when_the_promised_update_is_due_and_repeats(
    ops: World,
) -> None:
    t = ops.clock.now()
    iid = declare(ops)
    ops.ack(iid)
    assign(ops, iid, Role.COMMS_LEAD, "cl")
    publish(ops, iid, next_minutes=10)
    ops.at(9.99, t)
    assert heard(ops, "cl") == []
    ops.at(10, t)
    assert heard(ops, "cl") == ["[SEV-1] Stakeholder update due: Checkout is failing"]
    [(at, actor, data)] = timeline(ops, iid, EventType.REMINDER_SENT)
    assert (at, actor) == (t + timedelta(minutes=10), SYSTEM_ACTOR)
    assert data["for"] == "comms_lead"
    assert data["user"] == "cl"
    assert data["due_at"] == (t + timedelta(minutes=10)).isoformat()
    _, body = next(r for r in ops.receiver.requests if r[0] == "/cl")
    assert f"/incidents/{iid}?compose=update#updates" in body["message"]
    assert not incident(ops, iid).next_update_overdue  # due now, overdue from now on

    ops.at(19.99, t)
    assert len(heard(ops, "cl")) == 1
    assert incident(ops, iid).next_update_overdue
    ops.at(20, t)
    assert len(heard(ops, "cl")) == 2
    # An update stops them, and sets the next promise.
    ops.at(25, t)
    publish(ops, iid, next_minutes=30)
    ops.at(30, t)
    ops.at(54.99, t)
    assert len(heard(ops, "cl")) == 2
    assert not incident(ops, iid).next_update_overdue
    assert (incident(ops, iid).updates_on_time, incident(ops, iid).updates_late) == (0, 1)
    ops.at(55, t)
    assert len(heard(ops, "cl")) == 3


def test_it_sends_no_reminder_when_an_update_came_first(ops: World) -> None:
    t = ops.clock.now()
    iid = declare(ops)
    assign(ops, iid, Role.COMMS_LEAD, "cl")
    publish(ops, iid, next_minutes=10)
    ops.at(8, t)
    publish(ops, iid, next_minutes=10)
    ops.at(10, t)
    ops.at(17.99, t)
    assert heard(ops, "cl") == []
    assert timeline(ops, iid, EventType.REMINDER_SENT) == []
    out = incident(ops, iid)
    assert out.next_update_due_at == t + timedelta(minutes=18)
    assert (out.updates_on_time, out.updates_late) == (1, 0)
    ops.at(18, t)
    assert len(heard(ops, "cl")) == 1


def test_reminders_stop_at_six_and_when_the_incident_resolves(ops: World) -> None:
    t = ops.clock.now()
    forgotten = declare(ops)
    assign(ops, forgotten, Role.COMMS_LEAD, "cl")
    publish(ops, forgotten, next_minutes=10)
    for minute in range(10, 200, 10):
        ops.at(minute, t)
    assert len(heard(ops, "cl")) == 6
    assert [d["reminder"] for _, _, d in timeline(ops, forgotten, EventType.REMINDER_SENT)] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]

    ops.at(200, t)
    resolved = declare(ops)
    assign(ops, resolved, Role.COMMS_LEAD, "cl")
    publish(ops, resolved, next_minutes=10)
    ops.at(205, t)
    with ops.db.write() as session:
        do_change_status(
            session, incident_id=resolved, status=Status.RESOLVED, actor="ic", now=ops.clock.now()
        )
    for minute in range(210, 300, 10):
        ops.at(minute, t)
    assert timeline(ops, resolved, EventType.REMINDER_SENT) == []
    assert not incident(ops, resolved).next_update_overdue


def test_the_reminder_goes_to_the_commander_without_a_comms_lead_and_says_so_without_either(
    ops: World,
) -> None:
    t = ops.clock.now()
    with_ic = declare(ops)
    assign(ops, with_ic, Role.INCIDENT_COMMANDER, "ic")
    publish(ops, with_ic, next_minutes=10)
    nobody = declare(ops)
    publish(ops, nobody, next_minutes=10)
    ops.at(10, t)
    assert heard(ops, "ic") == ["[SEV-1] Stakeholder update due: Checkout is failing"]
    [(_, _, data)] = timeline(ops, with_ic, EventType.REMINDER_SENT)
    assert (data["user"], data["role"]) == ("ic", "incident_commander")
    [(_, _, data)] = timeline(ops, nobody, EventType.REMINDER_SENT)
    assert data["user"] is None
    assert "nobody holds" in data["note"]


# --- auto-resolve ---------------------------------------------------------------------


def test_auto_resolve_resolves_an_incident_nobody_works_on_and_stops_paging(
    world: World,
) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS, repeat=5)
    set_timers(world, auto_resolve_minutes=30)
    t = world.clock.now()
    iid = declare(world)
    assert incident(world, iid).auto_resolve_at == t + timedelta(minutes=30)
    for minute in (0, 5, 10, 15, 20, 25, 29.99):
        world.at(minute, t)
    assert incident(world, iid).status is Status.TRIGGERED
    world.at(30, t)
    paged = len(world.paged())
    out = incident(world, iid)
    assert out.status is Status.RESOLVED
    assert out.resolved_at == t + timedelta(minutes=30)
    [(at, actor, data)] = timeline(world, iid, EventType.STATUS_CHANGED)
    assert (at, actor, data["to"]) == (t + timedelta(minutes=30), SYSTEM_ACTOR, "resolved")
    assert "auto-resolved after 30 minutes" in data["reason"]
    for minute in (35, 40, 60, 120):
        world.at(minute, t)
    assert len(world.paged()) == paged


def test_auto_resolve_leaves_an_incident_someone_is_working_on(world: World) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS)
    set_timers(world, auto_resolve_minutes=30)
    t = world.clock.now()
    iid = declare(world)
    world.at(3, t)
    with world.db.write() as session:
        do_change_status(
            session, incident_id=iid, status=Status.INVESTIGATING, actor="a", now=world.clock.now()
        )
    world.at(30, t)
    world.at(90, t)
    assert incident(world, iid).status is Status.INVESTIGATING


# --- acknowledgement timeout ----------------------------------------------------------


def test_an_acknowledgement_left_silent_retriggers_and_pages_level_1_again(
    world: World,
) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS)
    set_timers(world, ack_timeout_minutes=10)
    t = world.clock.now()
    iid = declare(world)
    world.run()
    world.at(2, t)
    world.ack(iid)
    world.at(11.99, t)
    assert world.paged() == ["a"]
    assert incident(world, iid).status is Status.ACKNOWLEDGED

    world.at(12, t)
    out = incident(world, iid)
    assert out.status is Status.TRIGGERED
    assert out.retriggered_at == t + timedelta(minutes=12)
    assert out.acknowledged_at == t + timedelta(minutes=2)  # the first, for MTTA
    [(at, actor, data)] = timeline(world, iid, EventType.RETRIGGERED)
    assert (at, actor) == (t + timedelta(minutes=12), SYSTEM_ACTOR)
    assert "10 minutes" in data["reason"]
    assert world.paged() == ["a", "a"]  # level 1 again, at once
    world.at(16.99, t)
    assert world.paged() == ["a", "a"]
    world.at(17, t)
    assert world.paged() == ["a", "a", "b"]  # level 2, a delay after the re-trigger

    # Taking it again stops the paging and keeps the first acknowledgement.
    world.ack(iid)
    world.at(22, t)
    assert world.paged() == ["a", "a", "b"]
    out = incident(world, iid)
    assert (out.status, out.acknowledged_at, out.retriggered_at) == (
        Status.ACKNOWLEDGED,
        t + timedelta(minutes=2),
        None,
    )


def test_a_note_keeps_an_acknowledged_incident_from_timing_out(world: World) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS)
    set_timers(world, ack_timeout_minutes=10)
    t = world.clock.now()
    iid = declare(world)
    world.run()
    world.at(2, t)
    world.ack(iid)
    world.at(8, t)
    with world.db.write() as session:
        do_add_note(session, incident_id=iid, text="rolling back", actor="a", now=world.clock.now())
    world.at(12, t)
    world.at(17.99, t)
    assert incident(world, iid).status is Status.ACKNOWLEDGED
    assert timeline(world, iid, EventType.RETRIGGERED) == []
    assert world.paged() == ["a"]
    world.at(18, t)  # ten minutes after the note
    assert incident(world, iid).status is Status.TRIGGERED
    assert world.paged() == ["a", "a"]


def test_no_timeout_means_an_acknowledged_incident_stays_acknowledged(world: World) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS)
    t = world.clock.now()
    iid = declare(world)
    world.run()
    with world.db.write() as session:
        do_acknowledge(session, incident_id=iid, actor="a", now=world.clock.now())
    for minute in (30, 600, 6000):
        world.at(minute, t)
    assert incident(world, iid).status is Status.ACKNOWLEDGED
    assert world.paged() == ["a"]


def test_a_responder_handing_an_acknowledged_incident_back_pages_level_1_again(
    world: World,
) -> None:
    world.users("a", "b")
    world.service(TWO_LEVELS)
    t = world.clock.now()
    iid = declare(world)
    world.run()
    world.at(1, t)
    world.ack(iid)
    world.at(3, t)
    with world.db.write() as session:
        do_change_status(
            session, incident_id=iid, status=Status.TRIGGERED, actor="ann", now=world.clock.now()
        )
    world.run()
    assert world.paged() == ["a", "a"]
    [(_, actor, data)] = timeline(world, iid, EventType.RETRIGGERED)
    assert (actor, data["reason"]) == ("ann", "handed back by ann")
    world.at(8, t)
    assert world.paged() == ["a", "a", "b"]
