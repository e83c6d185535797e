"""A world for paging tests: users whose contacts point at local receivers, policies,
services, and the engine run by hand on a fake clock."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.notify.test_apprise import Mailbox, Receiver, receiver, smtp
from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.severity import Severity
from warroom.engine.handlers import default_handlers
from warroom.engine.models import Task
from warroom.engine.runner import Engine
from warroom.escalation.actions import do_create_policy
from warroom.incidents.actions import do_acknowledge, do_declare
from warroom.oncall.actions import do_create_schedule
from warroom.paging.models import Page
from warroom.services.actions import do_create_service
from warroom.settings import Settings
from warroom.users.actions import do_create_user
from warroom.users.models import DEFAULT_THROTTLE_PER_MINUTE, User

__all__ = ["Mailbox", "Receiver", "World", "receiver", "smtp", "world"]


@dataclass
class World:
    db: Database
    clock: FakeClock
    settings: Settings
    receiver: Receiver

    def engine(self, name: str = "e1") -> Engine:
        return Engine(self.db, self.clock, self.settings, default_handlers(), name=name)

    def run(self) -> int:
        runner, total = self.engine(), 0
        while ran := runner.run_once():
            total += ran
        return total

    def at(self, minutes: float, start: datetime) -> None:
        """Move the clock to `minutes` after `start` and run everything due."""
        self.clock.set(start + timedelta(minutes=minutes))
        self.run()

    def users(
        self,
        *handles: str,
        contacts: Sequence[str] | None = None,
        throttle_per_minute: int = DEFAULT_THROTTLE_PER_MINUTE,
    ) -> None:
        with self.db.write() as session:
            for handle in handles:
                do_create_user(
                    session,
                    handle=handle,
                    name=handle.title(),
                    contacts=list(contacts) if contacts is not None else [self.url(handle)],
                    now=self.clock.now(),
                    throttle_per_minute=throttle_per_minute,
                )

    def url(self, handle: str) -> str:
        return self.receiver.url(f"/{handle}")

    def schedule(self, name: str, layers: list[dict[str, Any]]) -> None:
        with self.db.write() as session:
            do_create_schedule(
                session, name=name, time_zone="UTC", layers=layers, now=self.clock.now()
            )

    def service(self, levels: list[tuple[float, list[dict[str, str]]]], *, repeat: int = 0) -> str:
        with self.db.write() as session:
            policy = do_create_policy(
                session,
                name="checkout-policy",
                repeat=repeat,
                levels=[{"delay_minutes": d, "targets": t} for d, t in levels],
                now=self.clock.now(),
            )
            do_create_service(
                session,
                name="checkout",
                now=self.clock.now(),
                open_room=False,
                mark_component=False,
                escalation_policy=policy.name,
            )
        return "checkout"

    def declare(self, title: str = "Checkout is failing", service: str = "checkout") -> int:
        with self.db.write() as session:
            return do_declare(
                session,
                title=title,
                severity=Severity.SEV1,
                service=service,
                description="Payments fail for 5% of users.",
                actor="ada",
                now=self.clock.now(),
            ).id

    def ack(self, incident_id: int) -> None:
        with self.db.write() as session:
            do_acknowledge(session, incident_id=incident_id, actor="ann", now=self.clock.now())

    def paged(self) -> list[str]:
        """Who the receiver heard about, in order (its paths name the users)."""
        return [path.lstrip("/") for path, _ in self.receiver.requests]

    def paged_for_incident(self, title: str = "Checkout is failing") -> list[str]:
        """Who was paged for the (SEV-1) incident with this title, in order: other notices,
        such as a missed response target, reach the same receivers and are left out."""
        return [
            path.lstrip("/")
            for path, body in self.receiver.requests
            if body["title"] == f"[SEV-1] {title}"
        ]

    def pages(self, incident_id: int | None = None) -> list[tuple[int, int, str, str]]:
        """(loop, level, user, state) per page row, oldest first."""
        query = select(Page.loop, Page.level, User.handle, Page.state).join(
            User, User.id == Page.user_id
        )
        if incident_id is not None:
            query = query.where(Page.incident_id == incident_id)
        with self.db.read() as session:
            return [
                (r.loop, r.level, r.handle, str(r.state))
                for r in session.execute(query.order_by(Page.id))
            ]

    def tasks(self, incident_id: int, kind: str) -> list[Task]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Task)
                    .where(Task.incident_id == incident_id, Task.kind == kind)
                    .order_by(Task.id)
                )
            )


@pytest.fixture
def world(db: Database, clock: FakeClock, settings: Settings, receiver: Receiver) -> World:
    return World(db, clock, settings, receiver)
