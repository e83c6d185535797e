"""Every change to an incident, each one transaction: rule, rows, timeline events."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session, object_session

from warroom.alerts.repository import acknowledge_open_alerts, resolve_open_alerts
from warroom.domain import checklist, timers
from warroom.domain.alerts import key_digest
from warroom.domain.comms import (
    UpdateFacts,
    UpdateKind,
    UpdateStatus,
    plan_update,
)
from warroom.domain.components import ComponentStatus
from warroom.domain.lifecycle import OPEN_STATUSES, Status, allowed_moves, at_least, transition
from warroom.domain.notification import Urgency, urgency_of
from warroom.domain.roles import Role
from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES, Severity
from warroom.domain.statuspage import IMPACT_SENTENCE, impact_of
from warroom.domain.timeline import SYSTEM_ACTOR, EventType
from warroom.engine.tasks import enqueue
from warroom.errors import Conflict
from warroom.incidents import repository
from warroom.incidents.comms import render_update
from warroom.incidents.models import (
    ChecklistCompletion,
    Incident,
    IncidentRole,
    StakeholderUpdate,
    TimelineEvent,
)
from warroom.incidents.phase_time import note_phase
from warroom.incidents.public import (
    ImpactChoice,
    apply_public_settings,
    components_named,
    pin_components,
)
from warroom.incidents.timers import (
    enqueue_ack_timeout,
    enqueue_auto_resolve,
    enqueue_response_target,
    enqueue_update_reminder,
)
from warroom.paging.hooks import (
    escalate_now,
    hasten_held_pages,
    restart_escalation,
    start_escalation,
    stop_paging,
)
from warroom.postmortems.repository import find_postmortem
from warroom.reports.facts import Before, refresh_facts
from warroom.runbooks.review import open_runbook_review
from warroom.services.models import Service
from warroom.services.repository import get_service
from warroom.statuspage import subscriptions
from warroom.statuspage.components import (
    ComponentChange,
    affect_component,
    components_of_incident,
    public_component_names,
    refresh_components,
)
from warroom.statuspage.models import IncidentComponent
from warroom.statuspage.revision import bump
from warroom.users.repository import get_user

Targets = Mapping[Severity, float]


def record(
    session: Session,
    incident: Incident,
    type: EventType,
    *,
    actor: str,
    at: datetime,
    **data: Any,
) -> TimelineEvent:
    event = TimelineEvent(incident_id=incident.id, at=at, actor=actor, type=type, data=data)
    session.add(event)
    return event


def record_by_id(
    session: Session, incident_id: int, type: EventType, *, actor: str, at: datetime, **data: Any
) -> None:
    """The same event as `record`, for the engine's hot paths that have only the
    incident's id: one INSERT, without loading the incident (and its roles and checklist)."""
    session.execute(
        insert(TimelineEvent).values(
            incident_id=incident_id, at=at, actor=actor, type=type, data=data
        )
    )


def _load_open(session: Session, incident_id: int) -> Incident:
    incident = repository.get_incident(session, incident_id, for_update=True)
    if incident.status is Status.CLOSED:
        raise Conflict(f"incident {incident_id} is closed; closed incidents are final", allowed=[])
    return incident


def note_breach(
    session: Session, incident: Incident, *, now: datetime, timed: bool = False
) -> bool:
    """Record a missed response target the first time anything sees it: an action
    (lazily), or the engine's `response_target` timer at the due time itself (`timed`).
    The stored breach time makes it once, whichever comes first. True if recorded now."""
    if incident.response_target_breached_at is not None:
        return False
    target = incident.response_target(now)
    missed = target.breached or (
        timed
        and timers.target_missed(
            due_at=target.due_at, acknowledged=incident.acknowledged_at is not None, now=now
        )
    )
    if missed:
        incident.response_target_breached_at = target.due_at
        record(
            session,
            incident,
            EventType.RESPONSE_TARGET_BREACHED,
            actor=SYSTEM_ACTOR,
            at=now,
            severity=str(incident.severity),
            target_minutes=target.minutes,
            due_at=target.due_at.isoformat(),
        )
    return missed


