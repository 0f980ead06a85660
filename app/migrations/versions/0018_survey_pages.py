"""Issue 12: survey pages in the browser.

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0018_survey_pages
Revises: 0017_discussion_moderation
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0018_survey_pages"
down_revision: str | None = "0017_discussion_moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
