"""Teams: admins shape them (name, members; services join a team through the services
API's `team`); everyone reads them, with where each stands on its quarterly drill."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from warroom.domain.drill import drill_standing
from warroom.schemas import Cursor, Handle, Limit, ListOut, list_out
from warroom.teams import actions, repository
from warroom.teams.models import Team
from warroom.teams.schemas import MemberIn, MembersIn, TeamIn, TeamOut, TeamPatch
from warroom.web.auth import Admin, Ctx, Viewer

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])

TeamRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
MemberRef = Annotated[Handle, Path(description="the member's handle")]


def team_out(session: Session, team: Team, *, now: datetime) -> TeamOut:
    last = repository.last_drill(session, team.id)
    standing = drill_standing(
        team_created_at=team.created_at,
        last_drill_at=last.started_at if last is not None else None,
        now=now,
    )
    return TeamOut(
        id=team.id,
        name=team.name,
        description=team.description,
        members=[m.user.handle for m in team.members],
        services=repository.services_of(session, team.id),
        created_at=team.created_at,
        last_drill_id=last.id if last is not None else None,
        last_drill_at=last.started_at if last is not None else None,
        next_drill_due_at=standing.due_at,
        drill_overdue=standing.overdue,
        drill_reminded_at=team.drill_reminded_at,
    )


@router.post("", status_code=201, response_model=TeamOut)
def create_team(body: TeamIn, who: Admin, ctx: Ctx) -> TeamOut:
    """Unknown member handles are a 404 naming the handle; a taken name a 409."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        team = actions.do_create_team(
            session, name=body.name, description=body.description, members=body.members, now=now
        )
        return team_out(session, team, now=now)


@router.get("", response_model=ListOut[TeamOut])
def list_teams(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[TeamOut]:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        page = repository.page_teams(session, limit=limit, cursor=cursor)
        return list_out(page, lambda team: team_out(session, team, now=now))


@router.get("/{team}", response_model=TeamOut)
def get_team(team: TeamRef, who: Viewer, ctx: Ctx) -> TeamOut:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        return team_out(session, repository.get_team(session, team), now=now)


@router.patch("/{team}", response_model=TeamOut)
def update_team(team: TeamRef, body: TeamPatch, who: Admin, ctx: Ctx) -> TeamOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        changed = actions.do_update_team(
            session, ref=team, name=body.name, description=body.description
        )
        return team_out(session, changed, now=now)


@router.delete("/{team}", response_model=TeamOut)
def delete_team(team: TeamRef, who: Admin, ctx: Ctx) -> TeamOut:
    """Its services stay (owned by no team) and so do its drills."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        out = team_out(session, repository.get_team(session, team), now=now)
        actions.do_delete_team(session, ref=out.id, now=now)
        return out


@router.put("/{team}/members", response_model=TeamOut)
def set_members(team: TeamRef, body: MembersIn, who: Admin, ctx: Ctx) -> TeamOut:
    """The members become exactly the handles given."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        changed = actions.do_set_members(session, ref=team, members=body.members)
        return team_out(session, changed, now=now)


@router.post("/{team}/members", status_code=201, response_model=TeamOut)
def add_member(team: TeamRef, body: MemberIn, who: Admin, ctx: Ctx) -> TeamOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        changed = actions.do_add_member(session, ref=team, user=body.user)
        return team_out(session, changed, now=now)


@router.delete("/{team}/members/{user}", response_model=TeamOut)
def remove_member(team: TeamRef, user: MemberRef, who: Admin, ctx: Ctx) -> TeamOut:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        changed = actions.do_remove_member(session, ref=team, user=user)
        return team_out(session, changed, now=now)
