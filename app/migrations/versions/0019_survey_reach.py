"""Issue 12: the survey paper line (paper questionnaires entered and confirmed by staff).

Revision ID: 0019_survey_reach
Revises: 0018_survey_pages
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0019_survey_reach"
down_revision: str | None = "0018_survey_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_paper_lines",
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Uuid(), nullable=False),
        sa.Column("entered_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_paper_lines_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"],
            ["accounts.id"],
            name=op.f("fk_survey_paper_lines_entered_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["accounts.id"],
            name=op.f("fk_survey_paper_lines_confirmed_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_paper_lines")),
    )


def downgrade() -> None:
    op.drop_table("survey_paper_lines")
