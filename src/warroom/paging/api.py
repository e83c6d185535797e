"""Paging by hand: page one more person, or whoever a schedule has on call, for an
incident. (Escalating to a named level is `POST /api/v1/incidents/{id}/escalate`
with `{"level": n}`; its body is `EscalateIn`, defined here.)"""

from typing import Annotated, Self

from fastapi import APIRouter
from pydantic import Field, StringConstraints, model_validator

from warroom.domain import escalation as plan_rules
from warroom.incidents.schemas import IncidentId
from warroom.paging import actions
from warroom.schemas import Handle, In, Out
from warroom.web.auth import Ctx, Responder

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

ScheduleName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class EscalateIn(In):
    level: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="page this level of the policy now (1-based) and go on from it; "
        "absent: the next level",
    )


class PageIn(In):
    user: Handle | None = Field(default=None, description="page this person (handle)")
    schedule: ScheduleName | None = Field(
        default=None, description="page whoever this schedule (name or id) has on call now"
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.user is None) == (self.schedule is None):
            raise ValueError('give exactly one of "user" (a handle) or "schedule" (a name)')
        return self

    def target(self) -> plan_rules.Target:
        if self.user is not None:
            return plan_rules.Target.user(self.user)
        assert self.schedule is not None  # the validator guarantees one of them
        return plan_rules.Target.schedule(self.schedule)


class PageOut(Out):
    incident_id: int
    user: str | None = Field(default=None, description="the handle asked for, if any")
    schedule: str | None = Field(default=None, description="the schedule asked for, if any")
    paged: list[str] = Field(description="handles of the people being paged")
    request: int = Field(description="the how-manieth page asked for by hand on this incident")


@router.post("/{incident_id}/page", status_code=202, response_model=PageOut)
def page_someone(incident_id: IncidentId, body: PageIn, who: Responder, ctx: Ctx) -> PageOut:
    """Page one more person, or whoever a schedule has on call now, at once (also after
    an acknowledgement). 404 for an unknown user or schedule; 409 when nobody is on call
    for the schedule, or the incident is resolved or closed."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        done = actions.do_page_someone(
            session, incident_id=incident_id, target=body.target(), actor=who.handle, now=now
        )
        return PageOut(
            incident_id=done.incident.id,
            user=body.user,
            schedule=body.schedule,
            paged=done.users,
            request=done.number,
        )
