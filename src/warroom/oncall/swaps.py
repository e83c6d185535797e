"""Shift swaps: someone on call asks another person to take a window of their time; the
taker (or an admin) accepts, and the window becomes an override in the same transaction.

States: requested → accepted | declined | cancelled, each move made once (a conditional
UPDATE decides it, so two accepts racing on two servers make one override).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.domain import schedule as domain
from warroom.domain.handoff import local
from warroom.errors import Conflict, Forbidden, Invalid, NotFound
from warroom.oncall import repository
from warroom.oncall.actions import do_add_override, instant
from warroom.oncall.models import Schedule, ShiftSwap, SwapState
from warroom.paging.notices import notify_user
from warroom.users.models import User
from warroom.users.repository import find_user, get_user

SWAP = "swap"
LONGEST_SWAP = timedelta(days=31)
MAX_NOTE_CHARS = 2000

# Which state each decision moves a requested swap to, and who may make it.
_DECISIONS: Mapping[str, SwapState] = {
    "accept": SwapState.ACCEPTED,
    "decline": SwapState.DECLINED,
    "cancel": SwapState.CANCELLED,
}


def _url(base_url: str, schedule: Schedule) -> str:
    return f"{base_url.rstrip('/')}/schedules/{schedule.id}#swaps"


def _window(schedule: Schedule, swap: ShiftSwap) -> str:
    return f"{local(swap.start_at, schedule.time_zone)} → {local(swap.end_at, schedule.time_zone)}"


def do_request_swap(
    session: Session,
    *,
    schedule: Schedule,
    requester: str,
    taker: str,
    start: datetime,
    end: datetime,
    note: str,
    now: datetime,
    base_url: str,
) -> ShiftSwap:
    asker = get_user(session, requester)
    other = find_user(session, taker)
    if other is None:
        raise Invalid(f"no such user: {taker}")
    if other.id == asker.id:
        raise Invalid("the taker must be someone else")
    starts = instant(start, schedule.time_zone, what="start")
    ends = instant(end, schedule.time_zone, what="end")
    if ends <= starts:
        raise Invalid("a swap must end after it starts")
    if ends <= now:
        raise Invalid("this window is already over; choose one that has not ended")
    if ends - starts > LONGEST_SWAP:
        raise Invalid("a swap covers at most 31 days; ask for several")
    if len(note.strip()) > MAX_NOTE_CHARS:
        raise Invalid(f"the note is at most {MAX_NOTE_CHARS} characters")
    shape = repository.to_domain(
        schedule, repository.overrides_between(session, schedule.id, starts, ends)
    )
    if not any(s.user == asker.handle for s in domain.render(shape, starts, ends).final):
        raise Conflict(
            f"@{asker.handle} is not on call on '{schedule.name}' at any time between "
            f"{local(starts, schedule.time_zone)} and {local(ends, schedule.time_zone)}: "
            "only someone on call in the window can ask to hand it over"
        )
    swap = ShiftSwap(
        schedule_id=schedule.id,
        requester_id=asker.id,
        taker_id=other.id,
        start_at=starts,
        end_at=ends,
        note=note.strip(),
        state=SwapState.REQUESTED,
        created_at=now,
    )
    session.add(swap)
    session.flush()
    body = (
        f"@{asker.handle} asks you to take their on-call time on {schedule.name}: "
        f"{_window(schedule, swap)}."
        + (f"\n\nNote: {swap.note}" if swap.note else "")
        + "\n\nAccept or decline on the schedule page: "
        + _url(base_url, schedule)
    )
    notify_user(
        session,
        user=other,
        kind=SWAP,
        title=f"Can you take @{asker.handle}'s on-call shift on {schedule.name}?",
        body=body,
        now=now,
        url=_url(base_url, schedule),
    )
    return swap


def get_swap(session: Session, schedule: Schedule, swap_id: int) -> ShiftSwap:
    swap = session.get(ShiftSwap, swap_id)
    if swap is None or swap.schedule_id != schedule.id:
        raise NotFound(f"schedule '{schedule.name}' has no swap {swap_id}")
    return swap


def list_swaps(
    session: Session, schedule: Schedule, *, state: SwapState | None = None
) -> Sequence[ShiftSwap]:
    query = select(ShiftSwap).where(ShiftSwap.schedule_id == schedule.id)
    if state is not None:
        query = query.where(ShiftSwap.state == state)
    return session.scalars(query.order_by(ShiftSwap.start_at, ShiftSwap.id)).all()


def do_decide_swap(
    session: Session,
    *,
    schedule: Schedule,
    swap_id: int,
    decision: str,
    actor: str,
    admin: bool,
    now: datetime,
    base_url: str,
) -> ShiftSwap:
    """accept (the taker or an admin: places the override), decline (the taker or an
    admin) or cancel (the requester or an admin)."""
    target = _DECISIONS.get(decision)
    if target is None:
        raise Invalid(f"'{decision}' is not one of: {', '.join(_DECISIONS)}")
    swap = get_swap(session, schedule, swap_id)
    requester = session.get(User, swap.requester_id)
    taker = session.get(User, swap.taker_id)
    assert requester is not None
    assert taker is not None
    allowed = requester if target is SwapState.CANCELLED else taker
    if actor != allowed.handle and not admin:
        who = "the requester" if target is SwapState.CANCELLED else "the person asked"
        raise Forbidden(f"only {who} (@{allowed.handle}) or an admin may {decision} this swap")
    if swap.state != SwapState.REQUESTED:
        raise Conflict(f"this swap was already {swap.state}", allowed=[])
    if target is SwapState.ACCEPTED and swap.end_at <= now:
        raise Conflict("this swap's window is already over; ask again for a later one")
    moved = session.execute(
        update(ShiftSwap)
        .where(ShiftSwap.id == swap.id, ShiftSwap.state == SwapState.REQUESTED)
        .values(state=target, decided_at=now, decided_by=actor)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise Conflict("this swap was decided meanwhile; reload to see how")
    session.refresh(swap)
    if target is SwapState.ACCEPTED:
        override = do_add_override(
            session,
            schedule=schedule,
            user=taker.handle,
            start=swap.start_at,
            end=swap.end_at,
            actor=actor,
            now=now,
        )
        swap.override_id = override.id
        session.flush()
    told, other = (taker, requester) if target is SwapState.CANCELLED else (requester, taker)
    notify_user(
        session,
        user=told,
        kind=SWAP,
        title=f"Swap {target}: @{other.handle}, {schedule.name}",
        body=(
            f"The swap of {_window(schedule, swap)} on {schedule.name} was {target} "
            f"by @{actor}."
            + (
                f" @{taker.handle} is on call for that window now."
                if target is SwapState.ACCEPTED
                else ""
            )
            + f"\n\n{_url(base_url, schedule)}"
        ),
        now=now,
        url=_url(base_url, schedule),
    )
    return swap
