"""reports (issue 6): indexes the incident report, trend and on-call load read

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27

On SQLite, three more indexes hold julianday() of the timestamps (indexes on
expressions), in the orders warroom.reports reads them: a report then reads numbers from
an index instead of parsing a million timestamps, and pairs each incident with the one
before it without sorting. Alembic cannot compare indexes on expressions, so the models
do not declare these; PostgreSQL computes durations from timestamptz and does not need
them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> the indexed columns and expressions (warroom.reports.sql renders the same).
SQLITE_REPORT_INDEXES = {
    # The report's grouped scan (tally.py) and its order within (service, severity)
    # (gaps.py): every value the report reads, so the table itself is never read.
    "ix_incidents_report_by_severity": (
        "drill, service_id, severity, julianday(started_at), julianday(triggered_at), id, "
        "julianday(detected_at), julianday(acknowledged_at), julianday(resolved_at), "
        "response_target_minutes, status, dedup_key"
    ),
    # Each service's incidents in order of start, for the time between failures.
    "ix_incidents_report_by_service": (
        "drill, service_id, julianday(started_at), julianday(triggered_at), id, "
        "julianday(resolved_at)"
    ),
    # "Resolved in the 7 days before it started", for repeat incidents.
    "ix_incidents_report_repeats": "service_id, dedup_key, drill, julianday(resolved_at)",
}


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_drill_triggered", ["drill", "triggered_at"])
        batch_op.create_index(
            "ix_incidents_service_dedup_resolved", ["service_id", "dedup_key", "resolved_at"]
        )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index("ix_pages_user_sent", ["user_id", "sent_at"])
    if op.get_bind().dialect.name == "sqlite":
        for name, columns in SQLITE_REPORT_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON incidents ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_REPORT_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index("ix_pages_user_sent")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_service_dedup_resolved")
        batch_op.drop_index("ix_incidents_drill_triggered")
