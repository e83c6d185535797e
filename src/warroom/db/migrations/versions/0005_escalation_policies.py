"""escalation policies

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_escalation_policies_name")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_policy_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_services_escalation_policy_id"), ["escalation_policy_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_services_escalation_policy_id_escalation_policies"),
            "escalation_policies",
            ["escalation_policy_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_services_escalation_policy_id_escalation_policies"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_services_escalation_policy_id"))
        batch_op.drop_column("escalation_policy_id")

    op.drop_table("escalation_policies")
