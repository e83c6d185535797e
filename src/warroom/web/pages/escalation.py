"""The incident page's escalation controls: escalate (to the next level or a named one)
and page someone (a person by handle, or whoever a schedule has on call). Each form calls
one action, like the other incident forms, and redirects back."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.errors import Invalid
from warroom.incidents import actions as incident_actions
from warroom.incidents.schemas import IncidentId
from warroom.paging import actions
from warroom.paging.api import EscalateIn, PageIn
from warroom.web.pages.base import PageCtx, PageRoute, Writer
from warroom.web.pages.incident_actions import _act

router = APIRouter(prefix="/incidents/{incident_id}", route_class=PageRoute)

Short = Annotated[str, Form(max_length=100)]


@router.post("/escalate")
def escalate(
    request: Request, ctx: PageCtx, who: Writer, incident_id: IncidentId, level: Short = ""
) -> Response:
    """An empty level (or "next") pages the next level; a number jumps to that level."""

    def change(session: Session, now: datetime) -> None:
        wanted = level.strip()
        if wanted in ("", "next"):
            incident_actions.do_escalate_now(
                session, incident_id=incident_id, actor=who.handle, now=now
            )
            return
        if not wanted.isdigit():
            raise Invalid(f"level must be a level number, not '{wanted}'")
        body = EscalateIn(level=int(wanted))
        assert body.level is not None
        actions.do_escalate_to_level(
            session, incident_id=incident_id, level=body.level, actor=who.handle, now=now
        )

    return _act(request, ctx, who, incident_id, change, done="escalated")


@router.post("/page")
def page_someone(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    incident_id: IncidentId,
    user: Short = "",
    schedule: Short = "",
) -> Response:
    """One of the two: a handle typed or picked, or a schedule picked."""

    def change(session: Session, now: datetime) -> None:
        body = PageIn(user=user.strip() or None, schedule=schedule.strip() or None)
        actions.do_page_someone(
            session, incident_id=incident_id, target=body.target(), actor=who.handle, now=now
        )

    return _act(
        request,
        ctx,
        who,
        incident_id,
        change,
        done="paged",
        form={"page_user": user, "page_schedule": schedule},
    )
