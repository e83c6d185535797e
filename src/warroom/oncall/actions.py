import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from warroom.db.lookup import ensure_name_free
from warroom.domain import schedule as domain
from warroom.errors import Invalid, NotFound
from warroom.oncall import repository
from warroom.oncall.handoffs import replan_handoffs
from warroom.oncall.models import (
    CalendarFeedToken,
    HandoffNote,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftNotice,
    ShiftSwap,
)
from warroom.users.models import User
from warroom.users.repository import get_user
from warroom.users.security import hash_token

FEED_PREFIX = "wrf_"
# Instants outside these years are refused: nobody schedules them, and arithmetic a
# year either side of them must not overflow datetime.
EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 1, 1, tzinfo=UTC)


def instant(value: datetime, time_zone: str, *, what: str) -> datetime:
    """An aware UTC instant from API input: without an offset, local to the schedule."""
    if (
        not EARLIEST.replace(tzinfo=None)
        <= value.replace(tzinfo=None)
        <= LATEST.replace(tzinfo=None)
    ):
        raise Invalid(f"{what} must be between 1971 and 2999")
    try:
        return domain.localize(value, domain.zone_of(time_zone))
    except OverflowError:
        raise Invalid(f"{what} must be between 1971 and 2999") from None


def _ensure_name_free(session: Session, name: str, *, but: Schedule | None = None) -> None:
    ensure_name_free(session, Schedule, Schedule.name, name, what="a schedule", but=but)


def _check_users(session: Session, handles: Sequence[str]) -> None:
    wanted = sorted(set(handles))
    if not wanted:
        return
    known = set(session.scalars(select(User.handle).where(User.handle.in_(wanted))))
    unknown = [h for h in wanted if h not in known]
    if unknown:
        raise Invalid(f"no such user: {', '.join(unknown)}")


def _layers(
    session: Session, layers: Sequence[dict[str, Any]], time_zone: str
) -> list[ScheduleLayer]:
    _check_users(session, [h for layer in layers for h in layer["users"]])
    rows = []
    for position, layer in enumerate(layers):
        name = layer["name"]
        start = instant(layer["rotation_start"], time_zone, what=f"layer '{name}' rotation_start")
        end = layer.get("end")
        end_at = instant(end, time_zone, what=f"layer '{name}' end") if end else None
        if end_at is not None and end_at <= start:
            raise Invalid(f"layer '{name}' must end after its rotation starts")
        rows.append(
            ScheduleLayer(
                position=position,
                name=name,
                users=list(layer["users"]),
                rotation_start=start,
                turn_length_hours=float(layer["turn_length_hours"]),
                restrictions=list(layer.get("restrictions") or []),
                end_at=end_at,
            )
        )
    return rows


def _owner(session: Session, owner: str | None) -> User | None:
    return get_user(session, owner) if owner else None


def do_create_schedule(
    session: Session,
    *,
    name: str,
    time_zone: str,
    layers: Sequence[dict[str, Any]],
    now: datetime,
    description: str = "",
    owner: str | None = None,
) -> Schedule:
    _ensure_name_free(session, name)
    schedule = Schedule(
        name=name,
        time_zone=time_zone,
        description=description,
        created_at=now,
        updated_at=now,
        owner=_owner(session, owner),
    )
    schedule.layers = _layers(session, layers, time_zone)
    session.add(schedule)
    session.flush()
    replan_handoffs(session, schedule=schedule, now=now)
    return schedule


def do_replace_schedule(
    session: Session,
    *,
    ref: str | int,
    name: str,
    time_zone: str,
    layers: Sequence[dict[str, Any]],
    now: datetime,
    description: str = "",
    owner: str | None = None,
) -> Schedule:
    """PUT: the schedule becomes exactly the body; its overrides and feed tokens stay."""
    schedule = repository.get_schedule(session, ref)
    if name != schedule.name:
        _ensure_name_free(session, name, but=schedule)
    new_layers = _layers(session, layers, time_zone)
    schedule.name = name
    schedule.time_zone = time_zone
    schedule.description = description
    schedule.owner = _owner(session, owner)
    schedule.layers.clear()
    session.flush()  # the old layer rows go before the new ones come
    schedule.layers.extend(new_layers)
    schedule.updated_at = now
    session.flush()
    replan_handoffs(session, schedule=schedule, now=now)
    return schedule


