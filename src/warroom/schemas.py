"""Shapes shared by every context's API."""

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

from warroom.db.pagination import MAX_LIMIT, Page

T = TypeVar("T")


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(v) for v in value)
    return False


class In(BaseModel):
    """Request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refusing it here gives a 422 on every
        # database instead of a 500 on one and a stored control character on the other.
        if _has_nul(value):
            raise ValueError("text cannot contain NUL (\\x00) characters")
        return value


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ListOut(Out, Generic[T]):
    items: list[T]
    total: int
    next: str | None


R = TypeVar("R")


def list_out(page: Page[R], convert: Callable[[R], T]) -> ListOut[T]:
    return ListOut[T](items=[convert(r) for r in page.items], total=page.total, next=page.next)


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="`next` from the previous page")]


Handle = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", strip_whitespace=True),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{value}' is not an IANA time zone such as 'Europe/Paris'") from exc
    return value


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)]
