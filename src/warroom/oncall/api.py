"""On-call schedules: admins shape schedules and issue feed tokens; responders place
overrides (taking or handing over a shift is part of on-call work); everyone reads."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain import schedule as domain
from warroom.errors import Invalid
from warroom.oncall import actions, handoff_api, repository
from warroom.oncall.ical import calendar_of
from warroom.oncall.models import CalendarFeedToken, Schedule, ScheduleOverride
from warroom.oncall.schemas import (
    FeedTokenOut,
    GapOut,
    GapsOut,
    LayerOut,
    LayerShiftsOut,
    OnCallEntry,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePatchIn,
    ShiftOut,
    ShiftsOut,
)
from warroom.schemas import Cursor, Limit, ListOut, list_out
from warroom.users.models import UserRole
from warroom.users.repository import find_user, get_user
from warroom.web.auth import Admin, Ctx, Viewer, bearer_token, require
from warroom.web.auth import Responder as ResponderRole
from warroom.web.downloads import content_disposition

router = APIRouter(prefix="/api/v1", tags=["oncall"])

ScheduleRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
HandleRef = Annotated[str, Path(min_length=1, max_length=64)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
At = Annotated[
    datetime | None,
    Query(description="ISO 8601; without an offset it is local to the schedule (default now)"),
]
MAX_WINDOW = timedelta(days=400)
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)


def _zone(schedule: Schedule) -> ZoneInfo:
    return domain.zone_of(schedule.time_zone)


def schedule_out(schedule: Schedule) -> ScheduleOut:
    zone = _zone(schedule)
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        time_zone=schedule.time_zone,
        description=schedule.description,
        owner=schedule.owner.handle if schedule.owner is not None else None,
        layers=[
            LayerOut(
                name=layer.name,
                users=list(layer.users),
                rotation_start=layer.rotation_start.astimezone(zone),
                turn_length_hours=layer.turn_length_hours,
                restrictions=list(layer.restrictions),
                end=layer.end_at.astimezone(zone) if layer.end_at else None,
            )
            for layer in schedule.layers
        ],
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


def shift_out(shift: domain.Shift, zone: ZoneInfo) -> ShiftOut:
    return ShiftOut(
        user=shift.user,
        layer=shift.layer,
        start=shift.start.astimezone(zone),
        end=shift.end.astimezone(zone),
    )


def gap_out(gap: domain.Gap, zone: ZoneInfo) -> GapOut:
    return GapOut(
        start=gap.start.astimezone(zone),
        end=gap.end.astimezone(zone),
        hours=round((gap.end - gap.start).total_seconds() / 3600, 4),
    )


def override_out(o: ScheduleOverride, schedule: Schedule) -> OverrideOut:
    zone = _zone(schedule)
    return OverrideOut(
        id=o.id,
        schedule=schedule.name,
        user=o.user,
        start=o.start_at.astimezone(zone),
        end=o.end_at.astimezone(zone),
        created_by=o.created_by,
        created_at=o.created_at,
    )


def _loaded(
    session: Session, schedule: Schedule, start: datetime, end: datetime
) -> domain.Schedule:
    return repository.to_domain(
        schedule, repository.overrides_between(session, schedule.id, start, end)
    )


def _oncall(session: Session, schedules: Sequence[Schedule], at: datetime) -> list[OnCallEntry]:
    found = []
    for schedule in schedules:
        zone = _zone(schedule)
        reach = domain.SPAN_LIMIT + timedelta(days=1)
        plan = _loaded(session, schedule, at - reach, at + reach)
        for shift in domain.oncall_at(plan, at):
            found.append(
                OnCallEntry(
                    user=shift.user,
                    schedule=schedule.name,
                    layer=shift.layer,
                    start=shift.start.astimezone(zone),
                    end=shift.end.astimezone(zone),
                )
            )
    return found


# --- schedules ----------------------------------------------------------------------


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
def create_schedule(body: ScheduleIn, who: Admin, ctx: Ctx) -> ScheduleOut:
    with ctx.db.write() as session:
        schedule = actions.do_create_schedule(session, **body.model_dump(), now=ctx.clock.now())
        return schedule_out(schedule)


@router.get("/schedules", response_model=ListOut[ScheduleOut])
def list_schedules(
    who: Viewer, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None
) -> ListOut[ScheduleOut]:
    with ctx.db.read() as session:
        page = repository.page_schedules(session, limit=limit, cursor=cursor)
        return list_out(page, schedule_out)


@router.get("/schedules/{schedule}", response_model=ScheduleOut)
def get_schedule(schedule: ScheduleRef, who: Viewer, ctx: Ctx) -> ScheduleOut:
    with ctx.db.read() as session:
        return schedule_out(repository.get_schedule(session, schedule))


@router.put("/schedules/{schedule}", response_model=ScheduleOut)
def replace_schedule(schedule: ScheduleRef, body: ScheduleIn, who: Admin, ctx: Ctx) -> ScheduleOut:
    """The schedule becomes exactly the body (layers included); overrides stay."""
    with ctx.db.write() as session:
        replaced = actions.do_replace_schedule(
            session, ref=schedule, **body.model_dump(), now=ctx.clock.now()
        )
        return schedule_out(replaced)


@router.patch("/schedules/{schedule}", response_model=ScheduleOut)
def update_schedule(
    schedule: ScheduleRef, body: SchedulePatchIn, who: Admin, ctx: Ctx
) -> ScheduleOut:
    """Change only the fields given: `owner` (a handle, or null) and `description`."""
    with ctx.db.write() as session:
        updated = actions.do_update_schedule(
            session, ref=schedule, now=ctx.clock.now(), **body.model_dump(exclude_unset=True)
        )
        return schedule_out(updated)


@router.delete("/schedules/{schedule}", response_model=ScheduleOut)
def delete_schedule(schedule: ScheduleRef, who: Admin, ctx: Ctx) -> ScheduleOut:
    with ctx.db.write() as session:
        gone = repository.get_schedule(session, schedule)
        out = schedule_out(gone)
        actions.do_delete_schedule(session, ref=gone.id)
        return out


# --- who is on call -----------------------------------------------------------------


@router.get("/schedules/{schedule}/oncall", response_model=OnCallOut)
def schedule_oncall(schedule: ScheduleRef, who: Viewer, ctx: Ctx, at: At = None) -> OnCallOut:
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        when = actions.instant(at, found.time_zone, what="at") if at else ctx.clock.now()
        return OnCallOut(at=when, oncall=_oncall(session, [found], when))


@router.get("/oncall", response_model=OnCallOut)
def everyone_oncall(
    who: Viewer,
    ctx: Ctx,
    at: Annotated[
        datetime | None, Query(description="ISO 8601; without an offset it is UTC (default now)")
    ] = None,
) -> OnCallOut:
    """Every schedule's on-call person at one instant."""
    with ctx.db.read() as session:
        when = actions.instant(at, "UTC", what="at") if at else ctx.clock.now()
        return OnCallOut(at=when, oncall=_oncall(session, repository.list_schedules(session), when))


