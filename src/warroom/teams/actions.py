"""Teams: who owns which services, and who practises responding to them together."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from warroom.db.lookup import ensure_name_free
from warroom.drills.reminders import cancel_drill_reminders, plan_drill_reminder
from warroom.errors import Conflict, NotFound
from warroom.services.models import Service
from warroom.teams import repository
from warroom.teams.models import Team, TeamMember
from warroom.users.models import User
from warroom.users.repository import get_user


def _users(session: Session, handles: Sequence[str]) -> list[User]:
    """Each handle's user, once each, in the order given; 404 naming the first unknown."""
    return [get_user(session, handle) for handle in dict.fromkeys(handles)]


def _ensure_name_free(session: Session, name: str, *, but: Team | None = None) -> None:
    ensure_name_free(session, Team, Team.name, name, what="a team", but=but)


def do_create_team(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str = "",
    members: Sequence[str] = (),
) -> Team:
    """The team's first drill reminder is planned with it (90 days on)."""
    _ensure_name_free(session, name)
    users = _users(session, members)
    team = Team(
        name=name,
        description=description,
        created_at=now,
        members=[TeamMember(user_id=u.id, user=u) for u in users],
    )
    session.add(team)
    session.flush()
    plan_drill_reminder(session, team=team, now=now)
    return team


def do_update_team(
    session: Session,
    *,
    ref: str | int,
    name: str | None = None,
    description: str | None = None,
) -> Team:
    """Fields left out (None) stay as they are."""
    team = repository.get_team(session, ref)
    if name is not None and name != team.name:
        _ensure_name_free(session, name, but=team)
        team.name = name
    if description is not None:
        team.description = description
    session.flush()
    return team


def do_delete_team(session: Session, *, ref: str | int, now: datetime) -> None:
    """Its services stay, owned by nobody; its drills stay, and its reminders end."""
    team = repository.get_team(session, ref)
    session.execute(
        update(Service)
        .where(Service.team_id == team.id)
        .values(team_id=None)
        .execution_options(synchronize_session="fetch")
    )
    cancel_drill_reminders(session, team_id=team.id, now=now)
    session.delete(team)
    session.flush()


def do_set_members(session: Session, *, ref: str | int, members: Sequence[str]) -> Team:
    """The team's members become exactly these people."""
    team = repository.get_team(session, ref)
    users = _users(session, members)
    wanted = {u.id for u in users}
    team.members = [m for m in team.members if m.user_id in wanted]
    have = {m.user_id for m in team.members}
    team.members.extend(TeamMember(user_id=u.id, user=u) for u in users if u.id not in have)
    session.flush()
    return team


def do_add_member(session: Session, *, ref: str | int, user: str) -> Team:
    team = repository.get_team(session, ref)
    person = get_user(session, user)
    if any(m.user_id == person.id for m in team.members):
        raise Conflict(f"@{person.handle} is already a member of team '{team.name}'")
    team.members.append(TeamMember(user_id=person.id, user=person))
    session.flush()
    return team


def do_remove_member(session: Session, *, ref: str | int, user: str) -> Team:
    team = repository.get_team(session, ref)
    person = get_user(session, user)
    kept = [m for m in team.members if m.user_id != person.id]
    if len(kept) == len(team.members):
        raise NotFound(f"@{person.handle} is not a member of team '{team.name}'")
    team.members = kept
    session.flush()
    return team
