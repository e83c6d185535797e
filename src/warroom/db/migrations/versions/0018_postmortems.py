"""postmortems (issue 6)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from collections.abc import Sequence

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing to add: 0016 already made the postmortems and action_items tables this part needed.
    pass


def downgrade() -> None:
    pass