@router.get("/schedules/{schedule}/shifts", response_model=ShiftsOut)
def schedule_shifts(
    schedule: ScheduleRef,
    who: Viewer,
    ctx: Ctx,
    start: Annotated[datetime | None, Query(description="default now")] = None,
    end: Annotated[datetime | None, Query(description="default start + 14 days")] = None,
) -> ShiftsOut:
    """The final schedule, each layer and the overrides over [start, end) (≤ 400 days)."""
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        zone = _zone(found)
        lo = actions.instant(start, found.time_zone, what="start") if start else ctx.clock.now()
        hi = actions.instant(end, found.time_zone, what="end") if end else lo + timedelta(days=14)
        if hi <= lo:
            raise Invalid("end must be after start")
        if hi - lo > MAX_WINDOW:
            raise Invalid("the window is at most 400 days")
        rendered = domain.render(_loaded(session, found, lo, hi), lo, hi)
        return ShiftsOut(
            schedule=found.name,
            time_zone=found.time_zone,
            start=lo.astimezone(zone),
            end=hi.astimezone(zone),
            final=[shift_out(s, zone) for s in rendered.final],
            layers=[
                LayerShiftsOut(name=name, shifts=[shift_out(s, zone) for s in shifts])
                for name, shifts in rendered.layers
            ],
            overrides=[shift_out(s, zone) for s in rendered.overrides],
            gaps=[gap_out(g, zone) for g in rendered.gaps],
        )


