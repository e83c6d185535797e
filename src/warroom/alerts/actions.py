"""An alert event in, the incident it belongs to out: dedup, suppression, severity,
and the automation a new incident starts. One transaction per call."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.alerts import automation, repository
from warroom.alerts.models import Alert
from warroom.domain.alerts import (
    AlertAction,
    AlertEvent,
    AlertStatus,
    Matcher,
    MatchOp,
    SeverityRule,
    incident_severity,
    key_digest,
    suppressed_by,
)
from warroom.domain.lifecycle import OPEN_STATUSES, Status
from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES, Severity
from warroom.domain.timeline import EventType
from warroom.incidents import actions as incidents
from warroom.incidents.models import Incident
from warroom.services.models import Service
from warroom.services.repository import active_windows


class Outcome(StrEnum):
    OPENED = "opened"  # a new incident
    ATTACHED = "attached"  # a new alert on an open incident
    DEDUPLICATED = "deduplicated"  # another event of an open alert
    UNCHANGED = "unchanged"  # the same payload again: nothing written
    SUPPRESSED = "suppressed"  # kept, but a maintenance window or silence holds it
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    IGNORED = "ignored"  # acknowledge/resolve of a key with no open alert


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    alert_key: str
    alert_id: int | None = None
    incident_id: int | None = None


def severity_rules(service: Service) -> list[SeverityRule]:
    return [
        SeverityRule(
            tuple(Matcher(m["name"], m["value"], MatchOp(m.get("op", "="))) for m in r["matchers"]),
            Severity(r["severity"]),
        )
        for r in service.severity_rules
    ]


def payload_hash(event: AlertEvent) -> str:
    content = json.dumps(
        [
            event.summary,
            event.severity,
            event.source_name,
            dict(event.labels),
            dict(event.annotations),
            dict(event.details),
            list(event.links),
            event.started_at.isoformat() if event.started_at else None,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def do_ingest(
    session: Session,
    *,
    service: Service,
    event: AlertEvent,
    now: datetime,
    integration_key_id: int | None = None,
    targets: Mapping[Severity, float] = DEFAULT_RESPONSE_TARGETS_MINUTES,
) -> IngestResult:
    match event.action:
        case AlertAction.TRIGGER:
            return _trigger(session, service, event, now, integration_key_id, targets)
        case AlertAction.ACKNOWLEDGE:
            return _acknowledge(session, service, event, now)
        case AlertAction.RESOLVE:
            return _resolve(session, service, event, now)


def _refresh(alert: Alert, event: AlertEvent, digest: str, now: datetime) -> IngestResult:
    if alert.payload_hash == digest:
        return IngestResult(Outcome.UNCHANGED, event.alert_key, alert.id, alert.incident_id)
    alert.summary = event.summary
    alert.severity = event.severity
    alert.source_name = event.source_name
    alert.labels = dict(event.labels)
    alert.annotations = dict(event.annotations)
    alert.details = dict(event.details)
    alert.links = [dict(link) for link in event.links]
    alert.payload_hash = digest
    alert.last_event_at = now
    alert.event_count += 1
    return IngestResult(Outcome.DEDUPLICATED, event.alert_key, alert.id, alert.incident_id)


def _trigger(
    session: Session,
    service: Service,
    event: AlertEvent,
    now: datetime,
    integration_key_id: int | None,
    targets: Mapping[Severity, float],
) -> IngestResult:
    open_key = key_digest(event.alert_key)
    digest = payload_hash(event)
    existing = repository.find_open_alert(session, service.id, open_key)
    if existing is not None:
        return _refresh(existing, event, digest, now)
    alert = Alert(
        service_id=service.id,
        integration_key_id=integration_key_id,
        source=event.source,
        status=AlertStatus.TRIGGERED,
        alert_key=event.alert_key,
        open_key=open_key,
        incident_key=event.incident_key,
        summary=event.summary,
        severity=event.severity,
        source_name=event.source_name,
        labels=dict(event.labels),
        annotations=dict(event.annotations),
        details=dict(event.details),
        links=[dict(link) for link in event.links],
        started_at=min(event.started_at or now, now),
        received_at=now,
        last_event_at=now,
        event_count=1,
        payload_hash=digest,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        # Another process inserted the same open alert between our look and our insert
        # (the savepoint's rollback has already dropped ours from the session).
        raced = repository.find_open_alert(session, service.id, open_key)
        if raced is None:
            raise
        return _refresh(raced, event, digest, now)

    reason = suppressed_by(event, active_windows(session, service.id, now), now)
    if reason is not None:
        alert.suppressed_by = reason
        return IngestResult(Outcome.SUPPRESSED, event.alert_key, alert.id)

    incident, opened = _incident_for(session, service, event, now, targets)
    alert.incident_id = incident.id
    incidents.record(
        session,
        incident,
        EventType.ALERT_ATTACHED,
        actor=str(event.source),
        at=now,
        alert_id=alert.id,
        summary=event.summary,
        severity=event.severity,
        source=event.source_name,
    )
    if opened:
        automation.on_incident_opened(session, incident=incident, service=service, now=now)
    return IngestResult(
        Outcome.OPENED if opened else Outcome.ATTACHED, event.alert_key, alert.id, incident.id
    )


def _incident_for(
    session: Session,
    service: Service,
    event: AlertEvent,
    now: datetime,
    targets: Mapping[Severity, float],
) -> tuple[Incident, bool]:
    """The open incident for the event's key, opening one if there is none. The unique
    index on (service, open_dedup_key) settles a race: the loser attaches."""
    dedup = key_digest(event.incident_key)
    incident = repository.find_open_incident(session, service.id, dedup)
    if incident is not None:
        return incident, False
    try:
        with session.begin_nested():
            incident = incidents.do_declare(
                session,
                title=(event.summary or event.alert_key)[:300],
                severity=incident_severity(event, severity_rules(service)),
                service=service.id,
                description=_description(event),
                actor=str(event.source),
                now=now,
                targets=targets,
                started_at=event.started_at,
                dedup_key=event.incident_key,
            )
        return incident, True
    except IntegrityError:
        incident = repository.find_open_incident(session, service.id, dedup)
        if incident is None:
            raise
        return incident, False


def _description(event: AlertEvent) -> str:
    lines = [event.annotations.get("description", "")] if event.annotations else []
    if event.source_name:
        lines.append(f"Source: {event.source_name}")
    return "\n".join(line for line in lines if line)[:10_000]


def _acknowledge(
    session: Session, service: Service, event: AlertEvent, now: datetime
) -> IngestResult:
    alert = repository.find_open_alert(session, service.id, key_digest(event.alert_key))
    if alert is None:
        return IngestResult(Outcome.IGNORED, event.alert_key)
    alert.last_event_at = now
    if alert.status is AlertStatus.TRIGGERED:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = now
    if alert.incident_id is not None:
        incident = session.get(Incident, alert.incident_id)
        if incident is not None and incident.status is Status.TRIGGERED:
            incidents.apply_status(
                session,
                incident,
                Status.ACKNOWLEDGED,
                actor=str(event.source),
                by_person=False,
                now=now,
            )
    return IngestResult(Outcome.ACKNOWLEDGED, event.alert_key, alert.id, alert.incident_id)


def _resolve(session: Session, service: Service, event: AlertEvent, now: datetime) -> IngestResult:
    alert = repository.find_open_alert(session, service.id, key_digest(event.alert_key))
    if alert is None:
        return IngestResult(Outcome.IGNORED, event.alert_key)
    alert.status = AlertStatus.RESOLVED
    alert.open_key = None
    alert.resolved_at = now
    alert.last_event_at = now
    session.flush()
    if alert.incident_id is not None:
        incident = session.get(Incident, alert.incident_id)
        # The incident resolves with its last open alert; one a person already moved on
        # (resolved, or closed) is theirs.
        if (
            incident is not None
            and incident.status in OPEN_STATUSES
            and repository.count_open_alerts(session, incident.id) == 0
        ):
            incidents.apply_status(
                session,
                incident,
                Status.RESOLVED,
                actor=str(event.source),
                by_person=False,
                now=now,
            )
    return IngestResult(Outcome.RESOLVED, event.alert_key, alert.id, alert.incident_id)
