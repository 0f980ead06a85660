"""Member list index includes the status, so active-member pages need no sort.

Revision ID: 0002
Revises: 3348462f34f2
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "3348462f34f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_unit_sort")
        batch_op.create_index(
            "ix_members_unit_list",
            ["unit_id", "status", "family_name", "given_name", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_unit_list")
        batch_op.create_index(
            "ix_members_unit_sort", ["unit_id", "family_name", "given_name", "id"], unique=False
        )
