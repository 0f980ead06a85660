"""Issue 8: commission members' own signing keys for the postal line.

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0015_commission_keys
Revises: 0014_surveys
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0015_commission_keys"
down_revision: str | None = "0014_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
