from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.errors import NotFound
from warroom.services.models import Service


def find_service(session: Session, ref: str | int) -> Service | None:
    """A service by id or by name, as paths and bodies name it."""
    by_name = session.scalar(select(Service).where(Service.name == str(ref)))
    if by_name is not None:
        return by_name
    if str(ref).isdigit() and int(ref) < 2**31:
        return session.get(Service, int(ref))
    return None


def get_service(session: Session, ref: str | int) -> Service:
    service = find_service(session, ref)
    if service is None:
        raise NotFound(f"no service with id or name '{ref}'")
    return service


def find_by_integration_key(session: Session, key: str) -> Service | None:
    return session.scalar(select(Service).where(Service.integration_key == key))


def list_services(session: Session) -> Sequence[Service]:
    return session.scalars(select(Service).order_by(Service.name)).all()
