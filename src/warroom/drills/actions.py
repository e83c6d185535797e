"""Starting a drill: a real incident, marked DRILL in its own title, declared through the
normal action so the service's escalation policy pages the real people."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain import drill as rules
from warroom.domain.runbook import CommonIssue, parse_runbook
from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES, Severity
from warroom.domain.timeline import EventType
from warroom.drills.models import Drill
from warroom.drills.reminders import plan_drill_reminder
from warroom.errors import Invalid
from warroom.incidents.actions import do_declare, record
from warroom.runbooks.models import Runbook
from warroom.services.models import Service
from warroom.services.repository import get_service


def common_issues(session: Session, service: Service) -> list[CommonIssue]:
    """The common issues of the service's runbook, in the runbook's order (none without
    a runbook)."""
    markdown = session.scalar(select(Runbook.markdown).where(Runbook.service_id == service.id))
    return parse_runbook(markdown).common_issues if markdown else []


def _issue(session: Session, service: Service, wanted: str) -> CommonIssue:
    issues = common_issues(session, service)
    if not issues:
        raise Invalid(
            f"service '{service.name}' has no runbook with common issues to drill; "
            "describe the scenario in free text instead"
        )
    title = rules.find_issue(wanted, [i.title for i in issues])
    if title is None:
        listed = "; ".join(f"'{i.title}'" for i in issues)
        raise Invalid(
            f"no common issue '{wanted}' in the runbook of '{service.name}'; it has: {listed}"
        )
    return next(i for i in issues if i.title == title)


def do_start_drill(
    session: Session,
    *,
    service: str | int,
    severity: Severity,
    actor: str,
    now: datetime,
    scenario: str | None = None,
    common_issue: str | None = None,
    targets: Mapping[Severity, float] = DEFAULT_RESPONSE_TARGETS_MINUTES,
    created_by_id: int | None = None,
) -> Drill:
    """The scenario is free text, a common issue of the service's runbook (its symptoms
    go in the description), or both (the text frames the issue). Starting a drill moves
    the owning team's drill reminder to 90 days on."""
    svc = get_service(session, service)
    issue = _issue(session, svc, common_issue) if common_issue and common_issue.strip() else None
    text = (scenario or "").strip()
    told = text or (issue.title if issue is not None else f"Practice incident on {svc.name}")
    title = issue.title if issue is not None else rules.scenario_title(told)
    incident = do_declare(
        session,
        title=rules.drill_title(title),
        severity=severity,
        service=svc,
        description=rules.drill_description(
            scenario=told,
            issue=issue.title if issue is not None else None,
            symptoms=issue.symptoms if issue is not None else (),
        ),
        actor=actor,
        now=now,
        targets=targets,
        drill=True,
        created_by_id=created_by_id,
    )
    record(
        session,
        incident,
        EventType.DRILL_STARTED,
        actor=actor,
        at=now,
        scenario=told,
        common_issue=issue.title if issue is not None else None,
    )
    drill = Drill(
        incident_id=incident.id,
        service_id=svc.id,
        team_id=svc.team_id,
        scenario=told,
        common_issue=issue.title if issue is not None else None,
        started_by=actor,
        started_at=now,
    )
    session.add(drill)
    session.flush()
    if svc.team is not None:
        plan_drill_reminder(session, team=svc.team, now=now)
    return drill
