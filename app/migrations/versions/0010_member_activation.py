"""Member self-activation: one-time letter codes for members without e-mail.

``activation_codes`` holds keyed hashes of the codes staff print in letters; with
the code and the membership number a member opens their own account.

Data: earlier versions linked an unconfirmed guest account to a member at the
invitation, keeping the password whoever registered the address had chosen (issue 9,
finding 2). Such accounts (member linked, address never confirmed) lose that password;
the member sets one with an activation link.

Revision ID: 0010_member_activation
Revises: 0009_platform_hardening
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0010_member_activation"
down_revision: str | None = "0009_platform_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_activation_codes_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_activation_codes_code_hash")),
    )
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activation_codes_member_id"), ["member_id"], unique=False
        )
    op.execute(
        sa.text(
            "UPDATE accounts SET password_hash = NULL "
            "WHERE member_id IS NOT NULL AND email_verified_at IS NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_codes_member_id"))
    op.drop_table("activation_codes")
