"""Incidents move the components of their services: opened (by a person or an alert),
re-graded, resolved and reopened, the component says what the worst open incident on it
implies, on top of what an admin set by hand; each change is on the timeline of the
incident that caused it, and a status set by hand is on none. SQLite and PostgreSQL."""

import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.components import FOR_SEVERITY, ComponentStatus
from warroom.domain.severity import Severity
from warroom.domain.statuspage import worst_status
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.incidents.actions import (
    SYNC_COMPONENT,
    do_change_severity,
    do_declare,
    do_reopen,
    do_resolve,
)
from warroom.incidents.models import TimelineEvent
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.statuspage.component_actions import do_create_component, do_update_component
from warroom.statuspage.models import Component, ComponentStatusChange, IncidentComponent

CS = ComponentStatus


@dataclass
class World:
    db: Database
    clock: FakeClock
    engine: Engine

    def settle(self) -> None:
        """Run what the actions asked of the engine (the components are its work)."""
        while self.engine.run_once():
            pass

    def service(self, name: str, component: str | None, *, mark: bool = True) -> None:
        with self.db.write() as s:
            do_create_service(
                s,
                name=name,
                component=component,
                mark_component=mark,
                open_room=False,
                now=self.clock.now(),
            )

    def declare(self, service: str, severity: Severity, *, drill: bool = False) -> int:
        with self.db.write() as s:
            return do_declare(
                s,
                title=f"{service} broken",
                severity=severity,
                service=service,
                actor="rita",
                drill=drill,
                now=self.clock.now(),
            ).id

    def status(self, component: str) -> CS:
        with self.db.read() as s:
            found = s.scalar(select(Component.status).where(Component.name == component))
            assert found is not None
            return found

    def changes(self, incident_id: int) -> list[tuple[str, str, str]]:
        with self.db.read() as s:
            return [
                (e.data["component"], e.data["from"], e.data["to"])
                for e in s.scalars(
                    select(TimelineEvent)
                    .where(
                        TimelineEvent.incident_id == incident_id,
                        TimelineEvent.type == "component_status_changed",
                    )
                    .order_by(TimelineEvent.id)
                )
            ]

    def sync_tasks(self) -> int:
        with self.db.read() as s:
            return len(s.scalars(select(Task).where(Task.kind == SYNC_COMPONENT)).all())


@pytest.fixture
def world(db: Database, clock: FakeClock) -> World:
    engine = Engine(db, clock, Settings(database_url=db.url), default_handlers(), name="test")
    return World(db, clock, engine)


def test_it_follows_a_declared_incident_through_severity_resolve_and_reopen(
    world: World,
) -> None:
    world.service("checkout", "Checkout")
    incident = world.declare("checkout", Severity.SEV2)
    world.settle()
    assert world.status("Checkout") is CS.PARTIAL_OUTAGE

    with world.db.write() as s:
        do_change_severity(
            s, incident_id=incident, severity=Severity.SEV1, actor="rita", now=world.clock.now()
        )
    world.settle()
    assert world.status("Checkout") is CS.MAJOR_OUTAGE

    with world.db.write() as s:
        do_resolve(s, incident_id=incident, actor="rita", now=world.clock.now())
    world.settle()
    assert world.status("Checkout") is CS.OPERATIONAL

    with world.db.write() as s:
        do_reopen(s, incident_id=incident, actor="rita", now=world.clock.now())
    world.settle()
    assert world.status("Checkout") is CS.MAJOR_OUTAGE
    assert world.changes(incident) == [
        ("Checkout", "operational", "partial_outage"),
        ("Checkout", "partial_outage", "major_outage"),
        ("Checkout", "major_outage", "operational"),
        ("Checkout", "operational", "major_outage"),
    ]
    with world.db.read() as s:
        [link] = s.scalars(select(IncidentComponent)).all()
        assert (link.source, link.status) == ("automatic", None)


def test_it_keeps_the_worse_of_a_hand_set_status_and_the_incident(world: World) -> None:
    world.service("checkout", "Checkout")
    with world.db.write() as s:
        do_update_component(
            s, ref="Checkout", manual_status=CS.PARTIAL_OUTAGE, now=world.clock.now()
        )
    incident = world.declare("checkout", Severity.SEV3)  # degraded: better than partial
    world.settle()
    assert world.status("Checkout") is CS.PARTIAL_OUTAGE
    assert world.changes(incident) == []  # the incident changed nothing

    with world.db.write() as s:
        do_update_component(s, ref="Checkout", manual_status=CS.OPERATIONAL, now=world.clock.now())
    world.settle()
    # The hand goes back to operational; the open incident still holds it degraded, and
    # the hand's change is on no incident's timeline, only in the component's history.
    assert world.status("Checkout") is CS.DEGRADED_PERFORMANCE
    assert world.changes(incident) == []
    with world.db.read() as s:
        history = s.scalars(
            select(ComponentStatusChange.status).order_by(ComponentStatusChange.id)
        ).all()
    assert history == [CS.PARTIAL_OUTAGE, CS.DEGRADED_PERFORMANCE]


