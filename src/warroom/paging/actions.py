"""A responder's hand on the escalation: jump to a named level of the policy, or page one
more person (or whoever a schedule has on call) now. Each is one transaction that writes
the timeline event and the rows the engine acts on; the engine does the paging."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.domain import escalation as plan_rules
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EventType
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents.actions import record
from warroom.incidents.models import Incident
from warroom.incidents.repository import get_incident
from warroom.oncall.repository import find_schedule
from warroom.paging.handlers import _add_pages, _resolve
from warroom.paging.hooks import MANUAL_LOOP, start_run
from warroom.paging.models import Page
from warroom.users.models import User
from warroom.users.repository import get_user


def _load_live(session: Session, incident_id: int, doing: str) -> Incident:
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(
            f"incident {incident_id} is {incident.status}: nobody is paged for it any more, "
            f"so it cannot {doing}",
            allowed=[],
        )
    return incident


def do_escalate_to_level(
    session: Session, *, incident_id: int, level: int, actor: str, now: datetime
) -> Incident:
    """Page level `level` (1-based) of the incident's policy now, even one already paged or
    after the policy ran out (asked for the director, you get the director), and go on
    from there on a plan re-based at `now`: level+1 a delay of `level` later, and so on,
    then `repeat` more passes through the policy. The pending step of the old plan is
    cancelled; pages already on their way still go out. Refused once someone holds the
    incident (paging more people through the policy would override their
    acknowledgement: page someone by hand instead), once it is resolved or closed, and
    for a service without a policy."""
    incident = _load_live(session, incident_id, "be escalated")
    if incident.acknowledged_now or incident.status is not Status.TRIGGERED:
        raise Conflict(
            f"incident {incident_id} is {incident.status}: escalation stops once someone "
            "acknowledges it; to pull someone in, page them "
            f"(POST /api/v1/incidents/{incident_id}/page)",
            allowed=[],
        )
    stored = incident.service.policy
    if stored is None:
        raise Conflict(
            f"service '{incident.service.name}' has no escalation policy: there is no level "
            "to escalate to",
            allowed=[],
        )
    count = len(stored.levels)
    if not 1 <= level <= count:
        raise Invalid(
            f"policy '{stored.name}' has levels 1 to {count}; there is no level {level}",
            allowed=[str(n) for n in range(1, count + 1)],
        )
    run = start_run(session, incident_id=incident.id, level=level - 1, now=now, keep_pages=True)
    record(
        session,
        incident,
        EventType.ESCALATED,
        actor=actor,
        at=now,
        manual=True,
        level=level,
        loop=run.loop,
        jumped=True,
    )
    incident.updated_at = now
    session.flush()
    return incident


@dataclass(frozen=True, slots=True)
class PageRequest:
    incident: Incident
    target: plan_rules.Target
    users: list[str]  # handles, in the order they are paged
    number: int  # 1-based: the how-manieth page asked for by hand on this incident


def do_page_someone(
    session: Session,
    *,
    incident_id: int,
    target: plan_rules.Target,
    actor: str,
    now: datetime,
) -> PageRequest:
    """Page one person, or whoever `target`'s schedule has on call at `now`, at once,
    through the same page rows and deliveries as the policy. Allowed after an
    acknowledgement too (pulling in an expert then is common); such a page still goes out
    if someone acknowledges before it is delivered, and stops once the incident is
    resolved or closed. Nobody on call: refused, nothing written."""
    incident = _load_live(session, incident_id, "page anyone")
    if target.kind is plan_rules.TargetKind.USER:
        users: list[User] = [get_user(session, target.name)]
    else:
        if find_schedule(session, target.name) is None:
            raise NotFound(f"no schedule named '{target.name}'")
        users, _ = _resolve(session, (target,), now)
        if not users:
            raise Conflict(
                f"nobody is on call for schedule '{target.name}' right now: page a person "
                "by handle instead",
                allowed=[],
            )
    # Loop 0 with a sequence number as the level: a key no policy step uses, so the
    # pages' unique key still makes each request's pages once-only. The incident's row
    # lock serialises two requests.
    highest = session.scalar(
        select(func.max(Page.level)).where(
            Page.incident_id == incident.id, Page.loop == MANUAL_LOOP
        )
    )
    sequence = 0 if highest is None else int(highest) + 1
    record(
        session,
        incident,
        EventType.PAGE_REQUESTED,
        actor=actor,
        at=now,
        **target.as_dict(),
        users=[user.handle for user in users],
        request=sequence + 1,
    )
    _add_pages(
        session,
        incident,
        users,
        key=plan_rules.StepKey(MANUAL_LOOP, sequence),
        due_at=now,
        now=now,
    )
    incident.updated_at = now
    session.flush()
    return PageRequest(incident, target, [user.handle for user in users], sequence + 1)
