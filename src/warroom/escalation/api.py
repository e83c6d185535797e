"""Escalation policies: admins shape them; everyone reads them, with a preview of when
each level would be paged."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from warroom.domain import escalation as domain
from warroom.escalation import actions, repository
from warroom.escalation.models import EscalationPolicy
from warroom.escalation.schemas import (
    TIMELINE_STEPS,
    LevelOut,
    PlannedPageOut,
    PolicyIn,
    PolicyOut,
)
from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1/escalation-policies", tags=["escalation"])

PolicyRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
# Any aware instant does for a preview; minutes are read off relative to it.
_TRIGGER = datetime(2000, 1, 1, tzinfo=UTC)


def timeline_of(policy: EscalationPolicy) -> list[PlannedPageOut]:
    planned = domain.plan(repository.to_domain(policy), _TRIGGER)[:TIMELINE_STEPS]
    return [
        PlannedPageOut(
            loop=step.loop,
            level=step.level_index + 1,
            at_minutes=round((step.due_at - _TRIGGER).total_seconds() / 60, 6),
            targets=list(policy.levels[step.level_index]["targets"]),
        )
        for step in planned
    ]


def policy_out(session: Session, policy: EscalationPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        levels=[LevelOut.model_validate(level) for level in policy.levels],
        timeline=timeline_of(policy),
        services=list(repository.services_using(session, policy.id)),
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


@router.post("", status_code=201, response_model=PolicyOut)
def create_policy(body: PolicyIn, who: Admin, ctx: Ctx) -> PolicyOut:
    with ctx.db.write() as session:
        policy = actions.do_create_policy(
            session,
            name=body.name,
            description=body.description,
            repeat=body.repeat,
            levels=body.stored_levels(),
            now=ctx.clock.now(),
        )
        return policy_out(session, policy)


@router.get("", response_model=ListOut[PolicyOut])
def list_policies(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[PolicyOut]:
    with ctx.db.read() as session:
        page = repository.page_policies(session, limit=limit, cursor=cursor)
        return list_out(page, lambda policy: policy_out(session, policy))


@router.get("/{policy}", response_model=PolicyOut)
def get_policy(policy: PolicyRef, who: Viewer, ctx: Ctx) -> PolicyOut:
    with ctx.db.read() as session:
        return policy_out(session, repository.get_policy(session, policy))


@router.put("/{policy}", response_model=PolicyOut)
def replace_policy(policy: PolicyRef, body: PolicyIn, who: Admin, ctx: Ctx) -> PolicyOut:
    """The policy becomes exactly the body; services using it stay attached."""
    with ctx.db.write() as session:
        replaced = actions.do_replace_policy(
            session,
            ref=policy,
            name=body.name,
            description=body.description,
            repeat=body.repeat,
            levels=body.stored_levels(),
            now=ctx.clock.now(),
        )
        return policy_out(session, replaced)


@router.delete("/{policy}", response_model=PolicyOut)
def delete_policy(policy: PolicyRef, who: Admin, ctx: Ctx) -> PolicyOut:
    """Refused (409, naming them) while a service uses the policy."""
    with ctx.db.write() as session:
        gone = repository.get_policy(session, policy)
        out = policy_out(session, gone)
        actions.do_delete_policy(session, ref=gone.id)
        return out
