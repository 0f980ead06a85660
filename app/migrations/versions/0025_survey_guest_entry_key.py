"""Surveys: a guest's credential entry no longer carries an autoincrement id.

``survey_guest_entries`` rows are written when a guest gets a credential, so their
``id`` counted the guests in the order they asked: a finer time than the day the
table promises, and one the close's ``blur_issuance_order`` cannot blur. The row is
now keyed by ``(survey_id, account_id)``, which was unique already (the account id is
a random UUID). Downgrading numbers the rows again in whatever order they are stored.

Numbered 0025 because 0024 is taken by work under way; chained on the head when this
was written.

Revision ID: 0025_survey_guest_entry_key
Revises: 0023_survey_answer_leaf_index
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_survey_guest_entry_key"
down_revision: str | None = "0023_survey_answer_leaf_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "survey_guest_entries"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint("uq_survey_guest_entries_account", type_="unique")
        batch_op.drop_constraint("pk_survey_guest_entries", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_survey_guest_entries", ["survey_id", "account_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("pk_survey_guest_entries", TABLE, type_="primary")
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN id SERIAL")
        op.create_primary_key("pk_survey_guest_entries", TABLE, ["id"])
        op.create_unique_constraint(
            "uq_survey_guest_entries_account", TABLE, ["survey_id", "account_id"]
        )
        return
    # SQLite copies the table; its INTEGER PRIMARY KEY numbers the copied rows (rowid).
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint("pk_survey_guest_entries", type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), nullable=False))
        batch_op.create_primary_key("pk_survey_guest_entries", ["id"])
        batch_op.create_unique_constraint(
            "uq_survey_guest_entries_account", ["survey_id", "account_id"]
        )
