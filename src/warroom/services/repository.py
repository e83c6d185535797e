from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.db.pagination import Page, paginate
from warroom.errors import NotFound
from warroom.services.models import Service


def as_service_id(ref: str | int) -> int | None:
    """The id a reference names, if it is one. ASCII digits only: str.isdigit() is also
    true for '²', which int() refuses."""
    text = str(ref)
    if text.isascii() and text.isdigit() and int(text) < 2**31:
        return int(text)
    return None


def find_service(session: Session, ref: str | int) -> Service | None:
    """A service by id or by name, as paths and bodies name it."""
    if "\x00" in str(ref):  # no name holds it, and PostgreSQL refuses it in a query
        return None
    by_name = session.scalar(select(Service).where(Service.name == str(ref)))
    if by_name is not None:
        return by_name
    service_id = as_service_id(ref)
    return session.get(Service, service_id) if service_id is not None else None


def get_service(session: Session, ref: str | int) -> Service:
    service = find_service(session, ref)
    if service is None:
        raise NotFound(f"no service with id or name '{ref}'")
    return service


def list_services(session: Session) -> Sequence[Service]:
    return session.scalars(select(Service).order_by(Service.name)).all()


def page_services(session: Session, *, limit: int, cursor: str | None) -> Page[Service]:
    return paginate(session, select(Service), keys=[Service.name], limit=limit, cursor=cursor)
