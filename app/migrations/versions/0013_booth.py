"""Voting booth (issue 10, points 3 and 4).

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0013_booth
Revises: 0012_discussions
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0013_booth"
down_revision: str | None = "0012_discussions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
