"""Finding a row the way paths and bodies name it: by name, or by id."""

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from warroom.db.base import Base
from warroom.errors import Conflict, NotFound

M = TypeVar("M", bound=Base)


def as_id(ref: str | int) -> int | None:
    """The id a reference names, if it is one. ASCII digits only: str.isdigit() is also
    true for '²', which int() refuses; and ids are 32-bit."""
    text = str(ref)
    if text.isascii() and text.isdigit() and int(text) < 2**31:
        return int(text)
    return None


def find_by_ref(
    session: Session, model: type[M], name: InstrumentedAttribute[Any], ref: str | int
) -> M | None:
    """A name wins over an id: a row named "42" is found by "42"."""
    if "\x00" in str(ref):  # no name holds it, and PostgreSQL refuses it in a query
        return None
    by_name = session.scalar(select(model).where(name == str(ref)))
    if by_name is not None:
        return by_name
    row_id = as_id(ref)
    return session.get(model, row_id) if row_id is not None else None


def get_by_ref(
    session: Session, model: type[M], name: InstrumentedAttribute[Any], ref: str | int, what: str
) -> M:
    found = find_by_ref(session, model, name, ref)
    if found is None:
        raise NotFound(f"no {what} with id or name '{ref}'")
    return found


def ensure_name_free(
    session: Session,
    model: type[M],
    name_column: InstrumentedAttribute[Any],
    name: str,
    *,
    what: str,
    but: M | None = None,
) -> None:
    """Names are unique and never all digits (paths read digits as ids)."""
    existing = session.scalar(select(model).where(name_column == name))
    if existing is not None and existing is not but:
        raise Conflict(f"{what} named '{name}' already exists")
    if name.isdigit():
        raise Conflict(f"{what} name cannot be only digits: paths use digits for ids")
