"""Issue 13: Mitgliederbegehren (initiatives).

Rules as versioned data per unit, initiatives with their initiators, signatures (unique
per initiative and member: a double submission cannot count twice), the live counter on
the initiative, and the markers and opt-outs of the initiative mails.

Revision ID: 0020_initiatives
Revises: 0019_survey_reach
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0020_initiatives"
down_revision: str | None = "0019_survey_reach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "initiative_notice_opt_outs",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_initiative_notice_opt_outs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_initiative_notice_opt_outs")),
    )
    op.create_table(
        "initiative_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=False),
        sa.Column("signing_days", sa.Integer(), nullable=False),
        sa.Column("min_initiators", sa.Integer(), nullable=False),
        sa.Column("board_days", sa.Integer(), nullable=False),
        sa.Column(
            "quorum_kind",
            sa.Enum("turnout", "approval", name="quorumkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("quorum_percent", sa.Integer(), nullable=False),
        sa.Column("binding_months", sa.Integer(), nullable=False),
        sa.Column("overturn_body", sa.String(length=100), nullable=False),
        sa.Column("overturn_numerator", sa.Integer(), nullable=False),
        sa.Column("overturn_denominator", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_initiative_rules_created_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_initiative_rules_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_rules")),
        sa.UniqueConstraint("unit_id", "valid_from", name="uq_initiative_rules"),
    )
    with op.batch_alter_table("initiative_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_initiative_rules_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "initiatives",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rules_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("arguments_for", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "refused",
                "signing",
                "failed",
                "succeeded",
                "adopted",
                "referendum_due",
                "referendum",
                name="initiativestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_by_id", sa.Uuid(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("opens_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reference_date", sa.Date(), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("signature_count", sa.Integer(), nullable=False),
        sa.Column("decided_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final_count", sa.Integer(), nullable=True),
        sa.Column("commitment_root", sa.String(length=64), nullable=True),
        sa.Column("board_deadline", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("board_decided_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("board_answer", sa.Text(), nullable=True),
        sa.Column("election_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["accounts.id"], name=op.f("fk_initiatives_checked_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_initiatives_election_id_elections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rules_id"],
            ["initiative_rules.id"],
            name=op.f("fk_initiatives_rules_id_initiative_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["accounts.id"], name=op.f("fk_initiatives_started_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_initiatives_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiatives")),
        sa.UniqueConstraint("election_id", name=op.f("uq_initiatives_election_id")),
    )
    with op.batch_alter_table("initiatives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initiatives_board_deadline"), ["board_deadline"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_initiatives_closes_at"), ["closes_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_initiatives_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_initiatives_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "initiative_initiators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_initiative_initiators_initiative_id_initiatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_initiative_initiators_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_initiators")),
        sa.UniqueConstraint("initiative_id", "member_id", name="uq_initiator"),
    )
    with op.batch_alter_table("initiative_initiators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initiative_initiators_initiative_id"), ["initiative_id"], unique=False
        )

    op.create_table(
        "initiative_mail_markers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_initiative_mail_markers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_initiative_mail_markers_initiative_id_initiatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_mail_markers")),
        sa.UniqueConstraint("initiative_id", "account_id", "kind", name="uq_initiative_mail"),
    )
    op.create_table(
        "initiative_signatures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("online_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paper_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paper_entered_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_initiative_signatures_initiative_id_initiatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_initiative_signatures_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["paper_entered_by_id"],
            ["accounts.id"],
            name=op.f("fk_initiative_signatures_paper_entered_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_signatures")),
        sa.UniqueConstraint("initiative_id", "member_id", name="uq_initiative_signature"),
    )
    with op.batch_alter_table("initiative_signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_initiative_signatures_initiative", ["initiative_id", "id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("initiative_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_initiative_signatures_initiative")

    op.drop_table("initiative_signatures")
    op.drop_table("initiative_mail_markers")
    with op.batch_alter_table("initiative_initiators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_initiators_initiative_id"))

    op.drop_table("initiative_initiators")
    with op.batch_alter_table("initiatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiatives_unit_id"))
        batch_op.drop_index(batch_op.f("ix_initiatives_status"))
        batch_op.drop_index(batch_op.f("ix_initiatives_closes_at"))
        batch_op.drop_index(batch_op.f("ix_initiatives_board_deadline"))

    op.drop_table("initiatives")
    with op.batch_alter_table("initiative_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_rules_unit_id"))

    op.drop_table("initiative_rules")
    op.drop_table("initiative_notice_opt_outs")
