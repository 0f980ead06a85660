"""Tables of the discussion component.

A `Discussion` is one thread container: a standalone debate of a unit (``kind``
"debate") or the discussion of another module's object (``kind`` "referendum" with
``subject_id`` = the election id). Posts form threads through ``parent_id`` (replies,
one level shown nested; deeper replies attach to the top post they answer). Counters
of agreement live on the post so "most agreed" and the page need no aggregate query.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UUIDPrimaryKey, utcnow


class ReadScope(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    UNIT = "unit"  # members of the discussion's unit and the units below it


class PostScope(StrEnum):
    MEMBERS = "members"
    EVERYONE = "everyone"  # members and guests


class Stance(StrEnum):
    FOR = "for"
    AGAINST = "against"
    NEUTRAL = "neutral"


class Discussion(UUIDPrimaryKey, Base):
    __tablename__ = "discussions"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", name="uq_discussions_subject"),
        Index("ix_discussions_unit", "unit_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID | None]
    """The object of another module this discussion belongs to (None for a debate)."""
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(200))
    opening: Mapped[str] = mapped_column(Text, default="")
    read_scope: Mapped[str] = mapped_column(String(16), default=ReadScope.PUBLIC)
    post_scope: Mapped[str] = mapped_column(String(16), default=PostScope.EVERYONE)
    closes_at: Mapped[datetime | None]
    """None: open-ended."""
    hold_first_guest_post: Mapped[bool] = mapped_column(default=False)
    opened_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_open(self, now: datetime) -> bool:
        return self.closes_at is None or now < self.closes_at


class Post(Base):
    __tablename__ = "discussion_posts"
    __table_args__ = (
        # The page: top-level posts of a discussion that are not held, in order (an
        # index-only scan even for a deep OFFSET), then the replies of a page.
        Index("ix_discussion_posts_thread", "discussion_id", "parent_id", "held", "id"),
        Index("ix_discussion_posts_author", "author_id", "created_at"),
        # PostgreSQL also has ix_discussion_posts_search, a GIN index over
        # to_tsvector('german', body), created by migration 0012 only (SQLite has no such
        # index; alembic cannot compare expression indexes there: env.py skips it).
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="SET NULL")
    )
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    """Deleted by its author: the body is emptied, a tombstone keeps the thread readable."""
    held: Mapped[bool] = mapped_column(default=False)
    """A new guest's first post waiting for a moderator's approval."""
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    agree_count: Mapped[int] = mapped_column(default=0)
    disagree_count: Mapped[int] = mapped_column(default=0)
    neutral_count: Mapped[int] = mapped_column(default=0)


class Reaction(Base):
    """One agreement marker per account and post (changing it replaces it)."""

    __tablename__ = "discussion_reactions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    stance: Mapped[str] = mapped_column(String(16))


class Report(Base):
    __tablename__ = "discussion_reports"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class Moderator(Base):
    """A named moderator of one discussion (besides staff and board of its unit)."""

    __tablename__ = "discussion_moderators"

    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)


class Ban(Base):
    __tablename__ = "discussion_bans"

    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(Base):
    """What an account has seen of a discussion, and whether it follows it."""

    __tablename__ = "discussion_visits"

    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_seen_post_id: Mapped[int] = mapped_column(default=0)
    following: Mapped[bool] = mapped_column(default=False)


class Profile(Base):
    """An account's choices for discussions: public name and the daily digest."""

    __tablename__ = "discussion_profiles"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    full_name_public: Mapped[bool] = mapped_column(default=False)
    """Consent to show the full name (and so membership) to visitors without a login."""
    digest_opt_out: Mapped[bool] = mapped_column(default=False)
    last_digest_at: Mapped[datetime | None]
