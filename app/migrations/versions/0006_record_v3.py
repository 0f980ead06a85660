"""Record version 3: the election fingerprint and the outcome statement the trustees bind.

``elections.fingerprint`` (H of manifest hash, issuer key, board key; the key ceremony's
context) and ``elections.outcome_statement`` (roll, issuance, final board checkpoint and
postal line, the partial decryptions' context). Both stay NULL for elections made
before: they keep the version-2 contexts (the manifest hash).

Revision ID: 0006_record_v3
Revises: 0005_referendum_reminders
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_record_v3"
down_revision: str | None = "0005_referendum_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("elections") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("outcome_statement", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("elections") as batch:
        batch.drop_column("outcome_statement")
        batch.drop_column("fingerprint")
