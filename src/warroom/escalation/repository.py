from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.lookup import find_by_ref, get_by_ref
from warroom.db.pagination import Page, paginate
from warroom.domain import escalation as domain
from warroom.escalation.models import EscalationPolicy
from warroom.services.models import Service


def find_policy(session: Session, ref: str | int) -> EscalationPolicy | None:
    return find_by_ref(session, EscalationPolicy, EscalationPolicy.name, ref)


def get_policy(session: Session, ref: str | int) -> EscalationPolicy:
    return get_by_ref(session, EscalationPolicy, EscalationPolicy.name, ref, "escalation policy")


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
