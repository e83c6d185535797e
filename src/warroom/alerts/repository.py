from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
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


# The intake's hot statements, built once: constructing a statement costs about as much
# as running it, and these run for nearly every alert event.
_alerts = cast(Table, Alert.__table__)
_CONTENT = (
    "summary",
    "severity",
    "source_name",
    "labels",
    "annotations",
    "details",
    "links",
)
_UPDATE_OPEN = (
    _alerts.update()
    .where(
        _alerts.c.service_id == bindparam("w_service"),
        _alerts.c.open_key == bindparam("w_key"),
        _alerts.c.payload_hash != bindparam("payload_hash"),
    )
    .values(
        payload_hash=bindparam("payload_hash"),
        last_event_at=bindparam("last_event_at"),
        event_count=_alerts.c.event_count + 1,
        **{name: bindparam(name, type_=_alerts.c[name].type) for name in _CONTENT},
    )
    .returning(_alerts.c.id, _alerts.c.incident_id)
)
_OPEN_IDS = select(_alerts.c.id, _alerts.c.incident_id).where(
    _alerts.c.service_id == bindparam("w_service"), _alerts.c.open_key == bindparam("w_key")
)
_OPEN_INCIDENT = (
    select(Incident)
    .where(
        Incident.service_id == bindparam("w_service"),
        Incident.open_dedup_key == bindparam("w_key"),
    )
    .with_for_update(of=Incident)
)


def update_open_alert(
    session: Session,
    *,
    service_id: int,
    open_key: str,
    payload_hash: str,
    now: datetime,
    **content: Any,
) -> tuple[int, int | None] | None:
    """Record another event of an open alert whose content changed, in one statement (the
    hot path of intake). Returns (alert id, incident id), or None when there is no open
    alert with this key or its content is the same."""
    # Core, not the ORM: the ORM's bookkeeping costs more than the statement. An Alert
    # already in this session keeps its old in-memory copy of these columns; nothing in
    # the same transaction reads them from there.
    row = (
        session.connection()
        .execute(
            _UPDATE_OPEN,
            {
                "w_service": service_id,
                "w_key": open_key,
                "payload_hash": payload_hash,
                "last_event_at": now,
                **content,
            },
        )
        .first()
    )
    return (row[0], row[1]) if row is not None else None


def open_alert_ids(
    session: Session, service_id: int, open_key: str
) -> tuple[int, int | None] | None:
    # Straight to the connection: open alerts are flushed as they are made, and the
    # session's other pending rows (timeline events) cannot change this answer.
    row = (
        session.connection()
        .execute(_OPEN_IDS, {"w_service": service_id, "w_key": open_key})
        .first()
    )
    return (row[0], row[1]) if row is not None else None


def find_open_incident(session: Session, service_id: int, open_dedup_key: str) -> Incident | None:
    # No autoflush: incidents are flushed as they are declared, and flushing the pending
    # timeline rows here would only cost time.
    with session.no_autoflush:
        return session.scalar(_OPEN_INCIDENT, {"w_service": service_id, "w_key": open_dedup_key})


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
