"""public incidents (issue 5)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing to add: 0011 already made every column public incidents need
    # (incidents.public / public_title / public_code / public_at / impact /
    # public_responders, stakeholder_updates.component_changes).
    pass


def downgrade() -> None:
    pass
