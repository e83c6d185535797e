"""subscribers audiences (issue 5): confirmation throttle and delivery health

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _health_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("last_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirm_sent_at", sa.DateTime(timezone=True), nullable=True))
        for column in _health_columns():
            batch_op.add_column(column)
    with op.batch_alter_table("audiences", schema=None) as batch_op:
        for column in _health_columns():
            batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("audiences", schema=None) as batch_op:
        for name in ("last_error", "last_failed_at", "last_delivered_at"):
            batch_op.drop_column(name)
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        for name in ("last_error", "last_failed_at", "last_delivered_at", "confirm_sent_at"):
            batch_op.drop_column(name)