def _sync_checklist(session: Session, incident: Incident, *, now: datetime) -> None:
    facts = checklist.IncidentFacts(
        status=incident.status,
        acknowledged=incident.acknowledged_at is not None,
        severity_assessed=incident.severity_assessed,
        roles={r.role: r.user.handle for r in incident.roles},
        room_opened=incident.room_url is not None,
        update_published=repository.has_updates(session, incident.id),
        **_postmortem_facts(session, incident),
    )
    done = [c.item for c in incident.checklist]
    for item in checklist.newly_completed(facts, done):
        _complete(session, incident, item, actor=SYSTEM_ACTOR, by_hand=False, now=now)


def _postmortem_facts(session: Session, incident: Incident) -> dict[str, bool]:
    """Items 9 and 10 (SPEC §2): only a resolved incident has a postmortem, so others
    skip the query, as do incidents with both ticked."""
    if not at_least(incident.status, Status.RESOLVED) or {9, 10} <= {
        c.item for c in incident.checklist
    }:
        return {}
    postmortem = find_postmortem(session, incident.id)
    return {
        "postmortem_timeline_generated": postmortem is not None,
        "postmortem_meeting_set": postmortem is not None and postmortem.meeting_at is not None,
    }


def sync_checklist(session: Session, incident: Incident, *, now: datetime) -> Incident:
    """End a change made to the incident outside this module (its postmortem) as every
    action here ends: tick what its facts now satisfy, and refresh the status page."""
    return _finish(session, incident, now=now)


def _complete(
    session: Session, incident: Incident, item: int, *, actor: str, by_hand: bool, now: datetime
) -> None:
    incident.checklist.append(
        ChecklistCompletion(item=item, completed_at=now, completed_by=actor, by_hand=by_hand)
    )
    record(
        session,
        incident,
        EventType.CHECKLIST_ITEM_COMPLETED,
        actor=actor,
        at=now,
        item=item,
        name=checklist.item_name(item),
        by_hand=by_hand,
    )


def _finish(session: Session, incident: Incident, *, now: datetime) -> Incident:
    _sync_checklist(session, incident, now=now)
    incident.updated_at = now
    if incident.public and not incident.drill:
        # What the status page shows of it (status, resolved or not, commander when
        # shown, impact by severity) may have changed: every action ends here, so no
        # path (resolve, reopen, role, severity, intake) can leave the page stale.
        bump(session, now=now)
    session.flush()
    return incident


def do_declare(
    session: Session,
    *,
    title: str,
    severity: Severity,
    service: str | int | Service,
    description: str = "",
    actor: str,
    now: datetime,
    targets: Targets = DEFAULT_RESPONSE_TARGETS_MINUTES,
    drill: bool = False,
    started_at: datetime | None = None,
    created_by_id: int | None = None,
    dedup_key: str | None = None,
) -> Incident:
    """With a dedup_key (an alert's), the database refuses a second open incident for the
    same key and service: IntegrityError at the flush, for the caller to attach instead."""
    svc = service if isinstance(service, Service) else get_service(session, service)
    incident = Incident(
        title=title,
        description=description,
        severity=severity,
        status=Status.TRIGGERED,
        service=svc,
        drill=drill,
        started_at=min(started_at or now, now),
        detected_at=now,
        triggered_at=now,
        response_target_minutes=targets[severity],
        created_by_id=created_by_id,
        updated_at=now,
        # Detection starts at the trigger (warroom.incidents.phase_time).
        phase_since=now,
        dedup_key=dedup_key,
        open_dedup_key=key_digest(dedup_key) if dedup_key is not None else None,
        # A new incident has no roles and no ticks: saying so spares two loads.
        roles=[],
        checklist=[],
    )
    session.add(incident)
    session.flush()
    refresh_facts(session, incident)
    record(
        session,
        incident,
        EventType.DECLARED,
        actor=actor,
        at=now,
        title=title,
        severity=str(severity),
        service=svc.name,
        drill=drill,
    )
    _mark_component(session, incident, svc, now=now)
    if svc.escalation_policy_id is not None:
        # Paging starts with the incident, whether a person or an alert opened it.
        start_escalation(
            session, incident_id=incident.id, triggered_at=incident.triggered_at, now=now
        )
    enqueue_response_target(
        session,
        incident_id=incident.id,
        triggered_at=incident.triggered_at,
        minutes=incident.response_target_minutes,
        now=now,
    )
    if svc.auto_resolve_minutes:
        incident.auto_resolve_at = timers.auto_resolve_at(
            incident.triggered_at, svc.auto_resolve_minutes
        )
        enqueue_auto_resolve(
            session,
            incident_id=incident.id,
            at=incident.auto_resolve_at,
            minutes=svc.auto_resolve_minutes,
            now=now,
        )
    # Nothing on the checklist can be done yet: a new incident is triggered, unassigned,
    # unacknowledged and unannounced.
    session.flush()
    return incident