_UNSET: Any = object()


def do_update_schedule(
    session: Session,
    *,
    ref: str | int,
    now: datetime,
    owner: str | None = _UNSET,
    description: str = _UNSET,
) -> Schedule:
    """PATCH: only the fields given change (`owner: null` clears the owner)."""
    schedule = repository.get_schedule(session, ref)
    if owner is not _UNSET:
        schedule.owner = _owner(session, owner)
    if description is not _UNSET:
        schedule.description = description or ""
    schedule.updated_at = now
    session.flush()
    return schedule


def do_delete_schedule(session: Session, *, ref: str | int) -> Schedule:
    schedule = repository.get_schedule(session, ref)
    # Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only with
    # foreign keys on.
    for table in (ShiftSwap, ShiftNotice, ScheduleOverride, CalendarFeedToken, HandoffNote):
        session.execute(delete(table).where(table.schedule_id == schedule.id))
    session.delete(schedule)
    session.flush()
    return schedule


def do_add_override(
    session: Session,
    *,
    schedule: Schedule,
    user: str,
    start: datetime,
    end: datetime,
    actor: str,
    now: datetime,
) -> ScheduleOverride:
    get_user(session, user)
    starts = instant(start, schedule.time_zone, what="start")
    ends = instant(end, schedule.time_zone, what="end")
    if ends <= starts:
        raise Invalid("an override must end after it starts")
    override = ScheduleOverride(
        schedule_id=schedule.id,
        user=user,
        start_at=starts,
        end_at=ends,
        created_by=actor,
        created_at=now,
    )
    session.add(override)
    session.flush()
    replan_handoffs(session, schedule=schedule, now=now)
    return override


def do_delete_override(
    session: Session, *, schedule: Schedule, override_id: int, now: datetime
) -> ScheduleOverride:
    override = session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFound(f"schedule '{schedule.name}' has no override {override_id}")
    session.delete(override)
    session.flush()
    replan_handoffs(session, schedule=schedule, now=now)
    return override


MAX_NOTE_CHARS = 5000


def do_add_handoff_note(
    session: Session, *, schedule: Schedule, user: User, text: str, now: datetime
) -> HandoffNote:
    """A note for whoever is on call next, handed over with the checklist at the change."""
    body = text.strip()
    if not body:
        raise Invalid("a handoff note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise Invalid(f"a handoff note is at most {MAX_NOTE_CHARS} characters")
    note = HandoffNote(schedule_id=schedule.id, user_id=user.id, text=body, created_at=now)
    session.add(note)
    session.flush()
    return note


@dataclass(frozen=True, slots=True)
class IssuedFeedToken:
    row: CalendarFeedToken
    secret: str


def do_issue_feed_token(
    session: Session,
    *,
    schedule: Schedule | None = None,
    user: User | None = None,
    actor: str,
    now: datetime,
) -> IssuedFeedToken:
    """A new token for one feed; the feed's previous token stops working."""
    if (schedule is None) == (user is None):
        raise Invalid("a feed token is for one schedule or one user")
    if schedule is not None:
        session.execute(
            delete(CalendarFeedToken).where(CalendarFeedToken.schedule_id == schedule.id)
        )
    if user is not None:
        session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    secret = FEED_PREFIX + secrets.token_urlsafe(32)
    row = CalendarFeedToken(
        schedule_id=schedule.id if schedule is not None else None,
        user_id=user.id if user is not None else None,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return IssuedFeedToken(row, secret)
