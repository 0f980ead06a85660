"""Surveys: an index for receipt look-ups by answer hash.

A receipt look-up (``surveys.services.answer_receipt``) finds its answer by survey and
leaf hash; without an index each look-up read every answer of the survey.

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


def upgrade() -> None:
    op.create_index("ix_survey_answers_leaf", "survey_answers", ["survey_id", "leaf_hash"])


def downgrade() -> None:
    op.drop_index("ix_survey_answers_leaf", table_name="survey_answers")