def _apply_status(
    session: Session,
    incident: Incident,
    requested: Status,
    *,
    actor: str,
    by_person: bool,
    now: datetime,
    reason: str | None = None,
) -> None:
    change = transition(
        incident.status,
        requested,
        by_person=by_person,
        # After a re-trigger the next acknowledgement counts again (it stops paging),
        # but acknowledged_at keeps the first one, which MTTA measures.
        already_acknowledged=incident.acknowledged_now,
    )
    if change.acknowledges:
        if incident.acknowledged_at is None:
            incident.acknowledged_at = now
        incident.retriggered_at = None
        acknowledge_open_alerts(session, incident.id, now=now)
        note_breach(session, incident, now=now)
        record(session, incident, EventType.ACKNOWLEDGED, actor=actor, at=now)
        if incident.service.ack_timeout_minutes:
            enqueue_ack_timeout(
                session,
                incident_id=incident.id,
                at=timers.ack_timeout_at(now, incident.service.ack_timeout_minutes),
                now=now,
            )
    if change.acknowledges or change.resolves or change.closes:
        # Someone answered, or it is over: no further level is paged.
        stop_paging(session, incident_id=incident.id, now=now)
    # The time in the phase it leaves is counted before it moves.
    note_phase(incident, now)
    incident.status = change.new
    record(
        session,
        incident,
        EventType.STATUS_CHANGED,
        actor=actor,
        at=now,
        **{"from": str(change.old), "to": str(change.new)},
        **({"reason": reason} if reason else {}),
    )
    if change.retriggers:
        incident.retriggered_at = now
        record(
            session,
            incident,
            EventType.RETRIGGERED,
            actor=actor,
            at=now,
            reason=reason or f"handed back by {actor}",
        )
        if incident.service.escalation_policy_id is not None:
            # Nobody holds it any more: the policy starts again from level 1.
            restart_escalation(session, incident_id=incident.id, now=now)
    before = Before(severity=incident.severity, resolved_at=incident.resolved_at)
    if change.reopened:
        incident.resolved_at = None
        incident.reopen_count += 1
        record(session, incident, EventType.REOPENED, actor=actor, at=now)
        _restore_component(session, incident, now=now)
    if change.resolves:
        incident.resolved_at = now
        incident.auto_resolve_at = None
        # Its alerts end with it, so the next trigger of the same key opens a new incident
        # (as the Events API documents) instead of attaching to a resolved one.
        incident.open_dedup_key = None
        resolve_open_alerts(session, incident.id, now=now)
        _restore_component(session, incident, now=now)
        open_runbook_review(session, incident=incident, now=now)
    if change.reopened or change.resolves:
        refresh_facts(session, incident, before=before)
    if change.closes:
        incident.closed_at = now


def apply_status(
    session: Session,
    incident: Incident,
    status: Status,
    *,
    actor: str,
    by_person: bool,
    now: datetime,
    reason: str | None = None,
) -> Incident:
    """A status move on an incident the caller already holds (intake, the engine);
    `reason` goes on the timeline's status_changed event."""
    note_breach(session, incident, now=now)
    _apply_status(
        session, incident, status, actor=actor, by_person=by_person, now=now, reason=reason
    )
    return _finish(session, incident, now=now)


SYNC_COMPONENT = "sync_component"


def _mark_component(
    session: Session, incident: Incident, service: Service, *, now: datetime
) -> None:
    """An incident opened on a service that is part of a status-page component affects
    that component, as its severity implies, until an update or a person says otherwise
    (drills never do; the service can turn it off with mark_component). The row linking
    them is the incident's own; the component's status is the engine's work
    (_restore_component says why)."""
    if incident.drill or not service.mark_component or service.component_id is None:
        return
    affect_component(
        session,
        incident_id=incident.id,
        component_id=service.component_id,
        status=None,
        source="automatic",
        now=now,
    )
    enqueue(session, kind=SYNC_COMPONENT, incident_id=incident.id, now=now)


