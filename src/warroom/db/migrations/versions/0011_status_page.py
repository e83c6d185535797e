"""status page

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "component_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_component_groups_code")),
        sa.UniqueConstraint("name", name=op.f("uq_component_groups_name")),
    )
    op.create_table(
        "maintenances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "verifying",
                "completed",
                name="maintenancestatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("auto_start", sa.Boolean(), nullable=False),
        sa.Column("auto_complete", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenances")),
        sa.UniqueConstraint("code", name=op.f("uq_maintenances_code")),
    )
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.create_index(
            "ix_maintenances_status_scheduled_for", ["status", "scheduled_for"], unique=False
        )

    op.create_table(
        "statuspage_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statuspage_revision")),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("kind", "address", name=op.f("uq_subscribers_kind")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_subscribers_token_hash")),
    )
    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column(
            "manual_status",
            sa.Enum(
                "operational",
                "under_maintenance",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                name="componentstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "under_maintenance",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                name="componentstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["component_groups.id"],
            name=op.f("fk_components_group_id_component_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint("code", name=op.f("uq_components_code")),
        sa.UniqueConstraint("name", name=op.f("uq_components_name")),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_components_group_id"), ["group_id"], unique=False)

    op.create_table(
        "maintenance_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maintenance_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "verifying",
                "completed",
                name="maintenancestatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenances.id"],
            name=op.f("fk_maintenance_updates_maintenance_id_maintenances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_updates")),
    )
    with op.batch_alter_table("maintenance_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_updates_maintenance_id"), ["maintenance_id"], unique=False
        )

    op.create_table(
        "audiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("severities", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_audiences_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
        sa.UniqueConstraint("name", name=op.f("uq_audiences_name")),
    )
    with op.batch_alter_table("audiences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audiences_service_id"), ["service_id"], unique=False)

    op.create_table(
        "component_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "under_maintenance",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                name="componentstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_component_status_changes_component_id_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_status_changes")),
    )
    with op.batch_alter_table("component_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_component_status_changes_component_at", ["component_id", "at"], unique=False
        )

    op.create_table(
        "maintenance_components",
        sa.Column("maintenance_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_maintenance_components_component_id_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenances.id"],
            name=op.f("fk_maintenance_components_maintenance_id_maintenances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "maintenance_id", "component_id", name=op.f("pk_maintenance_components")
        ),
    )
    with op.batch_alter_table("maintenance_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_components_component_id"), ["component_id"], unique=False
        )

    op.create_table(
        "incident_components",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "under_maintenance",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                name="componentstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_incident_components_component_id_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_components_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "component_id", name=op.f("pk_incident_components")),
    )
    with op.batch_alter_table("incident_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_components_component_id"), ["component_id"], unique=False
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("public_title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("public_code", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("public_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "impact",
                sa.Enum(
                    "none",
                    "minor",
                    "major",
                    "critical",
                    name="impact",
                    native_enum=False,
                    create_constraint=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("public_responders", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_unique_constraint(batch_op.f("uq_incidents_public_code"), ["public_code"])

    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maintenance_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_maintenance_windows_maintenance_id"), ["maintenance_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_maintenance_windows_maintenance_id_maintenances"),
            "maintenances",
            ["maintenance_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("component_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_services_component_id"), ["component_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_services_component_id_components"),
            "components",
            ["component_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("stakeholder_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("component_changes", sa.JSON(), nullable=False, server_default="[]")
        )

    revision_table = sa.table(
        "statuspage_revision", sa.column("id", sa.Integer()), sa.column("revision", sa.Integer())
    )
    op.bulk_insert(revision_table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_services_component_id_components"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_services_component_id"))
        batch_op.drop_column("component_id")

    with op.batch_alter_table("stakeholder_updates", schema=None) as batch_op:
        batch_op.drop_column("component_changes")

    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_maintenance_windows_maintenance_id_maintenances"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_maintenance_windows_maintenance_id"))
        batch_op.drop_column("maintenance_id")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_incidents_public_code"), type_="unique")
        batch_op.drop_column("public_responders")
        batch_op.drop_column("impact")
        batch_op.drop_column("public_at")
        batch_op.drop_column("public_code")
        batch_op.drop_column("public_title")
        batch_op.drop_column("public")

    with op.batch_alter_table("incident_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_components_component_id"))

    op.drop_table("incident_components")
    with op.batch_alter_table("maintenance_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_components_component_id"))

    op.drop_table("maintenance_components")
    with op.batch_alter_table("component_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_component_status_changes_component_at")

    op.drop_table("component_status_changes")
    with op.batch_alter_table("audiences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiences_service_id"))

    op.drop_table("audiences")
    with op.batch_alter_table("maintenance_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_updates_maintenance_id"))

    op.drop_table("maintenance_updates")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_group_id"))

    op.drop_table("components")
    op.drop_table("subscribers")
    op.drop_table("statuspage_revision")
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenances_status_scheduled_for")

    op.drop_table("maintenances")
    op.drop_table("component_groups")
