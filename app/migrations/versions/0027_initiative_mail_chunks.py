"""Initiative mails go out in chunk tasks; lost chunk messages are found by age.

Issue 13, point 6: the mails about an initiative (the new initiative, success, failure,
the board's answer, the Entscheid) are queued as the invitations are
(``app.core.mail_batches``): one marker per member, kind and initiative, written with
the chunk's Celery message, ``done_at`` set in the transaction of the member's mail.
The markers were per account; they are now per member (the chunk tasks carry member
ids), filled from the account's member. Markers written before this were queued as
single mails: done.

Every ``*_mail_markers`` table gets a partial index of its pending markers by age
(``WHERE done_at IS NULL``), read by each schedule run to find markers whose chunk
message the broker lost (``mail_batches.forget_lost``).

Numbered 0027: 0025 and 0026 exist and 0024 is taken by work under way; chained on the
head when this was written.

Revision ID: 0027_initiative_mail_chunks
Revises: 0025_survey_guest_entry_key
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0027_initiative_mail_chunks"
down_revision: str | None = "0025_survey_guest_entry_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "initiative_mail_markers"
PENDING = ("survey_mail_markers", "referendum_mail_markers", TABLE)


def _pending_index(name: str) -> None:
    where = sa.text("done_at IS NULL")
    op.create_index(
        f"ix_{name}_pending",
        name,
        ["sent_at"],
        unique=False,
        postgresql_where=where,
        sqlite_where=where,
    )


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("done_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        f"UPDATE {TABLE} SET done_at = sent_at, member_id = "  # noqa: S608 - fixed names
        f"(SELECT accounts.member_id FROM accounts WHERE accounts.id = {TABLE}.account_id)"
    )
    op.execute(f"DELETE FROM {TABLE} WHERE member_id IS NULL")  # noqa: S608
    op.execute(  # one member, one mail of a kind: keep the first marker
        f"DELETE FROM {TABLE} WHERE id NOT IN (SELECT min(id) FROM {TABLE} "  # noqa: S608
        "GROUP BY initiative_id, kind, member_id)"
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint("uq_initiative_mail", type_="unique")
        batch_op.drop_constraint(
            "fk_initiative_mail_markers_account_id_accounts", type_="foreignkey"
        )
        batch_op.drop_column("account_id")
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_initiative_mail_markers_member_id_members"),
            "members",
            ["member_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            "uq_initiative_mail", ["initiative_id", "kind", "member_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_initiative_mail_markers_member_id"), ["member_id"], unique=False
        )
    for name in PENDING:
        _pending_index(name)


def downgrade() -> None:
    for name in PENDING:
        op.drop_index(f"ix_{name}_pending", table_name=name)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Uuid(), nullable=True))
    op.execute(
        f"UPDATE {TABLE} SET account_id = "  # noqa: S608 - fixed names
        f"(SELECT accounts.id FROM accounts WHERE accounts.member_id = {TABLE}.member_id)"
    )
    op.execute(f"DELETE FROM {TABLE} WHERE account_id IS NULL")  # noqa: S608
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_mail_markers_member_id"))
        batch_op.drop_constraint("uq_initiative_mail", type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_initiative_mail_markers_member_id_members"), type_="foreignkey"
        )
        batch_op.drop_column("member_id")
        batch_op.drop_column("done_at")
        batch_op.alter_column("account_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_initiative_mail_markers_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            "uq_initiative_mail", ["initiative_id", "account_id", "kind"]
        )
