"""Shift swaps and handoff notes: responders ask each other to take a window (the taker or
an admin accepts, which places an override) and leave notes for the next shift."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain.schedule import zone_of
from warroom.oncall import actions, repository, swaps
from warroom.oncall.models import HandoffNote, Schedule, ShiftSwap, SwapState
from warroom.oncall.schemas import HandoffNoteIn, HandoffNoteOut, SwapIn, SwapOut
from warroom.schemas import ListOut
from warroom.users.models import User, UserRole
from warroom.users.repository import get_user
from warroom.web.auth import Ctx, Responder, Viewer

# Included by warroom.oncall.api, whose router carries the /api/v1 prefix.
router = APIRouter(tags=["oncall"])

ScheduleRef = Annotated[str, Path(min_length=1, max_length=100, description="id or name")]
SwapId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOTES_LISTED = 50


def _handle(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.handle if user is not None else "?"


def swap_out(session: Session, swap: ShiftSwap, schedule: Schedule) -> SwapOut:
    zone = zone_of(schedule.time_zone)
    return SwapOut(
        id=swap.id,
        schedule=schedule.name,
        requester=_handle(session, swap.requester_id),
        taker=_handle(session, swap.taker_id),
        start=swap.start_at.astimezone(zone),
        end=swap.end_at.astimezone(zone),
        note=swap.note,
        state=str(swap.state),
        created_at=swap.created_at,
        decided_at=swap.decided_at,
        decided_by=swap.decided_by,
        override_id=swap.override_id,
    )


@router.get("/schedules/{schedule}/swaps", response_model=ListOut[SwapOut])
def list_swaps(
    schedule: ScheduleRef, who: Viewer, ctx: Ctx, state: SwapState | None = Query(None)
) -> ListOut[SwapOut]:
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        items = [swap_out(session, s, found) for s in swaps.list_swaps(session, found, state=state)]
    return ListOut[SwapOut](items=items, total=len(items), next=None)


@router.post("/schedules/{schedule}/swaps", status_code=201, response_model=SwapOut)
def request_swap(schedule: ScheduleRef, body: SwapIn, who: Responder, ctx: Ctx) -> SwapOut:
    """Ask `taker` to take [start, end) of your on-call time; they are notified."""
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        swap = swaps.do_request_swap(
            session,
            schedule=found,
            requester=who.handle,
            taker=body.taker,
            start=body.start,
            end=body.end,
            note=body.note,
            now=ctx.clock.now(),
            base_url=ctx.settings.base_url,
        )
        return swap_out(session, swap, found)


def _decide(schedule: str, swap_id: int, decision: str, who: Responder, ctx: Ctx) -> SwapOut:
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        swap = swaps.do_decide_swap(
            session,
            schedule=found,
            swap_id=swap_id,
            decision=decision,
            actor=who.handle,
            admin=who.role.allows(UserRole.ADMIN),
            now=ctx.clock.now(),
            base_url=ctx.settings.base_url,
        )
        return swap_out(session, swap, found)


@router.post("/schedules/{schedule}/swaps/{swap_id}/accept", response_model=SwapOut)
def accept_swap(schedule: ScheduleRef, swap_id: SwapId, who: Responder, ctx: Ctx) -> SwapOut:
    """The taker (or an admin) accepts: the window becomes an override for the taker."""
    return _decide(schedule, swap_id, "accept", who, ctx)


@router.post("/schedules/{schedule}/swaps/{swap_id}/decline", response_model=SwapOut)
def decline_swap(schedule: ScheduleRef, swap_id: SwapId, who: Responder, ctx: Ctx) -> SwapOut:
    return _decide(schedule, swap_id, "decline", who, ctx)


@router.post("/schedules/{schedule}/swaps/{swap_id}/cancel", response_model=SwapOut)
def cancel_swap(schedule: ScheduleRef, swap_id: SwapId, who: Responder, ctx: Ctx) -> SwapOut:
    """The requester (or an admin) withdraws a request nobody has answered yet."""
    return _decide(schedule, swap_id, "cancel", who, ctx)


def note_out(session: Session, note: HandoffNote, schedule: Schedule) -> HandoffNoteOut:
    return HandoffNoteOut(
        id=note.id,
        schedule=schedule.name,
        user=_handle(session, note.user_id),
        text=note.text,
        created_at=note.created_at,
    )


def recent_notes(session: Session, schedule: Schedule) -> list[HandoffNote]:
    return list(
        session.scalars(
            select(HandoffNote)
            .where(HandoffNote.schedule_id == schedule.id)
            .order_by(HandoffNote.created_at.desc(), HandoffNote.id.desc())
            .limit(NOTES_LISTED)
        )
    )


@router.get("/schedules/{schedule}/handoff-notes", response_model=ListOut[HandoffNoteOut])
def list_handoff_notes(schedule: ScheduleRef, who: Viewer, ctx: Ctx) -> ListOut[HandoffNoteOut]:
    """The latest notes, newest first."""
    with ctx.db.read() as session:
        found = repository.get_schedule(session, schedule)
        items = [note_out(session, n, found) for n in recent_notes(session, found)]
    return ListOut[HandoffNoteOut](items=items, total=len(items), next=None)


@router.post("/schedules/{schedule}/handoff-notes", status_code=201, response_model=HandoffNoteOut)
def add_handoff_note(
    schedule: ScheduleRef, body: HandoffNoteIn, who: Responder, ctx: Ctx
) -> HandoffNoteOut:
    """A note for the next person on call: the notes you write during your shift go out
    with the handoff checklist when it ends."""
    with ctx.db.write() as session:
        found = repository.get_schedule(session, schedule)
        note = actions.do_add_handoff_note(
            session,
            schedule=found,
            user=get_user(session, who.handle),
            text=body.text,
            now=ctx.clock.now(),
        )
        return note_out(session, note, found)
