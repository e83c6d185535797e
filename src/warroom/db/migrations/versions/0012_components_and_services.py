"""components and services (issue 5)

Each service's free-text status-page component becomes a real component that the service
is linked to; the two columns that held it on the service go.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here, as they were when this revision was written: a migration must not follow
# later changes to the application's enums.
_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
_OPEN = ("triggered", "acknowledged", "investigating", "identified", "monitoring")

services = sa.table(
    "services",
    sa.column("id", sa.Integer()),
    sa.column("component", sa.String()),
    sa.column("component_status", sa.String()),
    sa.column("component_id", sa.Integer()),
    sa.column("mark_component", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
components = sa.table(
    "components",
    sa.column("id", sa.Integer()),
    sa.column("code", sa.String()),
    sa.column("name", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("group_id", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("public", sa.Boolean()),
    sa.column("manual_status", sa.String()),
    sa.column("status", sa.String()),
    sa.column("status_changed_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
history = sa.table(
    "component_status_changes",
    sa.column("component_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
)
incidents = sa.table(
    "incidents",
    sa.column("id", sa.Integer()),
    sa.column("service_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("dedup_key", sa.String()),
    sa.column("drill", sa.Boolean()),
)
incident_components = sa.table(
    "incident_components",
    sa.column("incident_id", sa.Integer()),
    sa.column("component_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("source", sa.String()),
    sa.column("added_at", sa.DateTime(timezone=True)),
)


def _code() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:12]


def _worst(a: str, b: str) -> str:
    return a if _STATUSES.index(a) > _STATUSES.index(b) else b


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(
        sa.select(
            services.c.id,
            services.c.component,
            services.c.component_status,
            services.c.mark_component,
        )
        .where(services.c.component.is_not(None), services.c.component != "")
        .order_by(services.c.component, services.c.id)
    ).all()
    by_name: dict[str, int] = {
        name: component_id
        for component_id, name in conn.execute(sa.select(components.c.id, components.c.name))
    }
    shown: dict[int, str] = {}
    position = conn.scalar(sa.select(sa.func.max(components.c.position)))
    position = -1 if position is None else position
    for service_id, name, old_status, mark in rows:
        name = name.strip()[:100] or "component"
        status = old_status if old_status in _STATUSES else "operational"
        component_id = by_name.get(name)
        if component_id is None:
            position += 1
            component_id = conn.execute(
                components.insert()
                .values(
                    code=_code(),
                    name=name,
                    description="",
                    group_id=None,
                    position=position,
                    public=True,
                    # Nobody could set it by hand before: what it said came from the
                    # service's open alert incidents, which are linked to it below.
                    manual_status="operational",
                    status="operational",
                    status_changed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(components.c.id)
            ).scalar_one()
            by_name[name] = component_id
        shown[component_id] = _worst(shown.get(component_id, "operational"), status)
        conn.execute(
            services.update().where(services.c.id == service_id).values(component_id=component_id)
        )
        if mark:
            # The incidents that held the old status: the new component's status is worked
            # out from them, so it stays what the page said until they resolve.
            for (incident_id,) in conn.execute(
                sa.select(incidents.c.id).where(
                    incidents.c.service_id == service_id,
                    incidents.c.status.in_(_OPEN),
                    incidents.c.dedup_key.is_not(None),
                    incidents.c.drill == sa.false(),
                )
            ):
                linked = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(incident_components)
                    .where(
                        incident_components.c.incident_id == incident_id,
                        incident_components.c.component_id == component_id,
                    )
                )
                if not linked:
                    conn.execute(
                        incident_components.insert().values(
                            incident_id=incident_id,
                            component_id=component_id,
                            status=None,
                            source="automatic",
                            added_at=now,
                        )
                    )
    for component_id, status in shown.items():
        if status != "operational":
            conn.execute(
                components.update()
                .where(components.c.id == component_id)
                .values(status=status, status_changed_at=now)
            )
            conn.execute(history.insert().values(component_id=component_id, status=status, at=now))

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("component_status")
        batch_op.drop_column("component")


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("component", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "component_status",
                sa.String(length=32),
                nullable=False,
                server_default="operational",
            )
        )
    conn = op.get_bind()
    # The components themselves stay (0011's downgrade drops them); the services get
    # their component's name and status back.
    for service_id, name, status in conn.execute(
        sa.select(services.c.id, components.c.name, components.c.status).join(
            components, components.c.id == services.c.component_id
        )
    ).all():
        conn.execute(
            services.update()
            .where(services.c.id == service_id)
            .values(component=name, component_status=status)
        )
