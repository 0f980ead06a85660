"""Mitgliederentscheid pages: referendum texts and the comment thread.

- referendums: one row per election that is a Mitgliederentscheid (PK = elections.id,
  deleted with the election);
- referendum_comments: the public discussion; a hidden flag for staff moderation
  (hidden comments stay for the audit trail);
- no data migration: both tables are new. Downgrade drops them (and every comment).

Revision ID: 0004_referendums
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0004_referendums"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referendums",
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("arguments_for", sa.Text(), nullable=False),
        sa.Column("arguments_against", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_referendums_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_referendums_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", name=op.f("pk_referendums")),
    )
    op.create_table(
        "referendum_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name=op.f("fk_referendum_comments_author_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["referendums.election_id"],
            name=op.f("fk_referendum_comments_election_id_referendums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referendum_comments")),
    )
    with op.batch_alter_table("referendum_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referendum_comments_thread", ["election_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referendum_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_referendum_comments_thread")
    op.drop_table("referendum_comments")
    op.drop_table("referendums")
