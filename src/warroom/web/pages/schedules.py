"""The schedule list and the schedule page: who is on call now and next, the next 14 days
of final shifts by day with the coverage gaps marked, overrides, shift swaps and handoff
notes. Times on these pages are in the schedule's own time zone, as its rotation is."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.domain import schedule as domain
from warroom.errors import Invalid
from warroom.oncall import actions, repository, swaps
from warroom.oncall.handoff_api import recent_notes
from warroom.oncall.models import Schedule, ShiftSwap, SwapState
from warroom.users.models import User
from warroom.users.repository import get_user, list_users
from warroom.web.context import AppContext
from warroom.web.pages.base import PageCtx, PageRoute, PageUser, SignedIn, Writer, render
from warroom.web.pages.forms import ItemId, Ok, RowForms, Short
from warroom.web.pages.views import version_of

router = APIRouter(prefix="/schedules", route_class=PageRoute)

ScheduleRef = Annotated[str, Path(min_length=1, max_length=100)]
DAYS_SHOWN = 14
# oncall_at looks up to a year either side for where a shift begins and ends.
REACH = domain.SPAN_LIMIT + timedelta(days=1)

NOTICES: Mapping[str, str] = {
    "override": "Override added.",
    "override-removed": "Override removed.",
    "swap": "Swap requested: the person you asked has been notified.",
    "swap-accept": "Swap accepted: it is now an override.",
    "swap-decline": "Swap declined.",
    "swap-cancel": "Swap cancelled.",
    "note": "Handoff note saved: it goes out with the checklist at the next shift change.",
}


@dataclass(frozen=True, slots=True)
class Slot:
    user: str | None  # None: a gap, nobody on call
    layer: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    slots: tuple[Slot, ...]

    @property
    def has_gap(self) -> bool:
        return any(s.user is None for s in self.slots)


@dataclass(frozen=True, slots=True)
class SwapView:
    id: int
    requester: str
    taker: str
    start: datetime
    end: datetime
    note: str
    state: str
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    name: str
    time_zone: str
    now: Sequence[domain.Shift]
    next_handoff: domain.Shift | None
    gaps: int


def _shape(session: Session, schedule: Schedule, lo: datetime, hi: datetime) -> domain.Schedule:
    return repository.to_domain(
        schedule, repository.overrides_between(session, schedule.id, lo, hi)
    )


def _summary(session: Session, schedule: Schedule, now: datetime) -> Row:
    end = now + timedelta(days=DAYS_SHOWN)
    shape = _shape(session, schedule, now - REACH, now + REACH)
    rendered = domain.render(shape, now, end)
    upcoming = [s for s in rendered.final if s.start > now]
    return Row(
        id=schedule.id,
        name=schedule.name,
        time_zone=schedule.time_zone,
        now=domain.oncall_at(shape, now),
        next_handoff=upcoming[0] if upcoming else None,
        gaps=len(rendered.gaps),
    )


def days_of(rendered: domain.FinalSchedule, zone: ZoneInfo) -> list[Day]:
    """The final shifts and gaps cut at local midnights, one entry per local day."""
    pieces = sorted(
        [Slot(s.user, s.layer, s.start, s.end) for s in rendered.final]
        + [Slot(None, "", g.start, g.end) for g in rendered.gaps],
        key=lambda s: s.start,
    )
    first = domain.wall_of(rendered.start, zone).date()
    last = domain.wall_of(rendered.end - timedelta(microseconds=1), zone).date()
    days = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001 (wall time, resolved next)
        lo = max(domain.to_instant(midnight, zone), rendered.start)
        hi = min(domain.to_instant(midnight + timedelta(days=1), zone), rendered.end)
        slots = tuple(
            Slot(p.user, p.layer, max(p.start, lo), min(p.end, hi))
            for p in pieces
            if p.start < hi and p.end > lo
        )
        days.append(Day(day, slots))
        day += timedelta(days=1)
    return days


def _swap_view(session: Session, swap: ShiftSwap) -> SwapView:
    def handle(user_id: int) -> str:
        user = session.get(User, user_id)
        return user.handle if user is not None else "?"

    return SwapView(
        id=swap.id,
        requester=handle(swap.requester_id),
        taker=handle(swap.taker_id),
        start=swap.start_at,
        end=swap.end_at,
        note=swap.note,
        state=str(swap.state),
        decided_by=swap.decided_by,
    )


# --- pages ---------------------------------------------------------------------------


@router.get("")
def schedule_list(request: Request, ctx: PageCtx, who: SignedIn) -> Response:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        rows = [_summary(session, s, now) for s in repository.list_schedules(session)]
    return render(
        request,
        "schedules.html",
        who=who,
        version=version_of(*rows),
        refresh_url="/schedules",
        rows=rows,
    )


def schedule_page(
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
        schedule = repository.get_schedule(session, ref)
        zone = domain.zone_of(schedule.time_zone)
        summary = _summary(session, schedule, now)
        end = now + timedelta(days=DAYS_SHOWN)
        rendered = domain.render(_shape(session, schedule, now, end), now, end)
        days = days_of(rendered, zone)
        overrides = repository.overrides_between(session, schedule.id, now, actions.LATEST)
        swap_list = [
            _swap_view(session, s)
            for s in swaps.list_swaps(session, schedule)
            if s.end_at > now or s.state == SwapState.REQUESTED
        ]
        notes = [
            (n.created_at, get_handle(session, n.user_id), n.text)
            for n in recent_notes(session, schedule)[:10]
        ]
        handles = [u.handle for u in list_users(session)]
        owner = schedule.owner.handle if schedule.owner is not None else None
        info = {"id": schedule.id, "name": schedule.name, "time_zone": schedule.time_zone}
    oncall_now = {s.user for s in summary.now}
    return render(
        request,
        "schedule.html",
        who=who,
        status_code=status_code,
        version=version_of(summary, days, overrides, swap_list, notes),
        refresh_url=f"/schedules/{info['id']}",
        # Times on this page are the schedule's own wall clock.
        zone=zone,
        schedule=info,
        owner=owner,
        summary=summary,
        days=days,
        gaps=rendered.gaps,
        overrides=overrides,
        swaps=swap_list,
        notes=notes,
        handles=handles,
        on_call=who.handle in oncall_now,
        form=form or {},
        notice=notice,
        error=error,
    )


def get_handle(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.handle if user is not None else "?"


@router.get("/{ref}")
def schedule_detail(
    request: Request,
    ctx: PageCtx,
    who: SignedIn,
    ref: ScheduleRef,
    ok: Ok = "",
) -> Response:
    return schedule_page(request, ctx, who, ref, notice=NOTICES.get(ok))


# --- forms ---------------------------------------------------------------------------

_act = RowForms[Schedule]("/schedules", repository.get_schedule, schedule_page).act


def local_time(text: str, *, what: str) -> datetime:
    """A datetime-local field: wall time in the schedule's zone (no offset)."""
    if not text.strip():
        raise Invalid(f"choose the {what} date and time")
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise Invalid(f"'{text.strip()[:40]}' is not a date and time") from None


