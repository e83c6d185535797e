"""Writes to how a person is reached: contact methods, notification rules, waking hours,
verification, and each method's delivery results. One transaction each (the caller's)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from warroom.domain import notification as rules
from warroom.domain.errors import DomainError
from warroom.errors import Invalid
from warroom.users.contacts import contact_methods_of, get_contact_method, parse_wall_time
from warroom.users.models import (
    DEFAULT_THROTTLE_PER_MINUTE,
    ContactMethod,
    NotificationRule,
    User,
)
from warroom.users.verify_links import url_digest

MAX_METHODS = 20
MAX_RULES = 50
MAX_THROTTLE_PER_MINUTE = 120
MAX_ERROR_CHARS = 2000


def _checked_url(url: str) -> str:
    url = url.strip()
    try:
        rules.url_scheme(url)
    except DomainError as exc:
        raise Invalid(f"url: {exc}") from exc
    return url


def _checked_throttle(per_minute: int) -> int:
    # The API caps it at MAX_THROTTLE_PER_MINUTE; load tests and scripts may go higher.
    if per_minute < 1:
        raise Invalid(f"throttle_per_minute must be at least 1 (got {per_minute})")
    return per_minute


def do_add_contact_method(
    session: Session,
    *,
    user: User,
    url: str,
    now: datetime,
    label: str = "",
    throttle_per_minute: int = DEFAULT_THROTTLE_PER_MINUTE,
    delay_minutes: float | None = 0.0,
) -> ContactMethod:
    """A new method; with `delay_minutes` (not None) also a rule paging through it then."""
    url = _checked_url(url)
    existing = contact_methods_of(session, user.id)
    if len(existing) >= MAX_METHODS:
        raise Invalid(f"a person can have at most {MAX_METHODS} contact methods")
    if any(m.url == url for m in existing):
        raise Invalid("this person already has a contact method with that URL")
    method = ContactMethod(
        user_id=user.id,
        url=url,
        label=label,
        created_at=now,
        throttle_per_minute=_checked_throttle(throttle_per_minute),
    )
    session.add(method)
    session.flush()
    if delay_minutes is not None:
        rule = _checked_rule(method.id, delay_minutes)
        positions = [r.position for r in user.notification_rules]
        session.add(
            NotificationRule(
                user_id=user.id,
                contact_method_id=method.id,
                delay_minutes=float(rule.delay_minutes),
                position=max(positions, default=-1) + 1,
            )
        )
        session.flush()
        session.expire(user, ["notification_rules", "contact_methods"])
    return method


def do_update_contact_method(
    session: Session,
    *,
    user: User,
    method_id: int,
    url: str | None = None,
    label: str | None = None,
    throttle_per_minute: int | None = None,
) -> ContactMethod:
    method = get_contact_method(session, user, method_id)
    if url is not None:
        url = _checked_url(url)
        if url != method.url:
            if any(m.url == url for m in contact_methods_of(session, user.id)):
                raise Invalid("this person already has a contact method with that URL")
            # A test message to the old address says nothing about the new one.
            method.url = url
            method.verified_at = None
            method.last_error = None
            method.last_failed_at = None
    if label is not None:
        method.label = label
    if throttle_per_minute is not None:
        method.throttle_per_minute = _checked_throttle(throttle_per_minute)
    session.flush()
    return method


def do_delete_contact_method(session: Session, *, user: User, method_id: int) -> None:
    method = get_contact_method(session, user, method_id)
    session.execute(
        delete(NotificationRule)
        .where(NotificationRule.contact_method_id == method.id)
        .execution_options(synchronize_session=False)
    )
    session.delete(method)
    session.flush()
    session.expire(user, ["notification_rules", "contact_methods"])


def _checked_rule(method_id: int, delay_minutes: float) -> rules.NotificationRule:
    try:
        return rules.NotificationRule(method_id, delay_minutes)
    except DomainError as exc:
        raise Invalid(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class RuleIn:
    contact_method: int
    delay_minutes: float


def do_set_notification_rules(
    session: Session, *, user: User, wanted: Sequence[RuleIn]
) -> list[NotificationRule]:
    """Replace the user's rules with `wanted`, in order. Each names one of the user's own
    methods; the same method at the same delay twice is one rule."""
    if len(wanted) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} notification rules")
    methods = {m.id for m in contact_methods_of(session, user.id)}
    checked: list[rules.NotificationRule] = []
    for index, rule in enumerate(wanted):
        if rule.contact_method not in methods:
            known = ", ".join(str(i) for i in sorted(methods)) or "none yet"
            raise Invalid(
                f"rules.{index}.contact_method: user '{user.handle}' has no contact method "
                f"{rule.contact_method} (theirs: {known})"
            )
        try:
            checked.append(rules.NotificationRule(rule.contact_method, rule.delay_minutes))
        except DomainError as exc:
            raise Invalid(f"rules.{index}.delay_minutes: {exc}") from exc
    session.execute(
        delete(NotificationRule)
        .where(NotificationRule.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    seen: set[tuple[int, float]] = set()
    stored: list[NotificationRule] = []
    for domain_rule in checked:
        key = (domain_rule.method_id, float(domain_rule.delay_minutes))
        if key in seen:
            continue
        seen.add(key)
        row = NotificationRule(
            user_id=user.id,
            contact_method_id=domain_rule.method_id,
            delay_minutes=float(domain_rule.delay_minutes),
            position=len(stored),
        )
        session.add(row)
        stored.append(row)
    session.flush()
    session.expire(user, ["notification_rules"])
    return stored


def do_update_user(
    session: Session,
    *,
    user: User,
    name: str | None = None,
    time_zone: str | None = None,
    waking_hours: tuple[str, str] | Literal["keep"] | None = "keep",
) -> User:
    """Name, time zone, and waking hours ((start, end) as "HH:MM", or None for any time)."""
    if name is not None:
        user.name = name
    zone = time_zone if time_zone is not None else user.time_zone
    try:
        rules.zone_of(zone)
    except DomainError as exc:
        raise Invalid(f"time_zone: {exc}") from exc
    user.time_zone = zone
    if waking_hours is None:
        user.waking_hours_start = user.waking_hours_end = None
    elif waking_hours != "keep":
        start, end = waking_hours
        try:
            rules.WakingHours(parse_wall_time(start), parse_wall_time(end), zone)
        except (ValueError, DomainError) as exc:
            raise Invalid(f"waking_hours: {exc}") from exc
        user.waking_hours_start, user.waking_hours_end = start, end
    session.flush()
    return user


def do_verify_contact_method(
    session: Session, *, method_id: int, digest: str, now: datetime
) -> ContactMethod | None:
    """Mark the method verified if it still has the URL the test message went to; None
    when it is gone or its URL changed since (the link then proves nothing)."""
    method = session.get(ContactMethod, method_id)
    if method is None or not hmac.compare_digest(url_digest(method.url), digest):
        return None
    if method.verified_at is None:
        method.verified_at = now
    return method
