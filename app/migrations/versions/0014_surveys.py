"""Mitgliederbefragung: surveys on the ballot core (issue 12).

Surveys, their frozen member audience (credential issued on a day, never a finer time),
guest credentials and the anonymous answers (no account, address or time; random ids).

Revision ID: 0014_surveys
Revises: 0013_booth
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0014_surveys"
down_revision: str | None = "0013_booth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, app.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="surveystatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("guests_allowed", sa.Boolean(), nullable=False),
        sa.Column("results_live", sa.Boolean(), nullable=False),
        _when("opens_at"),
        _when("closes_at"),
        _when("created_at"),
        sa.Column("copied_from", sa.Uuid(), nullable=True),
        sa.Column("manifest_hash", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("eligible_members", sa.Integer(), nullable=True),
        sa.Column("member_issuer_spki", sa.Text(), nullable=True),
        sa.Column("member_issuer_encrypted", sa.Text(), nullable=True),
        sa.Column("guest_issuer_spki", sa.Text(), nullable=True),
        sa.Column("guest_issuer_encrypted", sa.Text(), nullable=True),
        sa.Column("board_public_key", sa.String(length=64), nullable=True),
        sa.Column("board_key_encrypted", sa.Text(), nullable=True),
        sa.Column("board_size", sa.Integer(), nullable=False),
        sa.Column("board_frontier", sa.LargeBinary(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("record_zip", sa.LargeBinary(), nullable=True),
        sa.Column("record_etag", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_surveys_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "survey_roll_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("credential_issued_on", sa.Date(), nullable=True),
        sa.Column("blinded_request_hash", sa.String(length=64), nullable=True),
        sa.Column("blind_signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_survey_roll_entries_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_roll_entries_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_roll_entries")),
        sa.UniqueConstraint("survey_id", "member_id", name="uq_survey_roll_entries_member"),
    )
    op.create_table(
        "survey_guest_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("credential_issued_on", sa.Date(), nullable=False),
        sa.Column("blinded_request_hash", sa.String(length=64), nullable=False),
        sa.Column("blind_signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_survey_guest_entries_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_guest_entries_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_guest_entries")),
        sa.UniqueConstraint("survey_id", "account_id", name="uq_survey_guest_entries_account"),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("credential_key", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_answers_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("survey_id", "credential_key", name="uq_survey_answers_credential"),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index("ix_survey_answers_board", ["survey_id", "leaf_index"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_board")
    op.drop_table("survey_answers")
    op.drop_table("survey_guest_entries")
    op.drop_table("survey_roll_entries")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_unit_id"))
    op.drop_table("surveys")