def test_it_shows_the_worst_incident_across_the_services_of_one_component(
    world: World,
) -> None:
    world.service("checkout-api", "Checkout")
    world.service("checkout-web", "Checkout")
    web = world.declare("checkout-web", Severity.SEV3)
    api = world.declare("checkout-api", Severity.SEV1)
    world.settle()
    assert world.status("Checkout") is CS.MAJOR_OUTAGE
    with world.db.write() as s:
        do_resolve(s, incident_id=api, actor="rita", now=world.clock.now())
    world.settle()
    assert world.status("Checkout") is CS.DEGRADED_PERFORMANCE
    assert world.changes(api)[-1] == ("Checkout", "major_outage", "degraded_performance")
    with world.db.write() as s:
        do_resolve(s, incident_id=web, actor="rita", now=world.clock.now())
    world.settle()
    assert world.status("Checkout") is CS.OPERATIONAL


def test_it_leaves_components_alone_for_drills_services_without_one_or_opted_out(
    world: World,
) -> None:
    world.service("checkout", "Checkout")
    world.service("search", None)
    world.service("billing", "Billing", mark=False)
    world.declare("checkout", Severity.SEV1, drill=True)
    world.declare("search", Severity.SEV1)
    world.declare("billing", Severity.SEV1)
    assert world.sync_tasks() == 0
    world.settle()
    assert world.status("Checkout") is CS.OPERATIONAL
    assert world.status("Billing") is CS.OPERATIONAL
    with world.db.read() as s:
        assert s.scalars(select(IncidentComponent)).all() == []


def test_it_asks_the_engine_only_for_incidents_that_affect_components(world: World) -> None:
    world.service("search", None)
    incident = world.declare("search", Severity.SEV2)
    with world.db.write() as s:
        do_change_severity(
            s, incident_id=incident, severity=Severity.SEV1, actor="rita", now=world.clock.now()
        )
        do_resolve(s, incident_id=incident, actor="rita", now=world.clock.now())
    assert world.sync_tasks() == 0


# --- the component always says what its facts imply --------------------------------------


@dataclass
class Model:
    """What the test believes: each component's hand-set status and the incidents on it."""

    manual: dict[str, CS] = field(default_factory=dict)
    # incident id -> (component, severity, open)
    incidents: dict[int, tuple[str, Severity, bool]] = field(default_factory=dict)

    def expected(self, component: str) -> CS:
        return worst_status(
            [
                self.manual[component],
                *(
                    FOR_SEVERITY[sev]
                    for c, sev, is_open in self.incidents.values()
                    if c == component and is_open
                ),
            ]
        )


severities = st.sampled_from(list(Severity))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("hand"), st.integers(0, 1), st.sampled_from(list(CS))),
        st.tuples(st.just("open"), st.integers(0, 2), severities),
        st.tuples(st.just("resolve"), st.integers(0, 9), st.none()),
        st.tuples(st.just("reopen"), st.integers(0, 9), st.none()),
        st.tuples(st.just("severity"), st.integers(0, 9), severities),
    ),
    min_size=1,
    max_size=12,
)
_example = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_it_keeps_every_component_at_what_its_facts_imply(
    world: World, ops: list[tuple[str, int, object]]
) -> None:
    # Each example has its own components and services in the shared database.
    n = next(_example)
    components = [f"API {n}", f"Web {n}"]
    # Two services make up the first component, one the second.
    services = [
        (f"api-{n}", components[0]),
        (f"api2-{n}", components[0]),
        (f"web-{n}", components[1]),
    ]
    model = Model(manual=dict.fromkeys(components, CS.OPERATIONAL))
    with world.db.write() as s:
        for name in components:
            do_create_component(s, name=name, now=world.clock.now())
    for name, component in services:
        world.service(name, component)

    for op, index, arg in ops:
        world.clock.advance(minutes=1)
        now = world.clock.now()
        ids = sorted(model.incidents)
        with world.db.write() as s:
            if op == "hand":
                assert isinstance(arg, ComponentStatus)
                do_update_component(s, ref=components[index], manual_status=arg, now=now)
                model.manual[components[index]] = arg
            elif op == "open":
                assert isinstance(arg, Severity)
                name, component = services[index]
                incident = do_declare(
                    s, title="down", severity=arg, service=name, actor="rita", now=now
                )
                model.incidents[incident.id] = (component, arg, True)
            elif ids:
                incident_id = ids[index % len(ids)]
                component, severity, is_open = model.incidents[incident_id]
                if op == "resolve" and is_open:
                    do_resolve(s, incident_id=incident_id, actor="rita", now=now)
                    model.incidents[incident_id] = (component, severity, False)
                elif op == "reopen" and not is_open:
                    do_reopen(s, incident_id=incident_id, actor="rita", now=now)
                    model.incidents[incident_id] = (component, severity, True)
                elif op == "severity" and is_open:
                    assert isinstance(arg, Severity)
                    do_change_severity(
                        s, incident_id=incident_id, severity=arg, actor="rita", now=now
                    )
                    model.incidents[incident_id] = (component, arg, True)
        world.settle()
        for component in components:
            assert world.status(component) is model.expected(component), (op, index, arg)

    # And the history's last word is the status shown.
    with world.db.read() as s:
        for component in components:
            row = s.scalar(select(Component).where(Component.name == component))
            assert row is not None
            last = s.scalar(
                select(ComponentStatusChange.status)
                .where(ComponentStatusChange.component_id == row.id)
                .order_by(ComponentStatusChange.id.desc())
                .limit(1)
            )
            assert (last or CS.OPERATIONAL) is row.status