@router.post("/{ref}/overrides")
def add_override(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ScheduleRef,
    user: Short = "",
    start: Short = "",
    end: Short = "",
) -> Response:
    form = {"override_user": user, "override_start": start, "override_end": end}

    def change(session: Session, schedule: Schedule, now: datetime) -> None:
        actions.do_add_override(
            session,
            schedule=schedule,
            user=user.strip(),
            start=local_time(start, what="start"),
            end=local_time(end, what="end"),
            actor=who.handle,
            now=now,
        )

    return _act(request, ctx, who, ref, change, done="override", anchor="#overrides", form=form)


@router.post("/{ref}/overrides/{override_id}/delete")
def delete_override(
    request: Request, ctx: PageCtx, who: Writer, ref: ScheduleRef, override_id: ItemId
) -> Response:
    def change(session: Session, schedule: Schedule, now: datetime) -> None:
        actions.do_delete_override(session, schedule=schedule, override_id=override_id, now=now)

    return _act(request, ctx, who, ref, change, done="override-removed", anchor="#overrides")


@router.post("/{ref}/swaps")
def request_swap(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ScheduleRef,
    taker: Short = "",
    start: Short = "",
    end: Short = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"swap_taker": taker, "swap_start": start, "swap_end": end, "swap_note": note}

    def change(session: Session, schedule: Schedule, now: datetime) -> None:
        swaps.do_request_swap(
            session,
            schedule=schedule,
            requester=who.handle,
            taker=taker.strip(),
            start=local_time(start, what="start"),
            end=local_time(end, what="end"),
            note=note,
            now=now,
            base_url=ctx.settings.base_url,
        )

    return _act(request, ctx, who, ref, change, done="swap", anchor="#swaps", form=form)


@router.post("/{ref}/swaps/{swap_id}/{decision}")
def decide_swap(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ScheduleRef,
    swap_id: ItemId,
    decision: Annotated[str, Path(pattern="^(accept|decline|cancel)$")],
) -> Response:
    def change(session: Session, schedule: Schedule, now: datetime) -> None:
        swaps.do_decide_swap(
            session,
            schedule=schedule,
            swap_id=swap_id,
            decision=decision,
            actor=who.handle,
            admin=who.can_admin,
            now=now,
            base_url=ctx.settings.base_url,
        )

    return _act(request, ctx, who, ref, change, done=f"swap-{decision}", anchor="#swaps")


@router.post("/{ref}/notes")
def add_note(
    request: Request,
    ctx: PageCtx,
    who: Writer,
    ref: ScheduleRef,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def change(session: Session, schedule: Schedule, now: datetime) -> None:
        actions.do_add_handoff_note(
            session, schedule=schedule, user=get_user(session, who.handle), text=text, now=now
        )

    return _act(
        request, ctx, who, ref, change, done="note", anchor="#notes", form={"note_text": text}
    )