def _restore_component(session: Session, incident: Incident, *, now: datetime) -> None:
    """When an incident that affects components opens, resolves, reopens or changes
    severity, what it says about them changes: the engine works their status out again
    (warroom.alerts.automation.sync_component). A task, not a write here: a component row
    is shared by every incident on it, and writing it inside intake's batches would make
    concurrent writers queue (and on PostgreSQL deadlock) on it."""
    affects = session.scalar(select(exists().where(IncidentComponent.incident_id == incident.id)))
    if affects:
        enqueue(session, kind=SYNC_COMPONENT, incident_id=incident.id, now=now)


def do_change_status(
    session: Session,
    *,
    incident_id: int,
    status: Status,
    actor: str,
    now: datetime,
    by_person: bool = True,
) -> Incident:
    """Asking for the status the incident already has changes nothing (a retried
    request, or two people clicking at once, is not an error)."""
    incident = _load_open(session, incident_id)
    if status is incident.status:
        return incident
    return apply_status(session, incident, status, actor=actor, by_person=by_person, now=now)


def do_acknowledge(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    """Idempotent: acknowledging an incident someone already took changes nothing."""
    incident = _load_open(session, incident_id)
    if incident.status is not Status.TRIGGERED and incident.status in OPEN_STATUSES:
        return incident
    note_breach(session, incident, now=now)
    _apply_status(session, incident, Status.ACKNOWLEDGED, actor=actor, by_person=True, now=now)
    return _finish(session, incident, now=now)


def do_escalate_now(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    """A responder's "escalate now": the next level of the incident's policy is paged at
    once (by the engine, as any step), and the steps planned after it move earlier by
    the same amount. Refused while someone has it (acknowledged), once it is resolved or
    closed, and for a service without an escalation policy."""
    incident = _load_open(session, incident_id)
    if incident.acknowledged_now or incident.status is not Status.TRIGGERED:
        raise Conflict(
            f"incident {incident_id} is {incident.status}: escalation stops once someone "
            "acknowledges it",
            allowed=[],
        )
    if incident.service.escalation_policy_id is None:
        raise Conflict(
            f"service '{incident.service.name}' has no escalation policy: there is nobody "
            "to escalate to",
            allowed=[],
        )
    advanced = escalate_now(session, incident_id=incident.id, now=now)
    if advanced is None:
        raise Conflict(
            f"incident {incident_id} has no further levels to page: its policy is exhausted",
            allowed=[],
        )
    record(
        session,
        incident,
        EventType.ESCALATED,
        actor=actor,
        at=now,
        manual=True,
        level=advanced.level + 1,
        loop=advanced.loop,
        advanced_seconds=advanced.by.total_seconds(),
    )
    return _finish(session, incident, now=now)


def do_resolve(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    return do_change_status(
        session, incident_id=incident_id, status=Status.RESOLVED, actor=actor, now=now
    )


def do_close(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    return do_change_status(
        session, incident_id=incident_id, status=Status.CLOSED, actor=actor, now=now
    )


def do_reopen(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    incident = _load_open(session, incident_id)
    if incident.status is not Status.RESOLVED:
        raise Conflict(
            f"only a resolved incident can be reopened; incident {incident_id} is "
            f"{incident.status}",
            allowed=[str(s) for s in allowed_moves(incident.status)],
        )
    _apply_status(session, incident, Status.INVESTIGATING, actor=actor, by_person=True, now=now)
    return _finish(session, incident, now=now)


def do_change_severity(
    session: Session,
    *,
    incident_id: int,
    severity: Severity,
    actor: str,
    now: datetime,
    targets: Targets = DEFAULT_RESPONSE_TARGETS_MINUTES,
) -> Incident:
    incident = _load_open(session, incident_id)
    note_breach(session, incident, now=now)
    incident.severity_assessed = True
    if severity is incident.severity:
        record(
            session,
            incident,
            EventType.SEVERITY_CONFIRMED,
            actor=actor,
            at=now,
            severity=str(severity),
        )
    else:
        record(
            session,
            incident,
            EventType.SEVERITY_CHANGED,
            actor=actor,
            at=now,
            **{"from": str(incident.severity), "to": str(severity)},
        )
        before = Before(severity=incident.severity, resolved_at=incident.resolved_at)
        incident.severity = severity
        refresh_facts(session, incident, before=before)
        _restore_component(session, incident, now=now)
        if urgency_of(severity) is Urgency.HIGH:
            # Pages held for someone's waking hours were held because it was not urgent.
            hasten_held_pages(session, incident_id=incident.id, now=now)
        if incident.acknowledged_at is None:
            # Until someone takes it, the target follows the severity: raising it can put
            # the incident past its new target at once. Once acknowledged, whether the
            # target was met is settled and a later re-grading does not rewrite it.
            previous_minutes = incident.response_target_minutes
            incident.response_target_minutes = targets[severity]
            if not note_breach(session, incident, now=now) and (
                incident.response_target_minutes != previous_minutes
            ):
                enqueue_response_target(
                    session,
                    incident_id=incident.id,
                    triggered_at=incident.triggered_at,
                    minutes=incident.response_target_minutes,
                    now=now,
                )
    return _finish(session, incident, now=now)


def do_assign_role(
    session: Session,
    *,
    incident_id: int,
    role: Role,
    user: str | None,
    actor: str,
    now: datetime,
) -> Incident:
    """Assign, hand over (a new holder replaces the old) or, with user None, unassign."""
    incident = _load_open(session, incident_id)
    current = next((r for r in incident.roles if r.role is role), None)
    previous = current.user.handle if current else None
    if user is None:
        if current is None:
            return incident
        incident.roles.remove(current)
        record(
            session,
            incident,
            EventType.ROLE_UNASSIGNED,
            actor=actor,
            at=now,
            role=str(role),
            previous=previous,
        )
        return _finish(session, incident, now=now)
    holder = get_user(session, user)
    if current is not None and current.user_id == holder.id:
        return incident
    if current is not None:
        incident.roles.remove(current)
        session.flush()  # free the (incident, role) slot before the new holder takes it
    incident.roles.append(IncidentRole(role=role, user=holder, assigned_at=now))
    record(
        session,
        incident,
        EventType.ROLE_ASSIGNED,
        actor=actor,
        at=now,
        role=str(role),
        user=holder.handle,
        previous=previous,
    )
    return _finish(session, incident, now=now)


def do_add_note(
    session: Session, *, incident_id: int, text: str, actor: str, now: datetime
) -> TimelineEvent:
    incident = _load_open(session, incident_id)
    event = record(session, incident, EventType.NOTE_ADDED, actor=actor, at=now, text=text)
    _finish(session, incident, now=now)
    return event


def do_complete_checklist_item(
    session: Session, *, incident_id: int, item: int, actor: str, now: datetime
) -> Incident:
    incident = _load_open(session, incident_id)
    checklist.item_name(item)  # raises for a number outside 1..10
    if any(c.item == item for c in incident.checklist):
        return incident
    _complete(session, incident, item, actor=actor, by_hand=True, now=now)
    return _finish(session, incident, now=now)


def draft_update(
    incident: Incident,
    kind: UpdateKind,
    *,
    now: datetime,
    status: UpdateStatus | None = None,
    components: Mapping[str, str | None] | None = None,
    next_update_minutes: int | None = None,
    impact: str | None = None,
    progress: str | None = None,
    root_cause: str | None = None,
    actions_taken: str | None = None,
    status_page_url: str = "",
    public: bool = False,
) -> str:
    """The kind's template filled from the incident: what the composer starts from.
    The wait it promises is the one named, else the incident's severity's cadence.
    A public draft names only public components and says the impact in words chosen for
    the public: the service's internal name and the incident's description stay out."""
    plan = plan_update(
        kind, incident.status, status, next_update_minutes, severity=incident.severity
    )
    service = incident.service.name
    affected = sorted(components) if components else [service]
    described = impact or incident.description or None
    if public:
        session = object_session(incident)
        assert session is not None, "a public draft reads the incident's components"
        names = public_component_names(session, incident_id=incident.id, among=components)
        service = ", ".join(names) if names else "service"
        affected = names or ["being assessed"]
        described = impact or IMPACT_SENTENCE[impact_of(incident.severity, incident.impact)]
    return render_update(
        kind,
        UpdateFacts(
            service=service,
            affected_services=affected,
            status=plan.announced,
            started_at=incident.started_at,
            resolved_at=incident.resolved_at,
            now=now,
            impact=described,
            progress=progress,
            root_cause=root_cause,
            actions_taken=actions_taken,
            next_update_minutes=plan.next_update_minutes,
            status_page_url=status_page_url,
        ),
    )


def do_set_room(
    session: Session,
    *,
    incident_id: int,
    url: str,
    actor: str,
    now: datetime,
    **room: Any,
) -> Incident:
    """The incident's chat room is open at `url` (checklist item 4); `room` (adapter,
    room id, name, …) goes on the timeline event so later steps can find the room."""
    incident = _load_open(session, incident_id)
    previous = incident.room_url
    incident.room_url = url
    record(
        session,
        incident,
        EventType.ROOM_OPENED,
        actor=actor,
        at=now,
        url=url,
        previous=previous,
        **room,
    )
    return _finish(session, incident, now=now)


def _load_for_update(session: Session, incident_id: int, status: UpdateStatus | None) -> Incident:
    """The incident an update is about: open, or (for the postmortem announcement
    only) closed as well."""
    if status is UpdateStatus.POSTMORTEM:
        return repository.get_incident(session, incident_id, for_update=True)
    return _load_open(session, incident_id)


def refresh_affected(
    session: Session,
    incident: Incident,
    *,
    actor: str,
    now: datetime,
    automatic: bool = False,
) -> list[ComponentChange]:
    """Work out the status of every component the incident affects again, each change
    on its timeline (`automatic`: worked out by warroom, not made by a person)."""
    changes = refresh_components(session, components_of_incident(session, incident.id), now=now)
    for change in changes:
        record(
            session,
            incident,
            EventType.COMPONENT_STATUS_CHANGED,
            actor=actor,
            at=now,
            component=change.component.name,
            automatic=automatic,
            public=change.component.public,
            **{"from": str(change.old_status), "to": str(change.new_status)},
        )
    return changes


def do_set_public(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    now: datetime,
    public: bool,
    title: str | None = None,
    impact: ImpactChoice | None = None,
    components: Mapping[str, ComponentStatus | None] | None = None,
    show_responders: bool | None = None,
) -> Incident:
    """Whether and how the incident shows on the public status page. None leaves a
    setting as it is; impact "severity" makes it follow the severity again; each named
    component is marked affected (None: as the severity implies), internal ones too
    (they never show publicly). Going private hides it and keeps its code; a closed
    incident may still be hidden (a publication can be taken back), nothing else."""
    incident = repository.get_incident(session, incident_id, for_update=True)
    hiding_only = not public and title is None and impact is None and not components
    if incident.status is Status.CLOSED and not hiding_only:
        raise Conflict(
            f"incident {incident_id} is closed; it can only be taken off the status page "
            '({"public": false})',
            allowed=[],
        )
    changed = apply_public_settings(
        incident,
        now=now,
        public=public,
        title=title,
        impact=impact,
        show_responders=show_responders,
    )
    if components:
        pin_components(session, incident_id=incident.id, chosen=components, source="hand", now=now)
        changed["components"] = {name: str(s) if s else None for name, s in components.items()}
        refresh_affected(session, incident, actor=actor, now=now)
    if changed:
        record(
            session,
            incident,
            EventType.PUBLIC_CHANGED,
            actor=actor,
            at=now,
            **changed,
        )
        if not incident.public:
            bump(session, now=now)  # taken off the page (_finish bumps for public ones)
    return _finish(session, incident, now=now)


def do_publish_update(
    session: Session,
    *,
    incident_id: int,
    kind: UpdateKind,
    actor: str,
    now: datetime,
    status: UpdateStatus | None = None,
    body: str | None = None,
    public: bool = False,
    components: Mapping[str, str] | None = None,
    next_update_minutes: int | None = None,
    impact: str | None = None,
    progress: str | None = None,
    root_cause: str | None = None,
    actions_taken: str | None = None,
    status_page_url: str = "",
    public_title: str | None = None,
    public_impact: ImpactChoice | None = None,
) -> StakeholderUpdate:
    """One stakeholder update. A public one makes the incident public first (with
    `public_title` / `public_impact` when given); `components` pins those components'
    statuses for this incident while it is open (a resolved or postmortem update pins
    nothing: resolving gives the components back by itself). `impact` is the template's
    text; `public_impact` the page's impact word."""
    incident = _load_for_update(session, incident_id, status)
    note_breach(session, incident, now=now)
    plan = plan_update(
        kind, incident.status, status, next_update_minutes, severity=incident.severity
    )
    if plan.move_to is not None:
        # An impossible move refuses the update too: the transaction rolls back whole.
        _apply_status(session, incident, plan.move_to, actor=actor, by_person=True, now=now)
    announced, next_update_minutes = plan.announced, plan.next_update_minutes
    pins = {name: ComponentStatus(s) for name, s in (components or {}).items()}
    if public:
        changed = apply_public_settings(
            incident, now=now, public=True, title=public_title, impact=public_impact
        )
        if changed:
            record(
                session,
                incident,
                EventType.PUBLIC_CHANGED,
                actor=actor,
                at=now,
                by_update=True,
                **changed,
            )
    after = announced in (UpdateStatus.RESOLVED, UpdateStatus.POSTMORTEM)
    if pins and not after:
        pin_components(session, incident_id=incident.id, chosen=pins, source="update", now=now)
    elif pins:
        components_named(session, pins)  # still refuses a name that does not exist
    # Also after a move to resolved: the incident no longer counts towards its
    # components, and they come back here, in the same transaction.
    changes = refresh_affected(session, incident, actor=actor, now=now)
    if body is None or not body.strip():
        body = draft_update(
            incident,
            kind,
            status=announced,
            components=components,
            next_update_minutes=next_update_minutes,
            impact=impact,
            progress=progress,
            root_cause=root_cause,
            actions_taken=actions_taken,
            status_page_url=status_page_url,
            now=now,
            public=public,
        )
    update = StakeholderUpdate(
        incident_id=incident.id,
        kind=kind,
        status=announced,
        body=body,
        public=public,
        components={name: str(s) for name, s in pins.items()},
        # Internal components never show publicly, so their changes stay off the update.
        component_changes=[c.affected() for c in changes if c.component.public],
        next_update_minutes=next_update_minutes,
        next_update_due_at=(
            now + timedelta(minutes=next_update_minutes) if next_update_minutes else None
        ),
        author=actor,
        published_at=now,
    )
    session.add(update)
    session.flush()
    _keep_cadence(session, incident, update, now=now)
    record(
        session,
        incident,
        EventType.UPDATE_PUBLISHED,
        actor=actor,
        at=now,
        update_id=update.id,
        kind=str(kind),
        status=str(announced),
        public=public,
        next_update_minutes=next_update_minutes,
        component_changes=[c["name"] for c in update.component_changes],
    )
    if public:
        subscriptions.notify_subscribers_of_update(
            session, incident=incident, update=update, now=now
        )
    subscriptions.notify_audiences_of_update(session, incident=incident, update=update, now=now)
    _finish(session, incident, now=now)
    return update


def _keep_cadence(
    session: Session, incident: Incident, update: StakeholderUpdate, *, now: datetime
) -> None:
    """Score the previous promise (kept if this update came by its due time), make this
    update's promise the incident's, and set the comms lead's reminder for it. Internal
    and public updates alike keep a promise: the cadence is the response's, and the
    reminder goes to the comms lead whichever audience the next update is for."""
    if incident.next_update_due_at is not None:
        if timers.update_on_time(promised_by=incident.next_update_due_at, published_at=now):
            incident.updates_on_time = (incident.updates_on_time or 0) + 1
        else:
            incident.updates_late = (incident.updates_late or 0) + 1
    incident.next_update_due_at = update.next_update_due_at
    if update.next_update_due_at is not None and update.next_update_minutes:
        enqueue_update_reminder(
            session,
            incident_id=incident.id,
            update_id=update.id,
            due_at=update.next_update_due_at,
            cadence_minutes=update.next_update_minutes,
            sent=0,
            now=now,
        )
