from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from warroom.db.lookup import find_by_ref, get_by_ref
from warroom.db.pagination import Page, paginate
from warroom.drills.models import Drill
from warroom.services.models import Service
from warroom.teams.models import Team


def find_team(session: Session, ref: str | int) -> Team | None:
    return find_by_ref(session, Team, Team.name, ref)


def get_team(session: Session, ref: str | int) -> Team:
    return get_by_ref(session, Team, Team.name, ref, "team")


def lock_team(session: Session, team_id: int) -> Team | None:
    """The team, its row locked (PostgreSQL; SQLite has one writer) so that planning its
    drill reminder and the reminder itself never plan past each other."""
    found = session.scalar(select(Team.id).where(Team.id == team_id).with_for_update())
    return session.get(Team, found) if found is not None else None


def page_teams(session: Session, *, limit: int, cursor: str | None) -> Page[Team]:
    return paginate(session, select(Team), keys=[Team.name], limit=limit, cursor=cursor)


def list_teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.name)).all()


def services_of(session: Session, team_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Service.name).where(Service.team_id == team_id).order_by(Service.name)
        )
    )


def _drills_of(team_id: int) -> ColumnElement[bool]:
    # A drill counts for the team that owned its service when it ran, and for the team
    # that owns that service now.
    return or_(
        Drill.team_id == team_id,
        Drill.service_id.in_(select(Service.id).where(Service.team_id == team_id)),
    )


def last_drill(session: Session, team_id: int) -> Drill | None:
    return session.scalar(
        select(Drill)
        .where(_drills_of(team_id))
        .order_by(Drill.started_at.desc(), Drill.id.desc())
        .limit(1)
    )


def drills_of(session: Session, team_id: int, *, limit: int = 50) -> Sequence[Drill]:
    return session.scalars(
        select(Drill)
        .where(_drills_of(team_id))
        .order_by(Drill.started_at.desc(), Drill.id.desc())
        .limit(limit)
    ).all()
