"""Platform hardening: the unit an audit event is about, for scoping the log.

``audit_events.unit_id`` lets an admin of a part of the tree read the events about that
part only (issue 9, finding 9). Plain ``ADD COLUMN`` on purpose, not a batch rebuild: a
rebuilt SQLite table would lose the triggers that keep the log append-only. Events
written before this revision have no unit and are visible to admins of the root unit
only (the log cannot be updated to fill it in).

Revision ID: 0009_platform_hardening
Revises: 0008_account_security
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_platform_hardening"
down_revision: str | None = "0008_account_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("unit_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_events_unit_id", "audit_events", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_unit_id", table_name="audit_events")
    op.drop_column("audit_events", "unit_id")  # native DROP COLUMN keeps the triggers
