"""Issue 10: remaining staff tools and member flow — no schema change (a no-op).

What this part built needs no table or column: the create form's question blocks live
only in the posted form until the referendum is saved (the manifest holds the
questions, as before); the trustees' backup status on the management page reads the
existing `trustee_backups` table (0011); opening without every backup is recorded as an
audit event (`referendum:opened_without_backups`) in the existing audit table. The
revision stays in the chain so that it remains linear.

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
