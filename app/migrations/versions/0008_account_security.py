"""Accounts: second-factor limits, recovery codes, passkeys, safe activation.

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0008_account_security
Revises: 0007_unlinkable_issuance
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0008_account_security"
down_revision: str | None = "0007_unlinkable_issuance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
