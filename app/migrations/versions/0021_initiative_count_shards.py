"""Issue 13: the live count of an initiative in shards.

Every online signature changed the initiative's own row; at 180 signatures a second
that row was the bottleneck. Signatures now change one of 16 counter rows
(``initiative_counts``); the live count is the initiative's counter plus its shards.
Initiatives open for signing get their shards here; their counter keeps what it has.

Revision ID: 0021_initiative_count_shards
Revises: 0020_initiatives
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_initiative_count_shards"
down_revision: str | None = "0020_initiatives"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16  # motions.models.COUNT_SHARDS when this was written


def upgrade() -> None:
    op.create_table(
        "initiative_counts",
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiatives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("initiative_id", "shard"),
    )
    signing = sa.table("initiatives", sa.column("id", sa.Uuid()), sa.column("status", sa.String()))
    counts = sa.table(
        "initiative_counts",
        sa.column("initiative_id", sa.Uuid()),
        sa.column("shard", sa.SmallInteger()),
        sa.column("signatures", sa.Integer()),
    )
    connection = op.get_bind()
    ids = connection.execute(sa.select(signing.c.id).where(signing.c.status == "signing"))
    rows = [
        {"initiative_id": initiative_id, "shard": shard, "signatures": 0}
        for (initiative_id,) in ids
        for shard in range(SHARDS)
    ]
    if rows:
        op.bulk_insert(counts, rows)


def downgrade() -> None:
    # Fold the shards back into the initiatives' own counters before dropping them.
    op.execute(
        "UPDATE initiatives SET signature_count = signature_count + COALESCE(("
        "SELECT SUM(signatures) FROM initiative_counts "
        "WHERE initiative_counts.initiative_id = initiatives.id), 0)"
    )
    op.drop_table("initiative_counts")
