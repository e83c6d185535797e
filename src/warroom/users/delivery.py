"""Per-contact delivery bookkeeping for the engine: the throttle (a slot per message in
`deliveries`, taken before sending and given back if the send fails) and each method's
last permanent failure."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from warroom.domain import notification as rules
from warroom.users.models import ContactMethod, Delivery

MAX_ERROR_CHARS = 2000
# Throttling looks one minute back; older log rows are only kept a while for support.
KEEP_LOG = timedelta(days=1)


def take_slot(
    session: Session, *, method_id: int, kind: str, now: datetime
) -> int | datetime | None:
    """Reserve one message through the method at `now`: the slot's id; or the time to try
    again when the method already had its `throttle_per_minute` messages this minute; or
    None when the method no longer exists. The method's row is locked for the count, so
    engines sending at once cannot both take the last slot."""
    throttle_per_minute = session.scalar(
        select(ContactMethod.throttle_per_minute)
        .where(ContactMethod.id == method_id)
        .with_for_update()
    )
    if throttle_per_minute is None:
        return None
    recent = session.scalars(
        select(Delivery.sent_at).where(
            Delivery.contact_method_id == method_id,
            Delivery.sent_at > now - rules.THROTTLE_WINDOW,
        )
    ).all()
    allowed = rules.throttle(list(recent), now, max(1, throttle_per_minute))
    if allowed > now:
        return allowed
    session.execute(
        delete(Delivery)
        .where(Delivery.contact_method_id == method_id, Delivery.sent_at < now - KEEP_LOG)
        .execution_options(synchronize_session=False)
    )
    # One INSERT … RETURNING, without a unit-of-work flush.
    slot_id: int = session.execute(
        insert(Delivery)
        .values(contact_method_id=method_id, kind=kind, sent_at=now)
        .returning(Delivery.id)
    ).scalar_one()
    return slot_id


def give_back_slot(session: Session, slot_id: int | None) -> None:
    """The message did not go out: it does not count against the throttle."""
    if slot_id is not None:
        session.execute(
            delete(Delivery)
            .where(Delivery.id == slot_id)
            .execution_options(synchronize_session=False)
        )


def note_failure(session: Session, *, method_id: int | None, error: str, now: datetime) -> None:
    method = session.get(ContactMethod, method_id) if method_id is not None else None
    if method is not None:
        method.last_error = error[:MAX_ERROR_CHARS]
        method.last_failed_at = now


def note_success(session: Session, *, method_id: int | None) -> None:
    """The method works again: its last failure is cleared (one UPDATE, no read)."""
    if method_id is not None:
        session.execute(
            update(ContactMethod)
            .where(ContactMethod.id == method_id, ContactMethod.last_error.is_not(None))
            .values(last_error=None)
        )
