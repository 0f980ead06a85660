"""Platform hardening: input limits, throttles, purges, scoped audit.

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0009_platform_hardening
Revises: 0008_account_security
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0009_platform_hardening"
down_revision: str | None = "0008_account_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
