"""Member self-activation: membership number with register address or letter code.

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0010_member_activation
Revises: 0009_platform_hardening
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0010_member_activation"
down_revision: str | None = "0009_platform_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
