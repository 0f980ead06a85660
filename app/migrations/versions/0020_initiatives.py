"""Issue 13: Mitgliederbegehren (initiatives).

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0020_initiatives
Revises: 0019_survey_reach
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0020_initiatives"
down_revision: str | None = "0019_survey_reach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
