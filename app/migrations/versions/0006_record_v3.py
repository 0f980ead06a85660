"""Record version 3: what the trustees bind (roll, keys, postal line).

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0006_record_v3
Revises: 0005_referendum_reminders
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0006_record_v3"
down_revision: str | None = "0005_referendum_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
