"""Runbook test data, built with the real actions on the test's database and clock."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from warroom.clock import FakeClock
from warroom.db.session import Database
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.incidents.actions import do_assign_role, do_declare
from warroom.runbooks.actions import do_put_runbook
from warroom.services.actions import do_create_service
from warroom.services.repository import get_service

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runbooks"


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.md").read_text()


@dataclass
class RunbookData:
    db: Database
    clock: FakeClock

    def now(self) -> datetime:
        return self.clock.now()

    def service(self, name: str = "payments-api") -> str:
        """The service's integration key."""
        with self.db.write() as s:
            created = do_create_service(s, name=name, now=self.now(), open_room=False)
            return created.first_key.secret

    def runbook(self, service: str = "payments-api", markdown: str | None = None) -> None:
        with self.db.write() as s:
            do_put_runbook(
                s,
                service=get_service(s, service),
                markdown=markdown if markdown is not None else example(service),
                actor="rita",
                now=self.now(),
            )

    def incident(
        self,
        title: str = "Database connection pool exhausted on payments-api",
        *,
        service: str = "payments-api",
        tech_lead: str | None = None,
        drill: bool = False,
    ) -> int:
        with self.db.write() as s:
            incident = do_declare(
                s,
                title=title,
                severity=Severity.SEV2,
                service=service,
                actor="rita",
                now=self.now(),
                drill=drill,
            )
            if tech_lead is not None:
                do_assign_role(
                    s,
                    incident_id=incident.id,
                    role=Role.TECH_LEAD,
                    user=tech_lead,
                    actor="rita",
                    now=self.now(),
                )
            return incident.id


@pytest.fixture
def data(db: Database, clock: FakeClock) -> RunbookData:
    return RunbookData(db, clock)
