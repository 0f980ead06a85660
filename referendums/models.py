"""Tables of the Mitgliederentscheid pages: the texts around an election.

The ballot core (`ballots.models.Election`) holds everything that is cryptographically
bound (title, questions, window, rules). A `Referendum` adds what members read before
they vote: the explanation and the arguments for and against, plain text rendered
escaped. Its primary key is the election's id, so one election is at most one
referendum. Its discussion lives in the discussion component (``app.discussions``,
kind "referendum", subject = the election id).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text
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
