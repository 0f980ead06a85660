"""The moderation queue: what waits for the moderators of the discussions one moderates.

Two kinds of items wait: posts with open reports (reasons and how many) and posts of new
guests held for approval. The queue across all discussions (``/discussions/moderation``)
shows each item only where the reader may moderate (staff or board of the unit or above,
or a named moderator); the queue of one discussion adds its hidden posts (to show them
again), its exclusions and its named moderators (the last two managed by staff and
board only).

Scoping is done per discussion with ``policies.may_moderate``: the candidates are only
the discussions that have something waiting, found through the reports' post index and
the thread index (``held``), so the check runs a few times, never once per debate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.errors import Forbidden
from app.core.i18n import N_
from app.core.lookup import get_or_404
from app.discussions import policies
from app.discussions.markup import render
from app.discussions.models import Ban, Discussion, Moderator, Post, Report
from app.discussions.queries import Author, AuthorNames
from app.discussions.services import page_url
from app.organisations import policies as organisation_policies

ITEM_LIMIT: Final = 200
"""At most this many items per list: a flood is still a page, the rest follows after."""
NOT_A_MODERATOR_MESSAGE = N_("Only the moderators of a discussion see its moderation queue.")


@dataclass
class QueueItem:
    post: Post
    discussion: Discussion
    author: Author
    html: str
    path: str
    """Where the post is read in context."""
    reasons: list[str] = field(default_factory=list)
    """Reasons of the open reports, oldest first (the count is their number)."""
    banned: bool = False


@dataclass(frozen=True)
class BanEntry:
    account_id: uuid.UUID
    author: Author
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class ModeratorEntry:
    account_id: uuid.UUID
    author: Author


@dataclass
class Queue:
    reported: list[QueueItem]
    held: list[QueueItem]
    hidden: list[QueueItem]
    discussion: Discussion | None = None
    """Set for the queue of one discussion."""
    may_manage: bool = False
    """Staff or board of the unit: name moderators and lift exclusions."""
    bans: list[BanEntry] = field(default_factory=list)
    moderators: list[ModeratorEntry] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return len(self.reported) + len(self.held)


def _pending_discussions(session: Session) -> list[uuid.UUID]:
    reported = select(Report.post_id).where(Report.resolved_at.is_(None))
    query = (
        select(Post.discussion_id)
        .where(
            Post.deleted_at.is_(None),
            or_(Post.id.in_(reported), Post.held.is_(True)),
        )
        .distinct()
    )
    return list(session.scalars(query))


def _items(
    session: Session,
    discussions: dict[uuid.UUID, Discussion],
    names: AuthorNames,
    *,
    kind: str,
) -> list[QueueItem]:
    query = select(Post).where(Post.discussion_id.in_(list(discussions)), Post.deleted_at.is_(None))
    if kind == "reported":
        open_reports = select(Report.post_id).where(Report.resolved_at.is_(None))
        query = query.where(Post.id.in_(open_reports), Post.held.is_(False))
    elif kind == "held":
        query = query.where(Post.held.is_(True))
    else:
        query = query.where(Post.hidden_at.is_not(None))
    posts = list(session.scalars(query.order_by(Post.id).limit(ITEM_LIMIT)))
    names.load({p.author_id for p in posts})
    items = {
        p.id: QueueItem(
            post=p,
            discussion=discussions[p.discussion_id],
            author=names[p.author_id],
            html=render(p.body),
            path=page_url(discussions[p.discussion_id], p.id),
        )
        for p in posts
    }
    if items:
        for post_id, reason in session.execute(
            select(Report.post_id, Report.reason)
            .where(Report.post_id.in_(list(items)), Report.resolved_at.is_(None))
            .order_by(Report.id)
        ):
            items[post_id].reasons.append(reason)
        banned = {
            (discussion_id, account_id)
            for discussion_id, account_id in session.execute(
                select(Ban.discussion_id, Ban.account_id).where(
                    Ban.discussion_id.in_(list(discussions))
                )
            )
        }
        for item in items.values():
            item.banned = (item.post.discussion_id, item.post.author_id) in banned
    return list(items.values())


def moderates_anything(session: Session, account: Account | None) -> bool:
    """Staff or board somewhere, or a named moderator of some discussion."""
    if account is None or account.is_disabled:
        return False
    if organisation_policies.scope_paths(session, account.id, policies.MANAGING_ROLES):
        return True
    named = select(Moderator.discussion_id).where(Moderator.account_id == account.id).limit(1)
    return session.scalar(named) is not None


def queue_for(session: Session, account: Account | None) -> Queue:
    """Everything waiting in the discussions ``account`` moderates."""
    if not moderates_anything(session, account):
        raise Forbidden(NOT_A_MODERATOR_MESSAGE)
    discussions = {}
    for discussion_id in _pending_discussions(session):
        discussion = session.get(Discussion, discussion_id)
        if discussion is not None and policies.may_moderate(session, account, discussion):
            discussions[discussion.id] = discussion
    names = AuthorNames(session, account)
    if not discussions:
        return Queue(reported=[], held=[], hidden=[])
    return Queue(
        reported=_items(session, discussions, names, kind="reported"),
        held=_items(session, discussions, names, kind="held"),
        hidden=[],
    )


def queue_of(session: Session, account: Account | None, discussion_id: uuid.UUID) -> Queue:
    """The queue of one discussion, with its hidden posts, exclusions and moderators."""
    discussion = get_or_404(session, Discussion, discussion_id)
    if not policies.may_moderate(session, account, discussion):
        raise Forbidden(NOT_A_MODERATOR_MESSAGE)
    names = AuthorNames(session, account)
    only = {discussion.id: discussion}
    bans = list(
        session.scalars(
            select(Ban).where(Ban.discussion_id == discussion.id).order_by(Ban.created_at)
        )
    )
    moderators = list(
        session.scalars(
            select(Moderator.account_id).where(Moderator.discussion_id == discussion.id)
        )
    )
    names.load({b.account_id for b in bans} | set(moderators))
    return Queue(
        reported=_items(session, only, names, kind="reported"),
        held=_items(session, only, names, kind="held"),
        hidden=_items(session, only, names, kind="hidden"),
        discussion=discussion,
        may_manage=policies.may_manage(session, account, discussion),
        bans=[BanEntry(b.account_id, names[b.account_id], b.reason, b.created_at) for b in bans],
        moderators=[ModeratorEntry(m, names[m]) for m in moderators],
    )
