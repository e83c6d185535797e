"""An alert event in, the incident it belongs to out: dedup, suppression, severity,
and the automation a new incident starts. One transaction per call."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
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
    SeverityRule,
    Window,
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
            tuple(Matcher.from_dict(m) for m in r["matchers"]),
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
    windows: Sequence[Window] | None = None,
) -> IngestResult:
    """`windows`: the service's maintenance windows and silences in force now, when the
    caller already has them (intake loads them once per batch)."""
    match event.action:
        case AlertAction.TRIGGER:
            return _trigger(session, service, event, now, integration_key_id, targets, windows)
        case AlertAction.ACKNOWLEDGE:
            return _acknowledge(session, service, event, now)
        case AlertAction.RESOLVE:
            return _resolve(session, service, event, now)


def _guard(session: Session) -> AbstractContextManager[object]:
    """Where a concurrent writer can insert the same open alert or incident between our
    look and our insert (PostgreSQL, several processes), a savepoint lets the loser of
    the race roll back just the insert and attach instead. SQLite's write lock is held
    from BEGIN IMMEDIATE to commit, so no such race exists and the savepoint would only
    cost time."""
    if session.get_bind().dialect.name == "sqlite":
        return nullcontext()
    return session.begin_nested()


def _refresh(
    session: Session, service: Service, event: AlertEvent, open_key: str, digest: str, now: datetime
) -> IngestResult | None:
    """Another event of an open alert: one UPDATE when its content changed, nothing when it
    did not. None when the service has no open alert with this key."""
    changed = repository.update_open_alert(
        session,
        service_id=service.id,
        open_key=open_key,
        payload_hash=digest,
        now=now,
        summary=event.summary,
        severity=event.severity,
        source_name=event.source_name,
        labels=dict(event.labels),
        annotations=dict(event.annotations),
        details=dict(event.details),
        links=[dict(link) for link in event.links],
    )
    if changed is not None:
        return IngestResult(Outcome.DEDUPLICATED, event.alert_key, *changed)
    same = repository.open_alert_ids(session, service.id, open_key)
    if same is not None:
        return IngestResult(Outcome.UNCHANGED, event.alert_key, *same)
    return None


def _trigger(
    session: Session,
    service: Service,
    event: AlertEvent,
    now: datetime,
    integration_key_id: int | None,
    targets: Mapping[Severity, float],
    windows: Sequence[Window] | None,
) -> IngestResult:
    open_key = key_digest(event.alert_key)
    digest = payload_hash(event)
    known = _refresh(session, service, event, open_key, digest, now)
    if known is not None:
        return _release_if_held(session, service, event, known, now, targets, windows)
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
        with _guard(session):
            session.add(alert)
            session.flush()
    except IntegrityError:
        # Another process inserted the same open alert between our look and our insert
        # (the savepoint's rollback has already dropped ours from the session).
        raced = _refresh(session, service, event, open_key, digest, now)
        if raced is None:
            raise
        return _release_if_held(session, service, event, raced, now, targets, windows)

    if windows is None:
        windows = active_windows(session, service.id, now)
    reason = suppressed_by(event, windows, now)
    if reason is not None:
        alert.suppressed_by = reason
        # Written now: the next event for this key reads the row with plain SQL.
        session.flush()
        return IngestResult(Outcome.SUPPRESSED, event.alert_key, alert.id)
    return _attach(session, service, alert, event, now, targets)


def _release_if_held(
    session: Session,
    service: Service,
    event: AlertEvent,
    known: IngestResult,
    now: datetime,
    targets: Mapping[Severity, float],
    windows: Sequence[Window] | None,
) -> IngestResult:
    """Another trigger of an open alert. One with no incident was held back by a
    maintenance window or silence; monitoring keeps resending a firing alert, and once
    nothing holds it any more it opens its incident (as Alertmanager notifies about a
    still-firing alert when its silence expires)."""
    if known.incident_id is not None or known.alert_id is None:
        return known
    if windows is None:
        windows = active_windows(session, service.id, now)
    if suppressed_by(event, windows, now) is not None:
        return known
    alert = session.get(Alert, known.alert_id)
    if alert is None:
        return known
    alert.suppressed_by = None
    return _attach(session, service, alert, event, now, targets)


def _attach(
    session: Session,
    service: Service,
    alert: Alert,
    event: AlertEvent,
    now: datetime,
    targets: Mapping[Severity, float],
) -> IngestResult:
    incident, opened = _incident_for(session, service, event, now, targets)
    alert.incident_id = incident.id
    # Written now: the next event for this key in the same batch reads the row with plain
    # SQL, and must see that it already has its incident.
    session.flush()
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
        with _guard(session):
            incident = incidents.do_declare(
                session,
                title=(event.summary or event.alert_key)[:300],
                severity=incident_severity(event, severity_rules(service)),
                service=service,
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
