"""contact methods, notification rules, waking hours

Each user's `contacts` (a JSON list of Apprise URLs) becomes rows of `contact_methods`,
each with a notification rule at delay 0 (paged at once, as before), and the column goes:
the methods are the one place a person's contacts live. Pages remember the method and
the rule's delay; the same contact at two delays is two pages. `deliveries` logs what
went out through each method, for per-contact throttling.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_test_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("throttle_per_minute", sa.Integer(), server_default="5", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_methods_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_methods")),
    )
    with op.batch_alter_table("contact_methods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_methods_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_method_id", sa.Integer(), nullable=False),
        sa.Column("delay_minutes", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_method_id"],
            ["contact_methods.id"],
            name=op.f("fk_notification_rules_contact_method_id_contact_methods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_rules_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rules")),
    )
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_rules_contact_method_id"),
            ["contact_method_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notification_rules_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_method_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_method_id"],
            ["contact_methods.id"],
            name=op.f("fk_deliveries_contact_method_id_contact_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_method_sent", ["contact_method_id", "sent_at"], unique=False
        )

    _contacts_to_methods()

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waking_hours_start", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("waking_hours_end", sa.String(length=5), nullable=True))
        batch_op.drop_column("contacts")

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_method_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("delay_minutes", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.alter_column(
            "contact",
            existing_type=sa.String(length=1000),
            type_=sa.String(length=2000),
            existing_nullable=False,
        )
        batch_op.drop_constraint("uq_pages_incident_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_pages_incident_id",
            ["incident_id", "loop", "level", "user_id", "contact", "delay_minutes"],
        )
        batch_op.create_index(
            batch_op.f("ix_pages_contact_method_id"), ["contact_method_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pages_contact_method_id_contact_methods"),
            "contact_methods",
            ["contact_method_id"],
            ["id"],
            ondelete="SET NULL",
        )


_users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("contacts", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_methods = sa.table(
    "contact_methods",
    sa.column("id", sa.Integer()),
    sa.column("user_id", sa.Integer()),
    sa.column("url", sa.String()),
    sa.column("label", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_rules = sa.table(
    "notification_rules",
    sa.column("user_id", sa.Integer()),
    sa.column("contact_method_id", sa.Integer()),
    sa.column("delay_minutes", sa.Float()),
    sa.column("position", sa.Integer()),
)


def _contacts_to_methods() -> None:
    """Each existing contact URL: a method, paged at once (what it meant before)."""
    conn = op.get_bind()
    for user_id, contacts, created_at in conn.execute(
        sa.select(_users.c.id, _users.c.contacts, _users.c.created_at).order_by(_users.c.id)
    ):
        urls: list[Any] = contacts if isinstance(contacts, list) else []
        unique = list(dict.fromkeys(str(u).strip() for u in urls if str(u).strip()))
        for position, url in enumerate(unique):
            method_id = conn.execute(
                sa.insert(_methods)
                .values(user_id=user_id, url=url[:2000], label="", created_at=created_at)
                .returning(_methods.c.id)
            ).scalar_one()
            conn.execute(
                sa.insert(_rules).values(
                    user_id=user_id,
                    contact_method_id=method_id,
                    delay_minutes=0.0,
                    position=position,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_pages_contact_method_id_contact_methods"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_pages_contact_method_id"))
        batch_op.drop_constraint("uq_pages_incident_id", type_="unique")
    # Pages of one contact at several delays collapse to one key: keep the earliest.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "DELETE FROM pages WHERE delay_minutes > 0 AND EXISTS (SELECT 1 FROM pages p2 "
            "WHERE p2.incident_id = pages.incident_id AND p2.loop = pages.loop "
            "AND p2.level = pages.level AND p2.user_id = pages.user_id "
            "AND p2.contact = pages.contact AND p2.delay_minutes < pages.delay_minutes)"
        )
    )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_pages_incident_id", ["incident_id", "loop", "level", "user_id", "contact"]
        )
        batch_op.drop_column("delay_minutes")
        batch_op.drop_column("contact_method_id")
        batch_op.alter_column(
            "contact",
            existing_type=sa.String(length=2000),
            type_=sa.String(length=1000),
            existing_nullable=False,
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=True))
        batch_op.drop_column("waking_hours_end")
        batch_op.drop_column("waking_hours_start")
    by_user: dict[int, list[str]] = {}
    for user_id, url in conn.execute(
        sa.select(_methods.c.user_id, _methods.c.url).order_by(_methods.c.id)
    ):
        by_user.setdefault(user_id, []).append(url[:1000])
    for user_id in conn.execute(sa.select(_users.c.id)).scalars():
        conn.execute(
            sa.update(_users)
            .where(_users.c.id == user_id)
            .values(contacts=by_user.get(user_id, []))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("contacts", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_method_sent")
    op.drop_table("deliveries")
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_rules_user_id"))
        batch_op.drop_index(batch_op.f("ix_notification_rules_contact_method_id"))
    op.drop_table("notification_rules")
    with op.batch_alter_table("contact_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_methods_user_id"))
    op.drop_table("contact_methods")
