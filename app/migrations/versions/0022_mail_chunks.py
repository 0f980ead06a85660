"""Issue 12: invitations and reminders go out in chunk tasks.

A survey's or referendum's invitations are queued as one Celery task per chunk of
members (ids only), which sends the chunk's mails itself. The markers get ``done_at``:
set in the transaction of the member's mail, NULL while the mail is still to be sent,
so a chunk that runs again (a retry, a message the broker delivered twice) sends
nobody's mail twice. Markers written before this were queued as single mails: done.

Revision ID: 0022_mail_chunks
Revises: 0021_initiative_count_shards
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0022_mail_chunks"
down_revision: str | None = "0021_initiative_count_shards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("survey_mail_markers", "referendum_mail_markers")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("done_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
            )
        op.execute(f"UPDATE {name} SET done_at = sent_at")  # noqa: S608 - fixed table names


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("done_at")
