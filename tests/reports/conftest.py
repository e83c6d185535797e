"""An organisation to report on: three services (two teams, one service without a team)
and incidents inserted as rows with exactly the times a test chooses."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from warroom.db.session import Database
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.incidents.models import Incident
from warroom.reports.facts import rebuild_facts
from warroom.services.models import Service
from warroom.teams.models import Team

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
# service name -> team name (None: a service nobody owns)
SERVICES = {"checkout": "payments", "ledger": "payments", "search": "discovery", "wiki": None}


@dataclass(frozen=True)
class Org:
    db: Database
    service_ids: dict[str, int]


@pytest.fixture
def org(db: Database) -> Org:
    with db.write() as session:
        teams = {
            name: Team(name=name, description="", created_at=T0)
            for name in ("payments", "discovery")
        }
        session.add_all(teams.values())
        session.flush()
        services = {
            name: Service(name=name, team_id=teams[team].id if team else None, created_at=T0)
            for name, team in SERVICES.items()
        }
        session.add_all(services.values())
        session.flush()
        ids = {name: s.id for name, s in services.items()}
    return Org(db, ids)


@dataclass(frozen=True)
class Row:
    """One incident, times in minutes from T0; None: never happened."""

    service: str
    severity: Severity = Severity.SEV2
    triggered: float = 0.0
    detect_lag: float = 0.0  # started this long before it was detected and triggered
    acknowledged: float | None = None
    resolved: float | None = None
    target: float = 30.0
    key: str | None = None
    drill: bool = False
    status: Status | None = None  # default: from the times

    def at(self, minutes: float | None) -> datetime | None:
        return None if minutes is None else T0 + timedelta(minutes=minutes)

    @property
    def triggered_at(self) -> datetime:
        return T0 + timedelta(minutes=self.triggered)

    @property
    def started_at(self) -> datetime:
        return self.triggered_at - timedelta(minutes=self.detect_lag)

    @property
    def current_status(self) -> Status:
        if self.status is not None:
            return self.status
        if self.resolved is not None:
            return Status.RESOLVED
        return Status.ACKNOWLEDGED if self.acknowledged is not None else Status.TRIGGERED


def insert_rows(session: Session, org: Org, rows: Iterable[Row]) -> list[int]:
    """Inserts in order (ids ascending); returns the ids."""
    values = [
        {
            "title": f"{r.service} {r.severity}",
            "description": "",
            "severity": r.severity,
            "status": r.current_status,
            "service_id": org.service_ids[r.service],
            "drill": r.drill,
            "severity_assessed": False,
            "started_at": r.started_at,
            "detected_at": r.triggered_at,
            "triggered_at": r.triggered_at,
            "acknowledged_at": r.at(r.acknowledged),
            "resolved_at": r.at(r.resolved),
            "response_target_minutes": r.target,
            "dedup_key": r.key,
            "updated_at": r.triggered_at,
            "reopen_count": 0,
            "updates_on_time": 0,
            "updates_late": 0,
            "public": False,
            "public_responders": False,
        }
        for r in rows
    ]
    if not values:
        return []
    ids = list(
        session.scalars(
            insert(Incident).returning(Incident.id, sort_by_parameter_order=True), values
        )
    )
    # Rows written in bulk get their stored report facts the way a migration does.
    rebuild_facts(session)
    return ids
