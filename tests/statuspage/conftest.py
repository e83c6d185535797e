"""Shared fixtures for the status page's tests: public and internal data built with the
real actions (components, groups, incidents made public, updates, maintenances), so a
test reads like what a person does."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.components import ComponentStatus
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.incidents.actions import (
    do_assign_role,
    do_declare,
    do_publish_update,
    do_resolve,
    do_set_public,
)
from warroom.incidents.models import Incident, StakeholderUpdate
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.statuspage.component_actions import do_create_component, do_create_group
from warroom.statuspage.maintenances import do_schedule_maintenance
from warroom.statuspage.models import Component, ComponentGroup, Maintenance, StatusPageRevision
from warroom.users.actions import do_create_user
from warroom.web.app import create_app


@pytest.fixture(autouse=True)
def _page_revision_row(request: pytest.FixtureRequest) -> None:
    """Migration 0011 inserts the one revision row; the PostgreSQL fixture empties every
    table between tests, so put it back (without it bumps change nothing)."""
    if "db" not in request.fixturenames:
        return
    db: Database = request.getfixturevalue("db")
    with db.write() as session:
        if session.get(StatusPageRevision, 1) is None:
            session.add(StatusPageRevision(id=1, revision=0, changed_at=None))


@dataclass
class StatusData:
    """Builds status-page data through the actions, on the test's clock."""

    db: Database
    clock: FakeClock

    def now(self) -> datetime:
        return self.clock.now()

    def group(self, name: str, *, description: str = "") -> ComponentGroup:
        with self.db.write() as s:
            return do_create_group(s, name=name, description=description, now=self.now())

    def component(
        self,
        name: str,
        *,
        group: str | None = None,
        public: bool = True,
        description: str = "",
    ) -> Component:
        with self.db.write() as s:
            return do_create_component(
                s,
                name=name,
                group=group,
                public=public,
                description=description,
                now=self.now(),
            )

    def service(self, name: str, *, component: str | None = None) -> int:
        with self.db.write() as s:
            created = do_create_service(
                s, name=name, component=component, now=self.now(), open_room=False
            )
            return created.service.id

    def user(self, handle: str, name: str) -> None:
        with self.db.write() as s:
            do_create_user(s, handle=handle, name=name, now=self.now())

    def incident(
        self,
        *,
        title: str,
        service: str,
        severity: Severity = Severity.SEV2,
        description: str = "",
        public_title: str | None = None,
        components: Mapping[str, str] | None = None,
        commander: str | None = None,
        show_responders: bool | None = None,
    ) -> int:
        """A declared incident; public (under `public_title`) when one is given."""
        with self.db.write() as s:
            incident = do_declare(
                s,
                title=title,
                severity=severity,
                service=service,
                description=description,
                actor="test",
                now=self.now(),
            )
            if commander is not None:
                do_assign_role(
                    s,
                    incident_id=incident.id,
                    role=Role.INCIDENT_COMMANDER,
                    user=commander,
                    actor="test",
                    now=self.now(),
                )
            if public_title is not None:
                do_set_public(
                    s,
                    incident_id=incident.id,
                    actor="test",
                    now=self.now(),
                    public=True,
                    title=public_title,
                    components={n: ComponentStatus(v) for n, v in (components or {}).items()}
                    or None,
                    show_responders=show_responders,
                )
            return incident.id

    def update(
        self,
        incident_id: int,
        *,
        body: str,
        public: bool,
        status: UpdateStatus | None = None,
        kind: UpdateKind = UpdateKind.UPDATE,
        components: Mapping[str, str] | None = None,
        public_title: str | None = None,
    ) -> StakeholderUpdate:
        with self.db.write() as s:
            return do_publish_update(
                s,
                incident_id=incident_id,
                kind=kind,
                status=status,
                body=body,
                public=public,
                components=components,
                public_title=public_title,
                actor="test",
                now=self.now(),
            )

    def resolve(self, incident_id: int) -> None:
        with self.db.write() as s:
            do_resolve(s, incident_id=incident_id, actor="test", now=self.now())

    def maintenance(
        self,
        *,
        name: str,
        body: str,
        components: Sequence[str],
        starts_in: timedelta = timedelta(hours=1),
        lasts: timedelta = timedelta(hours=2),
    ) -> Maintenance:
        with self.db.write() as s:
            return do_schedule_maintenance(
                s,
                name=name,
                body=body,
                components=components,
                scheduled_for=self.now() + starts_in,
                scheduled_until=self.now() + starts_in + lasts,
                actor="test",
                now=self.now(),
            )

    def public_code(self, incident_id: int) -> str:
        with self.db.read() as s:
            code = s.scalar(select(Incident.public_code).where(Incident.id == incident_id))
            assert code is not None
            return code


@pytest.fixture
def status_data(db: Database, clock: FakeClock) -> StatusData:
    return StatusData(db, clock)


@pytest.fixture
def public_client(db: Database, clock: FakeClock, settings: Settings) -> Iterator[TestClient]:
    """The app with a status-page cache that checks the revision on every request only
    when told; by default the configured one second (this process's own writes show at
    once regardless)."""
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client
