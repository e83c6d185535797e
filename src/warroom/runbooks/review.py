"""Each resolved incident leaves a "review the runbook" action item (SPEC §5): the
people who just used the runbook are the ones who know what it got wrong."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.action_items import ActionItemKind, ActionItemPriority
from warroom.domain.roles import Role
from warroom.domain.timeline import SYSTEM_ACTOR
from warroom.incidents.models import Incident
from warroom.postmortems.items import create_action_item
from warroom.postmortems.models import ActionItem

REVIEW_WITHIN = timedelta(days=7)
# Who is asked first: the tech lead knows the fix best, then the commander.
REVIEWER_ROLES = (Role.TECH_LEAD, Role.INCIDENT_COMMANDER)


def open_runbook_review(session: Session, *, incident: Incident, now: datetime) -> None:
    """Once per incident (a reopened and re-resolved incident keeps its first item);
    drills practise the runbook but leave no production follow-up."""
    if incident.drill:
        return
    exists = session.scalar(
        select(ActionItem.id).where(
            ActionItem.incident_id == incident.id,
            ActionItem.kind == ActionItemKind.RUNBOOK_REVIEW,
        )
    )
    if exists is not None:
        return
    holders = {r.role: r.user for r in incident.roles}
    owner = next((holders[r] for r in REVIEWER_ROLES if r in holders), None)
    create_action_item(
        session,
        incident=incident,
        kind=ActionItemKind.RUNBOOK_REVIEW,
        title=f"Review the {incident.service.name} runbook after this incident",
        description="Check that the runbook's common issues, diagnosis and resolution "
        "steps match what the responders actually did; correct them, then mark the "
        "runbook reviewed.",
        owner=owner,
        due_on=(now + REVIEW_WITHIN).date(),
        priority=ActionItemPriority.LOW,
        actor=SYSTEM_ACTOR,
        now=now,
    )
