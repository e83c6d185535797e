import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.errors import Conflict
from warroom.services import repository
from warroom.services.models import Service


def new_integration_key() -> str:
    return secrets.token_hex(16)


def _ensure_name_free(session: Session, name: str, *, but: Service | None = None) -> None:
    existing = repository.find_service(session, name)
    if existing is not None and existing is not but:
        raise Conflict(f"a service named '{name}' already exists")
    if name.isdigit():
        raise Conflict("a service name cannot be only digits: paths use digits for ids")


def do_create_service(
    session: Session,
    *,
    name: str,
    description: str = "",
    component: str | None = None,
    now: datetime,
) -> Service:
    _ensure_name_free(session, name)
    service = Service(
        name=name,
        description=description,
        component=component,
        integration_key=new_integration_key(),
        created_at=now,
    )
    session.add(service)
    session.flush()
    return service


def do_update_service(
    session: Session,
    *,
    ref: str | int,
    name: str | None = None,
    description: str | None = None,
    component: str | None = None,
    rotate_integration_key: bool = False,
) -> Service:
    service = repository.get_service(session, ref)
    if name is not None and name != service.name:
        _ensure_name_free(session, name, but=service)
        service.name = name
    if description is not None:
        service.description = description
    if component is not None:
        service.component = component or None
    if rotate_integration_key:
        service.integration_key = new_integration_key()
    session.flush()
    return service
