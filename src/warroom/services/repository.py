from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.lookup import as_id, find_by_ref, get_by_ref
from warroom.db.pagination import Page, paginate
from warroom.domain.alerts import Matcher, Window
from warroom.services.models import IntegrationKey, MaintenanceWindow, Service, Silence
from warroom.users.security import hash_token

# Kept under this name for the filters that take a service by id or name.
as_service_id = as_id


def find_service(session: Session, ref: str | int) -> Service | None:
    return find_by_ref(session, Service, Service.name, ref)


def get_service(session: Session, ref: str | int) -> Service:
    return get_by_ref(session, Service, Service.name, ref, "service")


def list_services(session: Session) -> Sequence[Service]:
    return session.scalars(select(Service).order_by(Service.name)).all()


def page_services(session: Session, *, limit: int, cursor: str | None) -> Page[Service]:
    return paginate(session, select(Service), keys=[Service.name], limit=limit, cursor=cursor)


def find_integration_key(session: Session, secret: str) -> IntegrationKey | None:
    key = session.scalar(
        select(IntegrationKey).where(IntegrationKey.key_hash == hash_token(secret))
    )
    return key if key is not None and key.revoked_at is None else None


def list_integration_keys(session: Session, service_id: int) -> Sequence[IntegrationKey]:
    return session.scalars(
        select(IntegrationKey)
        .where(IntegrationKey.service_id == service_id)
        .order_by(IntegrationKey.id)
    ).all()


def list_maintenance(session: Session, service_id: int) -> Sequence[MaintenanceWindow]:
    return session.scalars(
        select(MaintenanceWindow)
        .where(MaintenanceWindow.service_id == service_id)
        .order_by(MaintenanceWindow.starts_at.desc(), MaintenanceWindow.id.desc())
    ).all()


def list_silences(session: Session, service_id: int) -> Sequence[Silence]:
    return session.scalars(
        select(Silence)
        .where(Silence.service_id == service_id)
        .order_by(Silence.starts_at.desc(), Silence.id.desc())
    ).all()


def active_windows(session: Session, service_id: int, now: datetime) -> list[Window]:
    """Maintenance windows and silences in force now, as the domain's Window."""
    windows: list[Window] = []
    for m in session.scalars(
        select(MaintenanceWindow).where(
            MaintenanceWindow.service_id == service_id,
            MaintenanceWindow.starts_at <= now,
            MaintenanceWindow.ends_at > now,
        )
    ):
        reason = f"maintenance window {m.id}" + (f": {m.reason}" if m.reason else "")
        windows.append(Window(reason, m.starts_at, m.ends_at))
    for s in session.scalars(
        select(Silence).where(
            Silence.service_id == service_id, Silence.starts_at <= now, Silence.ends_at > now
        )
    ):
        matchers = tuple(Matcher.from_dict(m) for m in s.matchers)
        reason = f"silence {s.id}" + (f": {s.comment}" if s.comment else "")
        windows.append(Window(reason, s.starts_at, s.ends_at, matchers))
    return windows
