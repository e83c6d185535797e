from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.lookup import find_by_ref, get_by_ref
from warroom.db.pagination import Page, paginate
from warroom.domain import schedule as domain
from warroom.oncall.models import CalendarFeedToken, Schedule, ScheduleOverride
from warroom.users.security import hash_token


def find_schedule(session: Session, ref: str | int) -> Schedule | None:
    return find_by_ref(session, Schedule, Schedule.name, ref)


def get_schedule(session: Session, ref: str | int) -> Schedule:
    return get_by_ref(session, Schedule, Schedule.name, ref, "schedule")


def list_schedules(session: Session) -> Sequence[Schedule]:
    return session.scalars(select(Schedule).order_by(Schedule.name)).all()


def page_schedules(session: Session, *, limit: int, cursor: str | None) -> Page[Schedule]:
    return paginate(session, select(Schedule), keys=[Schedule.name], limit=limit, cursor=cursor)


def overrides_between(
    session: Session, schedule_id: int, start: datetime, end: datetime
) -> Sequence[ScheduleOverride]:
    """Overrides overlapping [start, end), oldest first (a later one wins an overlap)."""
    return session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.start_at < end,
            ScheduleOverride.end_at > start,
        )
        .order_by(ScheduleOverride.id)
    ).all()


def find_feed_token(session: Session, secret: str) -> CalendarFeedToken | None:
    return session.scalar(
        select(CalendarFeedToken).where(CalendarFeedToken.token_hash == hash_token(secret))
    )


def to_domain(schedule: Schedule, overrides: Sequence[ScheduleOverride] = ()) -> domain.Schedule:
    return domain.Schedule(
        name=schedule.name,
        time_zone=schedule.time_zone,
        layers=tuple(
            domain.Layer(
                name=layer.name,
                users=tuple(layer.users),
                rotation_start=layer.rotation_start,
                turn_length_hours=layer.turn_length_hours,
                restrictions=tuple(restriction_of(r) for r in layer.restrictions),
                end=layer.end_at,
            )
            for layer in schedule.layers
        ),
        overrides=tuple(domain.Override(o.user, o.start_at, o.end_at) for o in overrides),
    )


def restriction_of(stored: dict[str, str]) -> domain.Restriction:
    if stored["type"] == "weekly":
        return domain.Restriction.weekly(
            stored["start_day"], stored["start"], stored["end_day"], stored["end"]
        )
    return domain.Restriction.daily(stored["start"], stored["end"])
