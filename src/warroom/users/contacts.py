"""Queries on people's contact methods and notification rules: Session in, rows or
plain values out. Other contexts (paging, readiness) read how to reach people here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.domain import notification as rules
from warroom.domain.errors import DomainError
from warroom.errors import NotFound
from warroom.users.models import ContactMethod, NotificationRule, User


def contact_methods_of(session: Session, user_id: int) -> Sequence[ContactMethod]:
    return session.scalars(
        select(ContactMethod).where(ContactMethod.user_id == user_id).order_by(ContactMethod.id)
    ).all()


def rules_of(session: Session, user_id: int) -> Sequence[NotificationRule]:
    return session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == user_id)
        .order_by(NotificationRule.position, NotificationRule.id)
    ).all()


def get_contact_method(session: Session, user: User, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or method.user_id != user.id:
        raise NotFound(f"user '{user.handle}' has no contact method {method_id}")
    return method


def verified_user_ids(session: Session, user_ids: Collection[int]) -> set[int]:
    """Those of `user_ids` with at least one contact method that a test message reached."""
    if not user_ids:
        return set()
    return set(
        session.scalars(
            select(ContactMethod.user_id)
            .where(
                ContactMethod.user_id.in_(sorted(set(user_ids))),
                ContactMethod.verified_at.is_not(None),
            )
            .distinct()
        )
    )


def notification_plan(
    session: Session, user: User
) -> tuple[dict[int, ContactMethod], list[rules.NotificationRule]]:
    """`user`'s contact methods by id, and the rules that page them (for
    `rules.deliveries`): the stored rules, or, when they set none, every method at once."""
    methods = {m.id: m for m in contact_methods_of(session, user.id)}
    stored = [
        rules.NotificationRule(rule.contact_method_id, rule.delay_minutes)
        for rule in rules_of(session, user.id)
        if rule.contact_method_id in methods
    ]
    return methods, stored or [rules.NotificationRule(method_id, 0.0) for method_id in methods]


def first_methods(session: Session, user: User) -> list[ContactMethod]:
    """Where a notice (not a page) goes: the methods of the person's earliest rules (their
    first choice of how to be reached), or every method when they set no rules."""
    methods, wanted = notification_plan(session, user)
    if not wanted:
        return []
    soonest = min(rule.delay_minutes for rule in wanted)
    return [
        methods[i] for i in dict.fromkeys(r.method_id for r in wanted if r.delay_minutes == soonest)
    ]


def parse_wall_time(text: str) -> time:
    hours, sep, minutes = text.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"'{text}' is not a time of day as HH:MM")
    return time(int(hours), int(minutes))


def waking_hours_of(user: User) -> rules.WakingHours | None:
    """The user's waking hours in their zone, or None (any time is fine). Stored values
    were validated when set; anything unreadable counts as unset rather than blocking
    a page."""
    if not user.waking_hours_start or not user.waking_hours_end:
        return None
    try:
        return rules.WakingHours(
            parse_wall_time(user.waking_hours_start),
            parse_wall_time(user.waking_hours_end),
            user.time_zone or "UTC",
        )
    except (ValueError, DomainError):
        return None