@router.get("/schedules/{schedule}/gaps", response_model=GapsOut)
def schedule_gaps(
    schedule: ScheduleRef,
    who: Viewer,
    ctx: Ctx,
    days: Annotated[int, Query(ge=1, le=400, description="look this many days ahead")] = 14,
) -> GapsOut:
    """When nobody is on call in the next `days` days."""
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        zone = _zone(found)
        lo = ctx.clock.now()
        hi = lo + timedelta(days=days)
        holes = domain.gaps(_loaded(session, found, lo, hi), lo, hi)
        return GapsOut(
            schedule=found.name,
            start=lo.astimezone(zone),
            end=hi.astimezone(zone),
            gaps=[gap_out(g, zone) for g in holes],
        )


# --- overrides ----------------------------------------------------------------------


@router.get("/schedules/{schedule}/overrides", response_model=ListOut[OverrideOut])
def list_overrides(schedule: ScheduleRef, who: Viewer, ctx: Ctx) -> ListOut[OverrideOut]:
    """Overrides not yet over."""
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        now = ctx.clock.now()
        rows = repository.overrides_between(session, found.id, now, actions.LATEST)
        items = [override_out(o, found) for o in rows]
    return ListOut[OverrideOut](items=items, total=len(items), next=None)


@router.post("/schedules/{schedule}/overrides", status_code=201, response_model=OverrideOut)
def add_override(
    schedule: ScheduleRef, body: OverrideIn, who: ResponderRole, ctx: Ctx
) -> OverrideOut:
    """`user` is on call from `start` to `end`, over every layer."""
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        override = actions.do_add_override(
            session,
            schedule=found,
            user=body.user,
            start=body.start,
            end=body.end,
            actor=who.handle,
            now=ctx.clock.now(),
        )
        return override_out(override, found)


@router.delete("/schedules/{schedule}/overrides/{override_id}", response_model=OverrideOut)
def delete_override(
    schedule: ScheduleRef, override_id: ItemId, who: ResponderRole, ctx: Ctx
) -> OverrideOut:
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        override = actions.do_delete_override(
            session, schedule=found, override_id=override_id, now=ctx.clock.now()
        )
        return override_out(override, found)


# --- calendar feeds -----------------------------------------------------------------


def _feed_url(ctx: Ctx, path: str, secret: str) -> str:
    return f"{ctx.settings.base_url.rstrip('/')}{path}?token={secret}"


@router.post("/schedules/{schedule}/feed-token", status_code=201, response_model=FeedTokenOut)
def issue_schedule_feed_token(schedule: ScheduleRef, who: Admin, ctx: Ctx) -> FeedTokenOut:
    """A token for this schedule's calendar.ics, shown once; the previous one stops working."""
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        issued = actions.do_issue_feed_token(
            session, schedule=found, actor=who.handle, now=ctx.clock.now()
        )
        path = f"/api/v1/schedules/{found.id}/calendar.ics"
        return FeedTokenOut(
            token=issued.secret,
            prefix=issued.row.prefix,
            url=_feed_url(ctx, path, issued.secret),
            created_at=issued.row.created_at,
        )


