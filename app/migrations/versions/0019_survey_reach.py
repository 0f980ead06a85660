"""Issue 12: survey classes, invitations, paper answers, auto-close.

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0019_survey_reach
Revises: 0018_survey_pages
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0019_survey_reach"
down_revision: str | None = "0018_survey_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
