"""Drills: responders start one (a real incident, marked DRILL, paging the real policy);
everyone reads the list and each drill's report."""

from fastapi import APIRouter

from warroom.drills import actions, report
from warroom.drills.schemas import DrillId, DrillIn, DrillOut, DrillReportOut
from warroom.incidents import repository as incidents
from warroom.schemas import Cursor, Limit, ListOut
from warroom.web.auth import Ctx, Responder, Viewer

router = APIRouter(prefix="/api/v1/drills", tags=["drills"])


@router.post("", status_code=201, response_model=DrillOut)
def start_drill(body: DrillIn, who: Responder, ctx: Ctx) -> DrillOut:
    """Opens an incident titled `[DRILL] …` (drill: true) on the service, which pages its
    escalation policy as any incident does; the answer carries the incident. 404 for an
    unknown service; 422 for a common issue its runbook does not have (naming those it
    has). Nothing is written when refused."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        drill = actions.do_start_drill(
            session,
            service=body.service,
            severity=body.severity,
            scenario=body.scenario,
            common_issue=body.common_issue,
            actor=who.handle,
            created_by_id=who.user.id,
            now=now,
            targets=ctx.settings.response_targets_minutes,
        )
        incident = incidents.get_incident(session, drill.incident_id)
        return report.drill_out(session, drill, incident, now=now)


@router.get("", response_model=ListOut[DrillOut])
def list_drills(
    who: Viewer, ctx: Ctx, limit: Limit = 50, cursor: Cursor = None
) -> ListOut[DrillOut]:
    """Latest first, each with its outcome against the severity's targets."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = report.page_drills(session, limit=limit, cursor=cursor)
        items = report.drills_out(session, page.items, now=now)
    return ListOut[DrillOut](items=items, total=page.total, next=page.next)


@router.get("/{drill_id}", response_model=DrillReportOut)
def get_drill(drill_id: DrillId, who: Viewer, ctx: Ctx) -> DrillReportOut:
    """The drill report: time to acknowledge, to assemble the team (checklist item 3) and
    to resolve, each against its target (acknowledge: the severity's response target;
    assemble: twice it; resolve: four times it), checklist compliance, who was paged and
    who responded, and the timeline."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        return report.drill_report(session, report.get_drill(session, drill_id), now=now)
