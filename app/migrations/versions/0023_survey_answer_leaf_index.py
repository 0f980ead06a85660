"""Surveys: an index for receipt look-ups by answer hash.

A receipt look-up (``surveys.services.answer_receipt``) finds its answer by survey and
leaf hash; without an index each look-up read every answer of the survey.

On PostgreSQL the index is built CONCURRENTLY, outside the migration's transaction:
a plain CREATE INDEX holds off every write to ``survey_answers`` while it reads the
whole table, which on an upgrade during an open survey would stop the answers. If a
concurrent build fails it leaves an invalid index behind; the upgrade drops any such
leftover first, so running it again repairs it.

Chained on 0026, the head when this was written (0026 was numbered ahead and chained
on 0022), so that the history stays one line.

Revision ID: 0023_survey_answer_leaf_index
Revises: 0026_survey_checkpoints
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_survey_answer_leaf_index"
down_revision: str | None = "0026_survey_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEX, TABLE, COLUMNS = "ix_survey_answers_leaf", "survey_answers", ["survey_id", "leaf_hash"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(INDEX, TABLE, COLUMNS)
        return
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, if_exists=True, postgresql_concurrently=True)
        op.create_index(INDEX, TABLE, COLUMNS, postgresql_concurrently=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(INDEX, table_name=TABLE)
        return
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
