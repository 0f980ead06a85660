"""Issue 8: the trustees' signing keys and the signed postal line (record §2.1, §7.3).

``election_trustees.signing_public_key``: each trustee's Ed25519 key, registered with the
sealing key and bound by every dealer's proof of knowledge. ``election_postal_results``
gains the entering and the confirming trustee's index and signature of the line. All
stay NULL for elections keyed before: their postal line keeps the unsigned
confirmations (the verifier warns).

Revision ID: 0015_commission_keys
Revises: 0014_surveys
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_commission_keys"
down_revision: str | None = "0014_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("election_trustees") as batch:
        batch.add_column(sa.Column("signing_public_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("election_postal_results") as batch:
        batch.add_column(sa.Column("entered_by_trustee", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("entered_signature", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("confirmed_by_trustee", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("confirmed_signature", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("election_postal_results") as batch:
        batch.drop_column("confirmed_signature")
        batch.drop_column("confirmed_by_trustee")
        batch.drop_column("entered_signature")
        batch.drop_column("entered_by_trustee")
    with op.batch_alter_table("election_trustees") as batch:
        batch.drop_column("signing_public_key")