@router.post("/users/{handle}/feed-token", status_code=201, response_model=FeedTokenOut)
def issue_user_feed_token(handle: HandleRef, who: Viewer, ctx: Ctx) -> FeedTokenOut:
    """A token for this user's calendar.ics; for the user themself or an admin."""
    if who.handle != handle and not who.role.allows(UserRole.ADMIN):
        raise HTTPException(403, "only the user themself or an admin may issue their feed token")
    with ctx.db.write() as session:
        user = get_user(session, handle)
        issued = actions.do_issue_feed_token(
            session, user=user, actor=who.handle, now=ctx.clock.now()
        )
        path = f"/api/v1/users/{user.handle}/calendar.ics"
        return FeedTokenOut(
            token=issued.secret,
            prefix=issued.row.prefix,
            url=_feed_url(ctx, path, issued.secret),
            created_at=issued.row.created_at,
        )


_viewer = require(UserRole.VIEWER)
FeedToken = Annotated[
    str | None, Query(max_length=200, description="a feed token, instead of a bearer token")
]


def _feed_access(request: Request, ctx: Ctx, token: FeedToken = None) -> int | None:
    """Lets a bearer token (viewer or above) or this feed's own token through. Returns
    the feed token's row id, or None for a bearer; which feed it opens is checked by
    the route, since the token grants exactly one."""
    if bearer_token(request) is not None or not token:
        _viewer(request, ctx)
        return None
    with ctx.db.read() as session:
        row = repository.find_feed_token(session, token)
        if row is None:
            raise HTTPException(401, "invalid feed token", headers={"WWW-Authenticate": "Bearer"})
        return row.id


FeedAccess = Annotated[int | None, Depends(_feed_access)]


def _refuse_other_feed() -> HTTPException:
    return HTTPException(
        401, "this feed token opens another feed", headers={"WWW-Authenticate": "Bearer"}
    )


def _ics(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": content_disposition(f"{name}.ics", inline=True)},
    )


@router.get("/schedules/{schedule}/calendar.ics", response_class=Response)
def schedule_calendar(schedule: ScheduleRef, access: FeedAccess, ctx: Ctx) -> Response:
    """Final shifts from 30 days ago to 90 days ahead, one event each."""
    now = ctx.clock.now()
    lo, hi = now - FEED_PAST, now + FEED_AHEAD
    with ctx.db.read() as session:
        found = repository.find_schedule(session, schedule)
        if access is not None:
            row = session.get(CalendarFeedToken, access)
            if row is None or found is None or row.schedule_id != found.id:
                raise _refuse_other_feed()
        if found is None:
            found = repository.get_schedule(session, schedule)
        rendered = domain.render(_loaded(session, found, lo, hi), lo, hi)
        body = calendar_of(
            f"On call: {found.name}",
            ((found.name, s) for s in rendered.final),
            now=now,
            uid_scope=f"schedule{found.id}",
        )
    return _ics(body, f"oncall-{found.id}")


@router.get("/users/{handle}/calendar.ics", response_class=Response)
def user_calendar(handle: HandleRef, access: FeedAccess, ctx: Ctx) -> Response:
    """This user's final shifts on every schedule, 30 days back to 90 ahead."""
    now = ctx.clock.now()
    lo, hi = now - FEED_PAST, now + FEED_AHEAD
    with ctx.db.read() as session:
        user = get_user(session, handle) if access is None else None
        if access is not None:
            row = session.get(CalendarFeedToken, access)
            user = find_user(session, handle)
            if row is None or user is None or row.user_id != user.id:
                raise _refuse_other_feed()
        assert user is not None
        mine: list[tuple[str, domain.Shift]] = []
        for schedule in repository.list_schedules(session):
            rendered = domain.render(_loaded(session, schedule, lo, hi), lo, hi)
            mine.extend((schedule.name, s) for s in rendered.final if s.user == user.handle)
        body = calendar_of(f"On call: {user.handle}", mine, now=now, uid_scope=f"user{user.id}")
    return _ics(body, f"oncall-{user.handle}")


# Swaps and handoff notes live in their own module; same prefix and tag.
router.include_router(handoff_api.router)
