"""Reminder opt-out and the sent-markers of the referendum mails.

- accounts.referendum_reminders_opt_out: a member's choice not to get the reminder
  48 hours before a Mitgliederentscheid closes (default: reminders on; existing rows
  get false through the server default);
- referendum_mail_markers: one row per election, member and kind (invitation,
  reminder); UNIQUE (election_id, member_id, kind) keeps concurrent scheduler runs from
  sending a mail twice. Deleted with the election or the member.
- Downgrade drops the table and the column (the choices are lost).

Revision ID: 0005_referendum_reminders
Revises: 0004_referendums
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0005_referendum_reminders"
down_revision: str | None = "0004_referendums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column(
                "referendum_reminders_opt_out",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    op.create_table(
        "referendum_mail_markers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_referendum_mail_markers_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_referendum_mail_markers_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referendum_mail_markers")),
        sa.UniqueConstraint("election_id", "member_id", "kind", name="uq_referendum_mail_markers"),
    )
    with op.batch_alter_table("referendum_mail_markers") as batch:
        batch.create_index(
            batch.f("ix_referendum_mail_markers_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referendum_mail_markers") as batch:
        batch.drop_index(batch.f("ix_referendum_mail_markers_member_id"))
    op.drop_table("referendum_mail_markers")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("referendum_reminders_opt_out")
