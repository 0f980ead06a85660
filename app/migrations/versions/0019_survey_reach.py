"""Issue 12: the survey paper line (entered and confirmed by staff), mail markers,
breakdown classes (one issuer key per class, the member's class on the frozen list), the
commitment of the frozen list and the running tallies.

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
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breakdown", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("classes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("class_keys_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("roll_commitment", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("roll_key_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("live_tallies", sa.Text(), nullable=True))
    with op.batch_alter_table("survey_roll_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("class_id", sa.String(length=8), nullable=True))
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
    op.create_table(
        "survey_mail_markers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_survey_mail_markers_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_mail_markers_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_mail_markers")),
        sa.UniqueConstraint("survey_id", "member_id", "kind", name="uq_survey_mail_markers"),
    )
    op.create_index(
        op.f("ix_survey_mail_markers_member_id"),
        "survey_mail_markers",
        ["member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_mail_markers_member_id"), table_name="survey_mail_markers")
    op.drop_table("survey_mail_markers")
    op.drop_table("survey_paper_lines")
    with op.batch_alter_table("survey_roll_entries", schema=None) as batch_op:
        batch_op.drop_column("class_id")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        for column in (
            "live_tallies",
            "roll_key_encrypted",
            "roll_commitment",
            "class_keys_encrypted",
            "classes",
            "breakdown",
        ):
            batch_op.drop_column(column)
