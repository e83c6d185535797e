from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.lookup import ensure_name_free
from warroom.errors import Conflict, Invalid
from warroom.escalation import repository
from warroom.escalation.models import EscalationPolicy
from warroom.oncall.models import Schedule
from warroom.users.models import User


def _ensure_name_free(session: Session, name: str, *, but: EscalationPolicy | None = None) -> None:
    ensure_name_free(
        session, EscalationPolicy, EscalationPolicy.name, name, what="an escalation policy", but=but
    )


def _check_targets(session: Session, levels: Sequence[dict[str, Any]]) -> None:
    """Every target names a user (by handle) or a schedule (by name) that exists, so a
    typo is refused now rather than paging nobody at 3 a.m."""
    targets = [t for level in levels for t in level["targets"]]
    handles = sorted({t["user"] for t in targets if "user" in t})
    schedules = sorted({t["schedule"] for t in targets if "schedule" in t})
    problems = []
    if handles:
        known = set(session.scalars(select(User.handle).where(User.handle.in_(handles))))
        unknown = [h for h in handles if h not in known]
        if unknown:
            problems.append(f"no such user: {', '.join(unknown)}")
    if schedules:
        known = set(session.scalars(select(Schedule.name).where(Schedule.name.in_(schedules))))
        unknown = [s for s in schedules if s not in known]
        if unknown:
            problems.append(f"no such schedule: {', '.join(unknown)}")
    if problems:
        raise Invalid("; ".join(problems))


def do_create_policy(
    session: Session,
    *,
    name: str,
    repeat: int,
    levels: Sequence[dict[str, Any]],
    now: datetime,
    description: str = "",
) -> EscalationPolicy:
    """`levels` as `PolicyIn.stored_levels()` gives them: already shaped and timed."""
    _ensure_name_free(session, name)
    _check_targets(session, levels)
    policy = EscalationPolicy(
        name=name,
        description=description,
        repeat=repeat,
        levels=list(levels),
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    return policy


def do_replace_policy(
    session: Session,
    *,
    ref: str | int,
    name: str,
    repeat: int,
    levels: Sequence[dict[str, Any]],
    now: datetime,
    description: str = "",
) -> EscalationPolicy:
    """PUT: the policy becomes exactly the body; services using it stay attached."""
    policy = repository.get_policy(session, ref)
    if name != policy.name:
        _ensure_name_free(session, name, but=policy)
    _check_targets(session, levels)
    policy.name = name
    policy.description = description
    policy.repeat = repeat
    policy.levels = list(levels)
    policy.updated_at = now
    session.flush()
    return policy


def do_delete_policy(session: Session, *, ref: str | int) -> EscalationPolicy:
    policy = repository.get_policy(session, ref)
    # Checked here rather than left to the foreign key: the answer names the services,
    # and SQLite enforces the key only with foreign keys on.
    using = repository.services_using(session, policy.id)
    if using:
        raise Conflict(
            f"escalation policy '{policy.name}' is used by {', '.join(using)}; "
            "point those services at another policy first"
        )
    session.delete(policy)
    session.flush()
    return policy
