from enum import StrEnum

from sqlalchemy import Enum


def str_enum(cls: type[StrEnum]) -> Enum:
    """Stored as the enum's value in a plain VARCHAR, so adding a member needs no DDL."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
