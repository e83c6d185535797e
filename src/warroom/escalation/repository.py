from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.pagination import Page, paginate
from warroom.domain import escalation as domain
from warroom.errors import NotFound
from warroom.escalation.models import EscalationPolicy
from warroom.services.models import Service
from warroom.services.repository import as_service_id


def find_policy(session: Session, ref: str | int) -> EscalationPolicy | None:
    """A policy by name or by id, as paths and bodies name it."""
    if "\x00" in str(ref):  # no name holds it, and PostgreSQL refuses it in a query
        return None
    by_name = session.scalar(select(EscalationPolicy).where(EscalationPolicy.name == str(ref)))
    if by_name is not None:
        return by_name
    policy_id = as_service_id(ref)
    return session.get(EscalationPolicy, policy_id) if policy_id is not None else None


def get_policy(session: Session, ref: str | int) -> EscalationPolicy:
    policy = find_policy(session, ref)
    if policy is None:
        raise NotFound(f"no escalation policy with id or name '{ref}'")
    return policy


def page_policies(session: Session, *, limit: int, cursor: str | None) -> Page[EscalationPolicy]:
    return paginate(
        session,
        select(EscalationPolicy),
        keys=[EscalationPolicy.name],
        limit=limit,
        cursor=cursor,
    )


def services_using(session: Session, policy_id: int) -> Sequence[str]:
    return session.scalars(
        select(Service.name).where(Service.escalation_policy_id == policy_id).order_by(Service.name)
    ).all()


def to_domain(policy: EscalationPolicy) -> domain.Policy:
    return domain.Policy(
        name=policy.name,
        repeat=policy.repeat,
        levels=tuple(
            domain.Level(
                delay_minutes=level["delay_minutes"],
                targets=tuple(domain.parse_target(t) for t in level["targets"]),
            )
            for level in policy.levels
        ),
    )
