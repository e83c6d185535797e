"""Maintenance states under any sequence of moves: the pure rule (move_maintenance, the
window rule) and the actions with the engine on a real database, where after every step
each component is under_maintenance exactly when an active maintenance covers it and
nothing worse applies, and each service is quiet exactly when a maintenance's window says so."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from tests.statuspage.conftest import StatusData
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.components import ComponentStatus
from warroom.domain.errors import DomainError
from warroom.domain.statuspage import (
    MAINTENANCE_ACTIVE,
    MAINTENANCE_MOVES,
    MaintenanceStatus,
    move_maintenance,
    worst_status,
)
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.errors import Conflict, Invalid
from warroom.services.models import MaintenanceWindow, Service
from warroom.services.repository import active_windows
from warroom.settings import Settings
from warroom.statuspage.maintenances import (
    do_move_maintenance,
    do_schedule_maintenance,
    do_update_maintenance,
    window_span,
)
from warroom.statuspage.models import (
    Component,
    ComponentStatusChange,
    Maintenance,
    MaintenanceComponent,
    MaintenanceUpdate,
)

MS = MaintenanceStatus
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- the pure rules -------------------------------------------------------------------------


class MoveMachine(RuleBasedStateMachine):
    """Any sequence of wanted moves: the status only ever follows the table, completed
    is final, and completed stays reachable until then."""

    def __init__(self) -> None:
        super().__init__()
        self.status = MS.SCHEDULED
        self.history = [MS.SCHEDULED]

    @rule(wanted=st.sampled_from(MS))
    def try_move(self, wanted: MaintenanceStatus) -> None:
        allowed = MAINTENANCE_MOVES[self.status]
        if wanted not in allowed:
            with pytest.raises(DomainError) as refused:
                move_maintenance(self.status, wanted)
            for move in allowed:
                assert str(move) in str(refused.value)
            return
        new = move_maintenance(self.status, wanted)
        assert new is wanted
        self.status = new
        self.history.append(new)

    @invariant()
    def completed_is_final_and_reachable(self) -> None:
        if self.status is MS.COMPLETED:
            assert MAINTENANCE_MOVES[self.status] == frozenset()
        else:
            assert MS.COMPLETED in MAINTENANCE_MOVES[self.status]
        # Never back to scheduled once it left it.
        assert MS.SCHEDULED not in self.history[1:]


TestMoveMachine = MoveMachine.TestCase


moments = st.integers(min_value=-600, max_value=600).map(lambda m: T0 + timedelta(minutes=m))


@given(
    status=st.sampled_from(MS),
    planned=moments,
    minutes=st.integers(min_value=1, max_value=600),
    started=st.none() | moments,
    completed=st.none() | moments,
    auto_complete=st.booleans(),
)
def test_a_window_starts_no_later_than_planned_and_never_outlasts_its_completion(
    status: MaintenanceStatus,
    planned: datetime,
    minutes: int,
    started: datetime | None,
    completed: datetime | None,
    auto_complete: bool,
) -> None:
    until = planned + timedelta(minutes=minutes)
    span = window_span(
        status=status,
        scheduled_for=planned,
        scheduled_until=until,
        started_at=started,
        completed_at=completed,
        auto_complete=auto_complete,
    )
    if span is None:
        assert status is MS.COMPLETED
        return
    start, end = span
    assert start < end
    assert start <= planned
    assert started is None or start <= started
    if status is MS.COMPLETED and completed is not None:
        assert end <= completed
    if status is MS.SCHEDULED or auto_complete or started is None:
        assert end <= until
    if status in MAINTENANCE_ACTIVE and started is not None and not auto_complete:
        assert end > until  # open-ended: only a person completes it


# --- the actions and the engine on a database -----------------------------------------------

COMPONENTS = ["db", "api", "web"]
SERVICES = {"postgres": "db", "pgbouncer": "db", "gateway": "api", "frontend": "web"}


class Model:
    def __init__(self, *, start: datetime, until: datetime, auto: tuple[bool, bool]) -> None:
        self.status = MS.SCHEDULED
        self.components: set[str] = set()
        self.start, self.until = start, until
        self.auto_start, self.auto_complete = auto


class MaintenanceMachine(RuleBasedStateMachine):
    db: Database
    settings: Settings

    maintenances = Bundle("maintenances")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(T0)
        self.models: dict[int, Model] = {}
        self.manual: dict[str, ComponentStatus] = dict.fromkeys(
            COMPONENTS, ComponentStatus.OPERATIONAL
        )

    @initialize()
    def clean(self) -> None:
        # One database for every example: each starts from no maintenances, no tasks
        # and operational components.
        with self.db.write() as session:
            for model in (
                MaintenanceWindow,
                MaintenanceUpdate,
                MaintenanceComponent,
                Maintenance,
                Task,
                ComponentStatusChange,
            ):
                session.execute(delete(model))
            for component in session.scalars(select(Component)):
                component.manual_status = ComponentStatus.OPERATIONAL
                component.status = ComponentStatus.OPERATIONAL

    def now(self) -> datetime:
        return self.clock.now()

    @rule(
        target=maintenances,
        components=st.sets(st.sampled_from(COMPONENTS), max_size=3),
        starts_in=st.integers(min_value=-30, max_value=180),
        lasts=st.integers(min_value=10, max_value=240),
        auto=st.tuples(st.booleans(), st.booleans()),
    )
    def schedule(
        self, components: set[str], starts_in: int, lasts: int, auto: tuple[bool, bool]
    ) -> int:
        start = self.now() + timedelta(minutes=starts_in)
        until = start + timedelta(minutes=lasts)
        assume(until > self.now())
        with self.db.write() as session:
            m = do_schedule_maintenance(
                session,
                name="m",
                body="",
                components=sorted(components),
                scheduled_for=start,
                scheduled_until=until,
                auto_start=auto[0],
                auto_complete=auto[1],
                actor="rita",
                now=self.now(),
            )
            mid = m.id
        model = Model(start=start, until=until, auto=auto)
        model.components = set(components)
        self.models[mid] = model
        return mid

    @rule(mid=maintenances, wanted=st.sampled_from(MS))
    def move(self, mid: int, wanted: MaintenanceStatus) -> None:
        model = self.models[mid]
        try:
            with self.db.write() as session:
                do_move_maintenance(session, ref=mid, status=wanted, actor="rita", now=self.now())
        except Conflict:
            assert wanted not in MAINTENANCE_MOVES[model.status]
            return
        assert wanted in MAINTENANCE_MOVES[model.status]
        model.status = wanted

    @rule(
        mid=maintenances,
        components=st.none() | st.sets(st.sampled_from(COMPONENTS), max_size=3),
        shift=st.none() | st.integers(min_value=-60, max_value=180),
        auto_start=st.none() | st.booleans(),
        auto_complete=st.none() | st.booleans(),
    )
    def update(
        self,
        mid: int,
        components: set[str] | None,
        shift: int | None,
        auto_start: bool | None,
        auto_complete: bool | None,
    ) -> None:
        model = self.models[mid]
        fields: dict[str, Any] = {"auto_start": auto_start, "auto_complete": auto_complete}
        if components is not None:
            fields["components"] = sorted(components)
        if shift is not None:
            fields["scheduled_for"] = model.start + timedelta(minutes=shift)
            fields["scheduled_until"] = model.until + timedelta(minutes=shift)
        try:
            with self.db.write() as session:
                do_update_maintenance(session, ref=mid, actor="rita", now=self.now(), **fields)
        except Conflict:
            assert model.status is MS.COMPLETED
            return
        except Invalid:
            until = fields["scheduled_until"] if shift is not None else model.until
            on = model.auto_complete if auto_complete is None else auto_complete
            assert shift is not None or auto_complete is not None
            assert on
            assert until <= self.now()
            return
        assert model.status is not MS.COMPLETED
        if components is not None:
            model.components = set(components)
        if shift is not None:
            model.start, model.until = fields["scheduled_for"], fields["scheduled_until"]
        if auto_start is not None:
            model.auto_start = auto_start
        if auto_complete is not None:
            model.auto_complete = auto_complete

    @rule(component=st.sampled_from(COMPONENTS), status=st.sampled_from(ComponentStatus))
    def set_by_hand(self, component: str, status: ComponentStatus) -> None:
        from warroom.statuspage.components import refresh_components

        with self.db.write() as session:
            row = session.scalar(select(Component).where(Component.name == component))
            assert row is not None
            row.manual_status = status
            refresh_components(session, [row.id], now=self.now())
        self.manual[component] = status

    @rule(minutes=st.integers(min_value=0, max_value=150))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        engine = Engine(self.db, self.clock, self.settings, default_handlers(), name="e1")
        while engine.run_once():
            pass
        now = self.now()
        for model in self.models.values():
            if model.status is MS.SCHEDULED and model.auto_start and model.start <= now:
                model.status = MS.IN_PROGRESS
            if model.status is not MS.COMPLETED and model.auto_complete and model.until <= now:
                model.status = MS.COMPLETED

    @invariant()
    def statuses_follow_the_model(self) -> None:
        with self.db.read() as session:
            stored = dict(session.execute(select(Maintenance.id, Maintenance.status)).all())
            components = {c.name: c.status for c in session.scalars(select(Component))}
        assert stored == {mid: m.status for mid, m in self.models.items()}
        for name in COMPONENTS:
            covered = any(
                name in m.components and m.status in MAINTENANCE_ACTIVE
                for m in self.models.values()
            )
            extra = [ComponentStatus.UNDER_MAINTENANCE] if covered else []
            assert components[name] == worst_status([self.manual[name], *extra]), name

    @invariant()
    def services_are_quiet_exactly_in_windows(self) -> None:
        now = self.now()
        with self.db.read() as session:
            ids = dict(session.execute(select(Service.name, Service.id)).all())
            for service, component in SERVICES.items():
                quiet = bool(active_windows(session, ids[service], now))
                on_it = [m for m in self.models.values() if component in m.components]
                if any(m.status in MAINTENANCE_ACTIVE for m in on_it):
                    assert quiet, service
                planned = any(m.status is MS.SCHEDULED and m.start <= now < m.until for m in on_it)
                if quiet:
                    assert planned or any(m.status in MAINTENANCE_ACTIVE for m in on_it), service


@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
def test_components_and_windows_follow_any_sequence_of_actions(
    db: Database, settings: Settings, status_data: StatusData
) -> None:
    for component in COMPONENTS:
        status_data.component(component)
    for service, component in SERVICES.items():
        status_data.service(service, component=component)
    MaintenanceMachine.db = db
    MaintenanceMachine.settings = settings
    run_state_machine_as_test(
        MaintenanceMachine,
        settings=settings_for_db(),
    )


def settings_for_db() -> hsettings:
    return hsettings(
        max_examples=30,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
