"""on-call schedules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_schedules_name")),
    )
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_calendar_feed_tokens_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feed_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("calendar_feed_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_tokens_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_tokens_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "schedule_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("users", sa.JSON(), nullable=False),
        sa.Column("rotation_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("turn_length_hours", sa.Float(), nullable=False),
        sa.Column("restrictions", sa.JSON(), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_layers_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_layers")),
    )
    with op.batch_alter_table("schedule_layers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_layers_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_overrides_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_overrides")),
    )
    with op.batch_alter_table("schedule_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_overrides_end_at"), ["end_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_schedule_overrides_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_end_at"))

    op.drop_table("schedule_overrides")
    with op.batch_alter_table("schedule_layers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_layers_schedule_id"))

    op.drop_table("schedule_layers")
    with op.batch_alter_table("calendar_feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feed_tokens_schedule_id"))

    op.drop_table("calendar_feed_tokens")
    op.drop_table("schedules")
