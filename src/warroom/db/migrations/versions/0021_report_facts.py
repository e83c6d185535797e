"""report facts (issue 6): time spent in each phase, and what SQLite reports read
instead of pairing incidents

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27

Each incident keeps how long it spent in each lifecycle phase (warroom.incidents.
phase_time) and, on SQLite, facts about its neighbours (warroom.reports.facts): the
previous incident of its service and of its service's severity, and whether it repeats
an earlier one. Existing incidents get both computed here. On SQLite a new covering index
holds every value the report's grouped scan reads, in its group order, so the report
still never reads the table; one more finds the longest detection lag at once (gaps.py
bounds its corrections by it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PHASE_COLUMNS = (
    "detection_seconds",
    "triage_seconds",
    "response_seconds",
    "recovery_seconds",
    "analysis_seconds",
    "improvement_seconds",
)

# 0017's ix_incidents_report_by_severity stays: it orders each service's incidents of one
# severity (facts.py and gaps.py seek it); the grouped scan moves to the index below.
SQLITE_REPORT_INDEXES = {
    # Every value the report's grouped scan reads (tally.py), in its group order.
    "ix_incidents_report_tally": (
        "drill, service_id, severity, status, julianday(triggered_at), "
        "julianday(started_at), julianday(detected_at), julianday(acknowledged_at), "
        "julianday(resolved_at), response_target_minutes, is_repeat, "
        "julianday(previous_triggered_at), gap_after_previous_seconds, "
        "julianday(previous_of_severity_triggered_at), gap_after_previous_of_severity_seconds, "
        "julianday(phase_since), " + ", ".join(PHASE_COLUMNS)
    ),
    # The longest time from start to trigger, one seek away (gaps.py).
    "ix_incidents_report_lag": "drill, (julianday(triggered_at) - julianday(started_at))",
}


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): SQLite adds columns in place, keeping 0017's indexes.
    op.add_column("incidents", sa.Column("phase_since", sa.DateTime(timezone=True), nullable=True))
    for name in PHASE_COLUMNS:
        op.add_column("incidents", sa.Column(name, sa.Float(), server_default="0", nullable=False))
    op.add_column(
        "incidents", sa.Column("previous_triggered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("incidents", sa.Column("gap_after_previous_seconds", sa.Float(), nullable=True))
    op.add_column(
        "incidents",
        sa.Column("previous_of_severity_triggered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "incidents",
        sa.Column("gap_after_previous_of_severity_seconds", sa.Float(), nullable=True),
    )
    op.add_column(
        "incidents",
        sa.Column("is_repeat", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    bind = op.get_bind()
    # Imported here: the definitions live with the code that keeps them current.
    from warroom.incidents.phase_time import rebuild_phase_time
    from warroom.reports.facts import rebuild_facts

    rebuild_phase_time(bind)
    if bind.dialect.name == "sqlite":
        rebuild_facts(bind)
        for name, columns in SQLITE_REPORT_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON incidents ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_REPORT_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in (
        "is_repeat",
        "gap_after_previous_of_severity_seconds",
        "previous_of_severity_triggered_at",
        "gap_after_previous_seconds",
        "previous_triggered_at",
        *PHASE_COLUMNS,
        "phase_since",
    ):
        op.drop_column("incidents", name)
