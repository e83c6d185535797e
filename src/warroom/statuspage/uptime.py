"""Uptime bars for the public page: each public component's last days read from its
status history (ComponentStatusChange) and cut into days by the pure rule
(warroom.domain.statuspage.uptime_days), in the page's time zone.

Kept apart from the read model in warroom.statuspage.public, which calls `with_uptime`
when a page wants bars; the history queries are the heaviest the page runs, two for all
components together however many there are.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from warroom.domain.statuspage import StatusChange, uptime_days
from warroom.settings import Settings
from warroom.statuspage.models import Component, ComponentStatusChange

if TYPE_CHECKING:
    # Only a type here: public imports this module to build its components.
    from warroom.statuspage.public import PublicComponent


def _zone(settings: Settings) -> ZoneInfo:
    # Settings validates the name; a zone database gone missing since must not 500.
    try:
        return ZoneInfo(settings.status_page_time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def with_uptime(
    session: Session,
    components: list["PublicComponent"],
    *,
    settings: Settings,
    now: datetime,
    days: int,
) -> list["PublicComponent"]:
    """Each component's last `days` days of uptime from its status history: the changes in
    the window plus the last change before it, in two queries for all components."""
    if not components:
        return components
    zone = _zone(settings)
    local_now = now.astimezone(zone)
    first_day: date = local_now.date() - timedelta(days=days - 1)
    window_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone)
    codes = [c.code for c in components]
    ids = dict(
        session.execute(select(Component.code, Component.id).where(Component.code.in_(codes))).all()
    )
    id_list = list(ids.values())
    history: dict[int, list[StatusChange]] = defaultdict(list)
    in_window = session.execute(
        select(
            ComponentStatusChange.component_id,
            ComponentStatusChange.status,
            ComponentStatusChange.at,
        ).where(
            ComponentStatusChange.component_id.in_(id_list),
            ComponentStatusChange.at >= window_start,
        )
    )
    for cid, status, at in in_window:
        history[cid].append(StatusChange(at=at, status=status))
    last_before = (
        select(
            ComponentStatusChange.component_id.label("cid"),
            func.max(ComponentStatusChange.at).label("at"),
        )
        .where(
            ComponentStatusChange.component_id.in_(id_list),
            ComponentStatusChange.at < window_start,
        )
        .group_by(ComponentStatusChange.component_id)
        .subquery()
    )
    before = session.execute(
        select(
            ComponentStatusChange.component_id,
            ComponentStatusChange.status,
            ComponentStatusChange.at,
        ).join(
            last_before,
            and_(
                ComponentStatusChange.component_id == last_before.c.cid,
                ComponentStatusChange.at == last_before.c.at,
            ),
        )
    )
    for cid, status, at in before:
        history[cid].append(StatusChange(at=at, status=status))
    result = []
    for c in components:
        bars = uptime_days(
            history.get(ids[c.code], []),
            created_at=c.created_at,
            first_day=first_day,
            days=days,
            now=local_now,
        )
        result.append(replace(c, uptime=bars))
    return result
