from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.db.pagination import Page, paginate
from warroom.domain.alerts import AlertStatus
from warroom.errors import NotFound
from warroom.incidents.models import Incident


def find_open_alert(session: Session, service_id: int, open_key: str) -> Alert | None:
    return session.scalar(
        select(Alert)
        .where(Alert.service_id == service_id, Alert.open_key == open_key)
        .with_for_update(of=Alert)
    )


def find_open_incident(session: Session, service_id: int, open_dedup_key: str) -> Incident | None:
    return session.scalar(
        select(Incident)
        .where(Incident.service_id == service_id, Incident.open_dedup_key == open_dedup_key)
        .with_for_update(of=Incident)
    )


def count_open_alerts(session: Session, incident_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.incident_id == incident_id, Alert.open_key.is_not(None))
        )
        or 0
    )


def resolve_open_alerts(session: Session, incident_id: int, *, now: datetime) -> None:
    session.execute(
        update(Alert)
        .where(Alert.incident_id == incident_id, Alert.open_key.is_not(None))
        .values(status=AlertStatus.RESOLVED, open_key=None, resolved_at=now)
        .execution_options(synchronize_session="fetch")
    )


def acknowledge_open_alerts(session: Session, incident_id: int, *, now: datetime) -> None:
    session.execute(
        update(Alert)
        .where(Alert.incident_id == incident_id, Alert.status == AlertStatus.TRIGGERED)
        .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now)
        .execution_options(synchronize_session="fetch")
    )


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    return alert


def alerts_of_incident(session: Session, incident_id: int) -> Sequence[Alert]:
    return session.scalars(
        select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.received_at, Alert.id)
    ).all()


def page_alerts(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    service_id: int | None = None,
    status: Sequence[AlertStatus] | None = None,
    incident_id: int | None = None,
) -> Page[Alert]:
    """Newest first."""
    query = select(Alert)
    if service_id is not None:
        query = query.where(Alert.service_id == service_id)
    if status:
        query = query.where(Alert.status.in_(status))
    if incident_id is not None:
        query = query.where(Alert.incident_id == incident_id)
    return paginate(session, query, keys=[Alert.id], limit=limit, cursor=cursor, descending=True)
