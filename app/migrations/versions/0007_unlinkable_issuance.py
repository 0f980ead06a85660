"""Unlinkable issuance: no fine issuance times, shuffled board batches, stored records.

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0007_unlinkable_issuance
Revises: 0006_record_v3
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0007_unlinkable_issuance"
down_revision: str | None = "0006_record_v3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
