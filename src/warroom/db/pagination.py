"""Keyset pagination for every list the API serves: `{items, total, next}`.

A cursor names the last row a client saw by its sort key, so rows added meanwhile
never shift a page (as offsets would) and no page repeats a row.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from warroom.errors import Invalid

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    next: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    tagged = [
        ["d", v.isoformat()]
        if isinstance(v, datetime)
        else ["s", v]
        if isinstance(v, str)
        else ["i", int(v)]
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(tagged).encode()).decode().rstrip("=")


def _tag(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["d", value.isoformat()]
    if isinstance(value, str):
        return ["s", value]
    return ["i", int(value)]


def _fits(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 200 and "\x00" not in value


def _decode(cursor: str, width: int) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != width:
            raise ValueError("shape")
        values: list[Any] = []
        for tag, value in raw:
            if tag == "d":
                values.append(datetime.fromisoformat(value))
            elif (
                tag == "s" and isinstance(value, str) and len(value) <= 200 and "\x00" not in value
            ):
                values.append(value)
            elif tag == "i" and isinstance(value, int) and 0 <= value < 2**31:
                # Ids are 32-bit; a larger number would overflow the database's integer.
                values.append(value)
            else:
                raise ValueError(tag)
        return values
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not one this server handed out; drop it to start over") from exc


def paginate(
    session: Session,
    query: Select[T],
    *,
    keys: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> Page[T]:
    """`keys` must identify a row uniquely (end them with the primary key)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    ordered = query.order_by(*[k.desc() if descending else k.asc() for k in keys])
    if cursor:
        after = _decode(cursor, len(keys))
        row, last = tuple_(*keys), tuple_(*after)
        ordered = ordered.where(row < last if descending else row > last)
    rows = session.scalars(ordered.limit(limit + 1)).all()
    items = rows[:limit]
    following = None
    if len(rows) > limit and items:
        following = encode_cursor([_value(items[-1], k) for k in keys])
    return Page(items, total or 0, following)


def _value(row: Any, key: InstrumentedAttribute[Any]) -> Any:
    return getattr(row, key.key)
