"""Teams, for everyone signed in: who is in each team, which services it owns, and where
it stands on its quarterly drill. Admins create teams and change their members."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.drills import report
from warroom.teams import actions, repository
from warroom.teams.api import team_out
from warroom.teams.models import Team
from warroom.teams.schemas import TeamIn, TeamPatch
from warroom.users.repository import list_users
from warroom.web.context import AppContext
from warroom.web.pages.base import AdminWriter, PageCtx, PageRoute, PageUser, SignedIn, render
from warroom.web.pages.forms import Ok, RowForms, Short, submit
from warroom.web.pages.views import version_of

PAGE = "/teams"
router = APIRouter(prefix=PAGE, route_class=PageRoute)

TeamRef = Annotated[str, Path(min_length=1, max_length=100)]
Description = Annotated[str, Form(max_length=2000)]
Handles = Annotated[str, Form(max_length=5000)]

NOTICES: Mapping[str, str] = {
    "created": "Team created: its first drill is due in 90 days, and its members are "
    "reminded when it is.",
    "saved": "Team saved.",
    "member-added": "Member added.",
    "member-removed": "Member removed.",
    "deleted": "Team deleted: its services now belong to no team.",
}


def _handles(text: str) -> list[str]:
    """Handles typed one after another: '@rita, ada bob'."""
    return [h.lstrip("@") for h in re.split(r"[\s,]+", text.strip()) if h.lstrip("@")]


def list_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        teams = [team_out(session, t, now=now) for t in repository.list_teams(session)]
    return render(
        request,
        "teams.html",
        who=who,
        status_code=status_code,
        version=version_of(teams),
        refresh_url=PAGE,
        teams=teams,
        form=form or {},
        notice=notice,
        error=error,
    )


def team_page(
    request: Request,
    ctx: AppContext,
    who: PageUser,
    ref: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        found = repository.get_team(session, ref)
        team = team_out(session, found, now=now)
        drills = report.drills_out(session, repository.drills_of(session, found.id), now=now)
        others = [u.handle for u in list_users(session) if u.handle not in team.members]
    return render(
        request,
        "team.html",
        who=who,
        status_code=status_code,
        version=version_of(team, drills),
        refresh_url=f"{PAGE}/{team.id}",
        team=team,
        drills=drills,
        others=others,
        form={"name": team.name, "description": team.description, **(form or {})},
        notice=notice,
        error=error,
    )


@router.get("")
def team_list(request: Request, ctx: PageCtx, who: SignedIn, ok: Ok = "") -> Response:
    return list_page(request, ctx, who, notice=NOTICES.get(ok))


@router.get("/{ref}")
def team_detail(
    request: Request, ctx: PageCtx, who: SignedIn, ref: TeamRef, ok: Ok = ""
) -> Response:
    return team_page(request, ctx, who, ref, notice=NOTICES.get(ok))


# --- forms (admins) ------------------------------------------------------------------


@router.post("")
def create(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    name: Short = "",
    description: Description = "",
    members: Handles = "",
) -> Response:
    def write(session: Session) -> str:
        # The API's rules for a name (required, no slashes …), read from the form.
        body = TeamIn.model_validate(
            {"name": name, "description": description.strip(), "members": _handles(members)}
        )
        team = actions.do_create_team(session, **body.model_dump(), now=ctx.clock.now())
        return f"{PAGE}/{team.id}?ok=created"

    def refused(*, error: str, status_code: int) -> Response:
        typed = {"name": name, "description": description, "members": members}
        return list_page(request, ctx, who, error=error, status_code=status_code, form=typed)

    return submit(ctx, write, refused)


_act = RowForms[Team](PAGE, repository.get_team, team_page).act


@router.post("/{ref}/edit")
def edit(
    request: Request,
    ctx: PageCtx,
    who: AdminWriter,
    ref: TeamRef,
    name: Short = "",
    description: Description = "",
) -> Response:
    def change(session: Session, team: Team, now: datetime) -> None:
        body = TeamPatch.model_validate(
            {"name": name.strip() or None, "description": description.strip()}
        )
        actions.do_update_team(session, ref=team.id, **body.model_dump())

    typed = {"name": name, "description": description}
    return _act(request, ctx, who, ref, change, done="saved", form=typed)


@router.post("/{ref}/members")
def add_members(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: TeamRef, user: Handles = ""
) -> Response:
    def change(session: Session, team: Team, now: datetime) -> None:
        for handle in _handles(user):
            actions.do_add_member(session, ref=team.id, user=handle)

    return _act(request, ctx, who, ref, change, done="member-added", anchor="#members")


@router.post("/{ref}/members/{handle}/remove")
def remove_member(
    request: Request, ctx: PageCtx, who: AdminWriter, ref: TeamRef, handle: TeamRef
) -> Response:
    def change(session: Session, team: Team, now: datetime) -> None:
        actions.do_remove_member(session, ref=team.id, user=handle)

    return _act(request, ctx, who, ref, change, done="member-removed", anchor="#members")


@router.post("/{ref}/delete")
def delete(request: Request, ctx: PageCtx, who: AdminWriter, ref: TeamRef) -> Response:
    def write(session: Session) -> str:
        actions.do_delete_team(session, ref=ref, now=ctx.clock.now())
        return f"{PAGE}?ok=deleted"

    def refused(*, error: str, status_code: int) -> Response:
        return team_page(request, ctx, who, ref, error=error, status_code=status_code)

    return submit(ctx, write, refused)
