"""Mitgliederbefragung: surveys on the ballot core.

Placeholder in the migration chain, filled in by the work it names; a no-op until then.

Revision ID: 0014_surveys
Revises: 0013_booth
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0014_surveys"
down_revision: str | None = "0013_booth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
