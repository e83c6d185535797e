"""A world for drill tests: the paging world (people whose contacts point at a local
receiver, the engine run by hand on a fake clock) plus a team owning a service with a
runbook and an escalation policy that pages a real person."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.paging.conftest import World, receiver, world
from tests.statuspage.conftest import _page_revision_row
from warroom.domain.severity import Severity
from warroom.drills.actions import do_start_drill
from warroom.drills.models import Drill
from warroom.escalation.actions import do_create_policy
from warroom.runbooks.models import Runbook
from warroom.services.actions import do_create_service
from warroom.teams.actions import do_create_team
from warroom.teams.models import Team

__all__ = ["DrillWorld", "_page_revision_row", "drills", "receiver", "world"]

RUNBOOK = """# Checkout Runbook

## Service Overview
- Purpose: takes the customers' payments
- Dependencies: payments-db, the card processor
- Impact: nobody can buy

## Key Metrics
- Error rate, latency p99

## Common Issues

### Issue 1: High Memory Usage
**Symptoms**: Memory alerts, OOM kills
**Diagnosis**: Check memory metrics, heap dumps
**Resolution**:
1. Restart service (immediate relief)
2. Investigate memory leak

### Issue 2: Database Connection Exhaustion
**Symptoms**:
- Connection timeout errors
- 502s from the checkout API
**Diagnosis**: Check connection pool metrics
**Resolution**:
1. Kill idle connections

## Emergency Procedures
### Rollback
Roll back with `kubectl rollout undo deployment/checkout`.
"""


@dataclass
class DrillWorld:
    world: World

    def setup(self, *, members: tuple[str, ...] = ("ann", "bob"), runbook: bool = True) -> None:
        """Team payments (ann, bob) owns service checkout, whose policy pages ann first
        and bob five minutes later; checkout has the runbook above."""
        w = self.world
        w.users(*members)
        now = w.clock.now()
        with w.db.write() as session:
            do_create_team(session, name="payments", members=list(members), now=now)
            policy = do_create_policy(
                session,
                name="checkout-policy",
                repeat=0,
                levels=[
                    {"delay_minutes": 5, "targets": [{"user": members[0]}]},
                    {"delay_minutes": 5, "targets": [{"user": members[-1]}]},
                ],
                now=now,
            )
            created = do_create_service(
                session,
                name="checkout",
                now=now,
                open_room=False,
                mark_component=False,
                escalation_policy=policy.name,
                team="payments",
            )
            if runbook:
                session.add(
                    Runbook(
                        service_id=created.service.id,
                        markdown=RUNBOOK,
                        updated_by="ada",
                        created_at=now,
                        updated_at=now,
                    )
                )

    def start(
        self,
        *,
        severity: Severity = Severity.SEV2,
        scenario: str | None = None,
        issue: str | None = "High Memory Usage",
        actor: str = "ann",
    ) -> Drill:
        with self.world.db.write() as session:
            drill = do_start_drill(
                session,
                service="checkout",
                severity=severity,
                scenario=scenario,
                common_issue=issue,
                actor=actor,
                now=self.world.clock.now(),
            )
            session.expunge(drill)
            return drill

    def team(self, name: str = "payments") -> Team:
        with self.world.db.read() as session:
            team = session.scalar(select(Team).where(Team.name == name))
            assert team is not None
            session.expunge(team)
            return team


@pytest.fixture
def drills(world: World) -> DrillWorld:
    return DrillWorld(world)
