"""Reading drills: the list, and a drill's report (how the response went against its
severity's targets, who responded, and what happened when). The figures come from
warroom.domain.drill; this module loads the facts and puts them into words."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.pagination import Page, paginate
from warroom.domain import drill as rules
from warroom.domain.lifecycle import Status
from warroom.domain.roles import Role
from warroom.domain.timeline import EventType
from warroom.drills.models import Drill
from warroom.drills.schemas import (
    DrillEventOut,
    DrillOut,
    DrillReportOut,
    FigureOut,
    ResponderOut,
)
from warroom.errors import NotFound
from warroom.incidents import repository as incidents
from warroom.incidents.models import Incident
from warroom.incidents.presentation import describe_event, format_duration, role_title
from warroom.incidents.schemas import ChecklistOut, IncidentOut
from warroom.paging.models import Page as PageRow
from warroom.teams.models import Team
from warroom.users.models import User

ASSEMBLE_ITEM = 3  # "Assemble response team"
FINISHED = (Status.RESOLVED, Status.CLOSED)

# What each measure is called in a verdict: done ("Acknowledged in 4 min"), not yet
# ("Not acknowledged yet"), and never, once the drill is over ("Never acknowledged").
_WORDS: dict[rules.Measure, tuple[str, str, str]] = {
    rules.Measure.ACKNOWLEDGE: ("Acknowledged", "Not acknowledged", "Never acknowledged"),
    rules.Measure.ASSEMBLE: ("Team assembled", "Team not assembled", "Team never assembled"),
    rules.Measure.RESOLVE: ("Resolved", "Not resolved", "Never resolved"),
}


def facts_of(incident: Incident) -> rules.DrillFacts:
    assembled = next((c for c in incident.checklist if c.item == ASSEMBLE_ITEM), None)
    finished = incident.status in FINISHED
    return rules.DrillFacts(
        response_target_minutes=incident.response_target_minutes,
        started_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        assembled_at=assembled.completed_at if assembled is not None else None,
        resolved_at=incident.resolved_at if finished else None,
        finished=finished,
        checklist_done=frozenset(c.item for c in incident.checklist),
    )


def verdict(figure: rules.Figure, severity: str, *, finished: bool) -> str:
    """One figure as a sentence a manager reads: 'Acknowledged in 4 min — within the
    SEV-2 target of 30 min'."""
    done, not_done, never = _WORDS[figure.measure]
    target = format_duration(figure.target_minutes * 60)
    if figure.minutes is not None:
        took = format_duration(figure.minutes * 60)
        if figure.outcome is rules.Outcome.MET:
            return f"{done} in {took} — within the {severity} target of {target}"
        over = format_duration((figure.minutes - figure.target_minutes) * 60)
        return f"{done} in {took} — {over} over the {severity} target of {target}"
    waited = format_duration((figure.waited_minutes or 0) * 60)
    if finished:
        return f"{never} — the drill ended after {waited}; the {severity} target is {target}"
    if figure.outcome is rules.Outcome.PENDING:
        return f"{not_done} yet ({waited} so far) — the {severity} target is {target}"
    return f"{not_done} after {waited} — past the {severity} target of {target}"


def drill_out(session: Session, drill: Drill, incident: Incident, *, now: datetime) -> DrillOut:
    team = session.get(Team, drill.team_id) if drill.team_id is not None else None
    return DrillOut(
        id=drill.id,
        title=incident.title,
        service=incident.service.name,
        team=team.name if team is not None else None,
        severity=incident.severity,
        status=incident.status,
        scenario=drill.scenario,
        common_issue=drill.common_issue,
        started_by=drill.started_by,
        started_at=drill.started_at,
        outcome=rules.drill_report(facts_of(incident), now=now).summary,
        incident_id=incident.id,
        incident=IncidentOut.of(incident, now=now),
    )


def get_drill(session: Session, drill_id: int) -> Drill:
    drill = session.get(Drill, drill_id)
    if drill is None:
        raise NotFound(f"no drill with id {drill_id}")
    return drill


def page_drills(session: Session, *, limit: int, cursor: str | None) -> Page[Drill]:
    """Latest first."""
    return paginate(
        session,
        select(Drill),
        keys=[Drill.started_at, Drill.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def drills_out(session: Session, drills: Sequence[Drill], *, now: datetime) -> list[DrillOut]:
    return [
        drill_out(session, d, incidents.get_incident(session, d.incident_id), now=now)
        for d in drills
    ]


def _pages(session: Session, incident_id: int) -> list[tuple[str, datetime]]:
    rows = session.execute(
        select(User.handle, PageRow.created_at)
        .join(User, User.id == PageRow.user_id)
        .where(PageRow.incident_id == incident_id)
    )
    return [(r.handle, r.created_at) for r in rows]


def drill_report(session: Session, drill: Drill, *, now: datetime) -> DrillReportOut:
    incident = incidents.get_incident(session, drill.incident_id)
    severity = str(incident.severity)
    computed = rules.drill_report(facts_of(incident), now=now)
    events = incidents.list_timeline(session, incident.id)
    acknowledged_by = next((e.actor for e in events if e.type is EventType.ACKNOWLEDGED), None)
    holders = {str(r.role): r.user.handle for r in incident.roles}
    ordered_roles = {str(role): holders[str(role)] for role in Role if str(role) in holders}
    people = rules.responders(
        pages=_pages(session, incident.id), acknowledged_by=acknowledged_by, roles=ordered_roles
    )
    names = {
        row.handle: row.name
        for row in session.execute(
            select(User.handle, User.name).where(User.handle.in_([p.handle for p in people]))
        )
    }
    figures = [
        FigureOut(
            measure=f.measure,
            outcome=f.outcome,
            target_minutes=f.target_minutes,
            minutes=f.minutes,
            waited_minutes=f.waited_minutes,
            verdict=verdict(f, severity, finished=incident.status in FINISHED),
        )
        for f in computed.figures
    ]
    return DrillReportOut(
        drill=drill_out(session, drill, incident, now=now),
        figures=figures,
        verdicts=[f.verdict for f in figures],
        checklist=ChecklistOut.of(incident),
        acknowledged_by=acknowledged_by,
        responders=[
            ResponderOut(
                user=p.handle,
                name=names.get(p.handle),
                paged_at=p.paged_at,
                pages=p.pages,
                acknowledged=p.acknowledged,
                roles=[role_title(r) for r in p.roles],
            )
            for p in people
        ],
        timeline=[
            DrillEventOut(
                at=e.at,
                minutes=round(max(0.0, (e.at - incident.triggered_at).total_seconds()) / 60, 2),
                actor=e.actor,
                type=str(e.type),
                text=describe_event(str(e.type), e.data).one_line,
            )
            for e in events
        ],
    )
