"""A guided commission: trustee backups, the stated result, mails for due steps.

- trustee_backups: one row per election and trustee: the ceremony round and SHA-256 of
  the backup file the trustee confirmed saving, and when it was tested by a restore.
- result_statements: "Ergebnis feststellen": who stated the counted result and which
  second commission member confirmed it (the result is published only then). Results
  counted before this revision stay published: they get a row without names.
- commission_step_mails: one mail per election, account and due step; UNIQUE keeps
  concurrent scheduler runs from mailing a step twice.
- Downgrade drops the three tables (unpublished results then read as published).

Revision ID: 0011_commission_guidance
Revises: 0010_member_activation
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0011_commission_guidance"
down_revision: str | None = "0010_member_activation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = app.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trustee_backups",
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("trustee_index", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", _TIME, nullable=False),
        sa.Column("tested_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_trustee_backups_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "trustee_index", name=op.f("pk_trustee_backups")),
    )
    op.create_table(
        "result_statements",
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("stated_by_id", sa.Uuid(), nullable=True),
        sa.Column("stated_at", _TIME, nullable=False),
        sa.Column("confirmed_by_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_result_statements_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stated_by_id"],
            ["accounts.id"],
            name=op.f("fk_result_statements_stated_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["accounts.id"],
            name=op.f("fk_result_statements_confirmed_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("election_id", name=op.f("pk_result_statements")),
    )
    # Results counted before this revision were published at counting: keep them
    # published (a statement row without names, dated at the count).
    op.execute(
        "INSERT INTO result_statements (election_id, stated_at, confirmed_at) "
        "SELECT id, tallied_at, tallied_at FROM elections "
        "WHERE status = 'tallied' AND tallied_at IS NOT NULL"
    )
    op.create_table(
        "commission_step_mails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_commission_step_mails_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_commission_step_mails_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_step_mails")),
        sa.UniqueConstraint("election_id", "account_id", "step", name="uq_commission_step_mails"),
    )
    with op.batch_alter_table("commission_step_mails") as batch:
        batch.create_index(
            batch.f("ix_commission_step_mails_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commission_step_mails") as batch:
        batch.drop_index(batch.f("ix_commission_step_mails_account_id"))
    op.drop_table("commission_step_mails")
    op.drop_table("result_statements")
    op.drop_table("trustee_backups")
