"""Surveys: every signed checkpoint of the board is kept, not only the latest.

One row when a survey opens (the empty board) and one per batch
(``survey_checkpoints``). The record lists them all (format 3, ``checkpoints.jsonl``)
and a receipt names the one its answer was boarded under, so a board rewritten after
the fact contradicts notes already signed and handed out. Surveys that already have a
checkpoint keep it as their first row: the batches before this revision were not kept.

Revision ID: 0026_survey_checkpoints
Revises: 0022_mail_chunks
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_survey_checkpoints"
down_revision: str | None = "0022_mail_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_checkpoints_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_checkpoints")),
        sa.UniqueConstraint("survey_id", "tree_size", name="uq_survey_checkpoints_size"),
    )
    op.execute(
        "INSERT INTO survey_checkpoints (survey_id, tree_size, note) "
        "SELECT id, board_size, checkpoint FROM surveys WHERE checkpoint IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("survey_checkpoints")
