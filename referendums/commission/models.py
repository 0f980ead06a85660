"""What the guided commission records besides the ballot core's own tables.

- `TrusteeBackup`: that a trustee confirmed saving an encrypted backup of their key
  share (and later, optionally, that they restored it in another browser and it
  matched their public verification key). The server never sees the backup itself,
  only the SHA-256 of the file the browser wrote, so a later test can say which file
  was tested. A backup counts for the ceremony round it was made in: a restarted
  ceremony deals new shares and needs a new backup.
- `ResultStatement`: "Ergebnis feststellen". One commission member states the counted
  result, a second, different one confirms it; only then is the result published.
- `CommissionStepMail`: one mail per (election, account, due step), the UNIQUE key
  stopping two scheduler runs from mailing a step twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class TrusteeBackup(Base):
    __tablename__ = "trustee_backups"

    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    trustee_index: Mapped[int] = mapped_column(primary_key=True)
    round: Mapped[int]
    """The ceremony round whose key share the backup holds."""
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the backup file as the browser wrote it."""
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    tested_at: Mapped[datetime | None]
    """When the trustee restored the backup and it matched their verification key."""


class ResultStatement(Base):
    __tablename__ = "result_statements"

    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    stated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    """None only for results published before statements existed (migration 0011)."""
    stated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[datetime | None]

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class CommissionStepMail(Base):
    __tablename__ = "commission_step_mails"
    __table_args__ = (
        UniqueConstraint("election_id", "account_id", "step", name="uq_commission_step_mails"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
