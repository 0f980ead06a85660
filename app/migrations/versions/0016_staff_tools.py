"""Issue 10: remaining staff tools and member flow.

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0016_staff_tools
Revises: 0015_commission_keys
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0016_staff_tools"
down_revision: str | None = "0015_commission_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
