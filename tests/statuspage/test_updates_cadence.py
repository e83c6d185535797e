"""The stakeholder-update cadence over many update sequences (hypothesis), and the comms
lead's reminder under the new per-severity defaults, with the engine on a fake clock
(SQLite and PostgreSQL)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.paging.conftest import World, receiver, world  # noqa: F401 (fixtures)
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.domain.statuspage import UPDATE_CADENCE_MINUTES
from warroom.domain.timeline import EventType
from warroom.incidents.actions import (
    do_assign_role,
    do_declare,
    do_publish_update,
)
from warroom.incidents.models import Incident, TimelineEvent
from warroom.incidents.schemas import IncidentOut
from warroom.services.actions import do_create_service

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

# One step: wait this many minutes, then publish an update promising the next one in
# `next` minutes (None: the severity's cadence), internal or public.
Step = tuple[int, int | None, bool]
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=150),
        st.one_of(st.none(), st.integers(min_value=1, max_value=90)),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


def expected(
    start: datetime, sequence: list[Step], cadence: int, *, resolve_after: int | None
) -> tuple[int, int, datetime | None, datetime]:
    """The promises kept and broken, counted here without the application's code: each
    update after a promise settles it (kept if it came by the promised time)."""
    now, promise, on_time, late = start, None, 0, 0
    for wait, minutes, _ in sequence:
        now += timedelta(minutes=wait)
        if promise is not None:
            if now <= promise:
                on_time += 1
            else:
                late += 1
        promise = now + timedelta(minutes=minutes or cadence)
    if resolve_after is not None:
        now += timedelta(minutes=resolve_after)
        if promise is not None:
            on_time, late = (on_time + 1, late) if now <= promise else (on_time, late + 1)
        promise = None
    return on_time, late, promise, now


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sequence=steps,
    severity=st.sampled_from(list(Severity)),
    resolve_after=st.one_of(st.none(), st.integers(min_value=0, max_value=300)),
    look_after=st.integers(min_value=0, max_value=300),
)
def test_cadence_counts_equal_an_independent_count_of_kept_and_broken_promises(
    db: Database,
    clock: FakeClock,
    sequence: list[Step],
    severity: Severity,
    resolve_after: int | None,
    look_after: int,
) -> None:
    start = clock.now()
    with db.write() as session:
        if session.scalar(select(Incident.id).limit(1)) is None:
            do_create_service(session, name="checkout", now=start, open_room=False)
        iid = do_declare(
            session,
            title="Checkout failing",
            severity=severity,
            service="checkout",
            actor="rita",
            now=start,
        ).id
    at = start
    for wait, minutes, public in sequence:
        at += timedelta(minutes=wait)
        with db.write() as session:
            do_publish_update(
                session,
                incident_id=iid,
                kind=UpdateKind.UPDATE,
                actor="rita",
                now=at,
                next_update_minutes=minutes,
                public=public,
            )
    if resolve_after is not None:
        at += timedelta(minutes=resolve_after)
        with db.write() as session:
            do_publish_update(
                session, incident_id=iid, kind=UpdateKind.RESOLUTION, actor="rita", now=at
            )
    on_time, late, promise, last = expected(
        start, sequence, UPDATE_CADENCE_MINUTES[severity], resolve_after=resolve_after
    )
    look = last + timedelta(minutes=look_after)
    with db.read() as session:
        row = session.get(Incident, iid)
        assert row is not None
        cadence = IncidentOut.of(row, now=look).update_cadence
    assert (cadence.on_time, cadence.late) == (on_time, late)
    assert cadence.compliance == (on_time / (on_time + late) if on_time + late else None)
    assert cadence.next_update_due_at == promise
    assert cadence.overdue == (promise is not None and look > promise)


# --- the comms lead's reminder under the per-severity cadence ---------------------------


def publish(
    w: World, iid: int, *, kind: UpdateKind = UpdateKind.UPDATE, public: bool = False
) -> None:
    with w.db.write() as session:
        do_publish_update(
            session, incident_id=iid, kind=kind, actor="cl", now=w.clock.now(), public=public
        )


def reminders(w: World, iid: int) -> list[datetime]:
    with w.db.read() as session:
        return list(
            session.scalars(
                select(TimelineEvent.at).where(
                    TimelineEvent.incident_id == iid,
                    TimelineEvent.type == EventType.REMINDER_SENT,
                )
            )
        )


@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2, Severity.SEV4])
def test_the_comms_lead_is_reminded_when_the_severity_cadence_passes(
    world: World,  # noqa: F811
    severity: Severity,
) -> None:
    world.users("cl")
    with world.db.write() as session:
        do_create_service(session, name="checkout", now=world.clock.now(), open_room=False)
        iid = do_declare(
            session,
            title="Checkout failing",
            severity=severity,
            service="checkout",
            actor="cl",
            now=world.clock.now(),
        ).id
        do_assign_role(
            session,
            incident_id=iid,
            role=Role.COMMS_LEAD,
            user="cl",
            actor="cl",
            now=world.clock.now(),
        )
    t = world.clock.now()
    cadence = UPDATE_CADENCE_MINUTES[severity]
    publish(world, iid, public=True)  # no wait named: the severity's
    world.at(cadence - 0.01, t)
    assert reminders(world, iid) == []
    assert [b["title"] for p, b in world.receiver.requests if p == "/cl"] == []
    world.at(cadence, t)
    assert reminders(world, iid) == [t + timedelta(minutes=cadence)]
    assert [b["title"] for p, b in world.receiver.requests if p == "/cl"] == [
        f"[{severity}] Stakeholder update due: Checkout failing"
    ]
    with world.db.read() as session:
        row = session.get(Incident, iid)
        assert row is not None
        world.clock.set(t + timedelta(minutes=cadence, seconds=1))
        assert IncidentOut.of(row, now=world.clock.now()).update_cadence.overdue
    # The next reminder comes a cadence later, unless an update comes first; a
    # resolution promises nothing, so no reminder follows it.
    publish(world, iid, kind=UpdateKind.RESOLUTION)
    world.at(cadence * 3, t)
    assert len(reminders(world, iid)) == 1
