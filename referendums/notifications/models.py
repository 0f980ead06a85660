"""Markers of the mails sent for an election: at most one of each kind per member.

The UNIQUE constraint on ``(election_id, member_id, kind)`` is what makes "one
invitation, one reminder" hold when two scheduler runs overlap: the second insert
fails and that run skips the member. A marker is written in the same transaction that
queues the member's chunk of mails (sent only after the commit, ``app.core.celery``);
the chunk task sets ``done_at`` in the transaction of the member's mail, so a chunk
that runs again sends nobody's mail twice (``app.core.mail_batches``); a marker still
pending an hour after it was queued lost its chunk message and is deleted by the
schedule, which queues the mail again (``mail_batches.forget_lost``).

The reminder opt-out is the column ``accounts.referendum_reminders_opt_out``
(`app.accounts.models.Account`): the own-data page toggles it without importing this
package, and the mail's opt-out link sets it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, pending_mail_index, utcnow


class MailKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


class ReferendumMailMarker(Base):
    __tablename__ = "referendum_mail_markers"
    __table_args__ = (
        UniqueConstraint("election_id", "member_id", "kind", name="uq_referendum_mail_markers"),
        pending_mail_index("referendum_mail_markers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
