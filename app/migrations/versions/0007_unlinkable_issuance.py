"""Unlinkable issuance: credential issuance kept at day precision only.

``roll_entries.credential_issued_at`` (microseconds) ordered against the board linked
ballots to members; it becomes ``credential_issued_on`` (the UTC day). Existing values
are cut to their day, then the fine column is dropped.

Revision ID: 0007_unlinkable_issuance
Revises: 0006_record_v3
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0007_unlinkable_issuance"
down_revision: str | None = "0006_record_v3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_roll = sa.table(
    "roll_entries",
    sa.column("id", sa.Integer()),
    sa.column("credential_issued_at", app.core.db.UTCDateTime(timezone=True)),
    sa.column("credential_issued_on", sa.Date()),
)


def upgrade() -> None:
    with op.batch_alter_table("roll_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_issued_on", sa.Date(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_roll.c.id, _roll.c.credential_issued_at).where(
            _roll.c.credential_issued_at.is_not(None)
        )
    ).all()
    for row in rows:
        connection.execute(
            sa.update(_roll)
            .where(_roll.c.id == row.id)
            .values(credential_issued_on=row.credential_issued_at.date())
        )
    with op.batch_alter_table("roll_entries", schema=None) as batch_op:
        batch_op.drop_column("credential_issued_at")


def downgrade() -> None:
    with op.batch_alter_table("roll_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credential_issued_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_roll.c.id, _roll.c.credential_issued_on).where(
            _roll.c.credential_issued_on.is_not(None)
        )
    ).all()
    for row in rows:  # midnight UTC of the day: the finer time is gone for good
        connection.execute(
            sa.update(_roll)
            .where(_roll.c.id == row.id)
            .values(credential_issued_at=datetime.combine(row.credential_issued_on, time(), UTC))
        )
    with op.batch_alter_table("roll_entries", schema=None) as batch_op:
        batch_op.drop_column("credential_issued_on")
