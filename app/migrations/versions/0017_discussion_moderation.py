"""Issue 11: moderation queue, named moderators, bans.

Reserved in the chain while parallel work builds it; a revision that needs no table stays a
no-op so the chain stays linear.

Revision ID: 0017_discussion_moderation
Revises: 0016_staff_tools
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0017_discussion_moderation"
down_revision: str | None = "0016_staff_tools"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
