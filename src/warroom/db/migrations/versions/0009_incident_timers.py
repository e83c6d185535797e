"""per-service acknowledgement and auto-resolve timeouts, incident timers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

Existing open incidents get no timer rows: their breach is still noted lazily by the
next action on them, and their timers start with the next acknowledgement or update.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ack_timeout_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_resolve_minutes", sa.Integer(), nullable=True))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retriggered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("auto_resolve_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("next_update_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("updates_on_time", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("updates_late", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("updates_late")
        batch_op.drop_column("updates_on_time")
        batch_op.drop_column("next_update_due_at")
        batch_op.drop_column("auto_resolve_at")
        batch_op.drop_column("retriggered_at")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("auto_resolve_minutes")
        batch_op.drop_column("ack_timeout_minutes")
