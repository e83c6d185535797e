"""On-call load: pages each person was sent, and how many of them reached them asleep
(22:00-08:00) or off hours (outside Monday-Friday 08:00-18:00) in their own time zone.

The database counts pages per person and quarter hour (UTC); Python places each quarter
hour on the person's clock with zoneinfo. Every time zone in use today is a whole number
of quarter hours from UTC and changes offset on a quarter hour, so all the pages of a
quarter hour share one local hour and weekday: the answer is exact, DST included, and
the work is bounded by people x quarter hours, not by pages. A quarter hour that would
straddle a local boundary anyway (an old zone's odd offset) is counted page by page.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Integer, and_, cast, distinct, func, select
from sqlalchemy.orm import Session

from warroom.paging.models import Page, PageState
from warroom.reports.sql import Dialect, Scope, incidents, whole
from warroom.users.models import User

QUARTER = timedelta(minutes=15)
SLEEP_FROM, SLEEP_UNTIL = 22, 8  # local hours
WORK_FROM, WORK_UNTIL = 8, 18  # local hours, Monday to Friday


def is_sleep_time(local: datetime) -> bool:
    return local.hour >= SLEEP_FROM or local.hour < SLEEP_UNTIL


def is_off_hours(local: datetime) -> bool:
    return local.weekday() >= 5 or not WORK_FROM <= local.hour < WORK_UNTIL


@dataclass(frozen=True, slots=True)
class Counts:
    person: User
    pages: int
    incidents: int
    sleep_pages: int
    off_hours_pages: int


def zone_of(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _quarter_of(dialect: Dialect, column: Any) -> ColumnElement[Any]:
    """Whole quarter hours since 1970-01-01 UTC."""
    if dialect.sqlite:
        # strftime('%s') is whole seconds (text): exact, where julianday() is a float.
        return cast(func.strftime("%s", column), Integer) // 900
    return whole(func.date_part("epoch", column) / 900)


def _sent(*, scope: Scope, since: datetime, until: datetime, drill: bool) -> ColumnElement[bool]:
    conditions = [
        Page.state == PageState.SENT,
        Page.sent_at >= since,
        Page.sent_at < until,
        incidents.c.drill == drill,
    ]
    if scope.service_ids is not None:
        conditions.append(incidents.c.service_id.in_(scope.service_ids))
    return and_(*conditions)


def _uniform(zone: tzinfo, start: datetime) -> datetime | None:
    """The local time of a quarter hour's start, if the whole quarter hour shares its
    local hour and weekday (no offset change, no odd offset); else None."""
    local = start.astimezone(zone)
    last = (start + QUARTER - timedelta(microseconds=1)).astimezone(zone)
    if local.minute % 15 or local.second or local.utcoffset() != last.utcoffset():
        return None
    return local


def oncall_load_rows(
    session: Session,
    *,
    dialect: Dialect,
    scope: Scope,
    since: datetime,
    until: datetime,
    drill: bool,
) -> list[Counts]:
    """Everyone who was sent a page in [since, until) for the report's incidents."""
    where = _sent(scope=scope, since=since, until=until, drill=drill)
    joined = Page.__table__.join(incidents, incidents.c.id == Page.incident_id)
    totals = {
        user_id: (pages, distinct_incidents)
        for user_id, pages, distinct_incidents in session.execute(
            select(Page.user_id, func.count(), func.count(distinct(Page.incident_id)))
            .select_from(joined)
            .where(where)
            .group_by(Page.user_id)
        )
    }
    if not totals:
        return []
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(totals))))}
    zones = {uid: zone_of(u.time_zone) for uid, u in people.items()}
    quarter = _quarter_of(dialect, Page.sent_at).label("quarter")
    sleep: dict[int, int] = dict.fromkeys(totals, 0)
    off: dict[int, int] = dict.fromkeys(totals, 0)
    odd: list[tuple[int, datetime]] = []
    for user_id, q, n in session.execute(
        select(Page.user_id, quarter, func.count())
        .select_from(joined)
        .where(where)
        .group_by(Page.user_id, quarter)
    ):
        start = datetime.fromtimestamp(int(q) * 900, UTC)
        local = _uniform(zones[user_id], start)
        if local is None:
            odd.append((user_id, start))
            continue
        sleep[user_id] += n * is_sleep_time(local)
        off[user_id] += n * is_off_hours(local)
    for user_id, at in _pages_in(session, joined, where, odd):
        local = at.astimezone(zones[user_id])
        sleep[user_id] += is_sleep_time(local)
        off[user_id] += is_off_hours(local)
    return [
        Counts(people[uid], pages, n_incidents, sleep[uid], off[uid])
        for uid, (pages, n_incidents) in totals.items()
    ]


def _pages_in(
    session: Session,
    joined: object,
    where: ColumnElement[bool],
    quarters: Sequence[tuple[int, datetime]],
) -> Iterable[tuple[int, datetime]]:
    """Each page's own time, for the few quarter hours that cannot be counted whole."""
    for user_id, start in quarters:
        yield from (
            (user_id, at)
            for at in session.scalars(
                select(Page.sent_at)
                .select_from(joined)  # type: ignore[arg-type]
                .where(where, Page.user_id == user_id)
                .where(Page.sent_at >= start, Page.sent_at < start + QUARTER)
            )
            if at is not None
        )
