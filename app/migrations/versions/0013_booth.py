"""Voting booth (issue 10, points 3 and 4): no schema change.

The revision was reserved in the chain while the booth was built in parallel with other
work; the booth needed no table, so it stays a no-op and the chain stays linear.

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
