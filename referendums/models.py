"""Tables of the Mitgliederentscheid pages: the texts around an election, and comments.

The ballot core (`ballots.models.Election`) holds everything that is cryptographically
bound (title, questions, window, rules). A `Referendum` adds what members read before
they vote: the explanation and the arguments for and against, plain text rendered
escaped. Its primary key is the election's id, so one election is at most one
referendum. `Comment` rows are the public discussion of a referendum.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Referendum(Base):
    """The texts of one Mitgliederentscheid (plain text; paragraphs split on blank lines)."""

    __tablename__ = "referendums"

    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    explanation: Mapped[str] = mapped_column(Text, default="")
    arguments_for: Mapped[str] = mapped_column(Text, default="")
    arguments_against: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """One post in the discussion of a referendum (members and guests may post)."""

    __tablename__ = "referendum_comments"
    __table_args__ = (Index("ix_referendum_comments_thread", "election_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referendums.election_id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden: Mapped[bool] = mapped_column(default=False)
    """Hidden by staff moderation: kept for the audit trail, not shown."""
