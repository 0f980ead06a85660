"""Reading discussions: a page of a thread, names as the reader may see them, search,
the live update, the dashboard list and the in-app count.

Names (party membership is special-category data): a reader who is not a member (a
visitor or a guest) sees an author as "Anna B." unless the author consented to the
full name; members see full names. Guests are always labelled "Gast".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.db import utcnow
from app.discussions import policies
from app.discussions.markup import render
from app.discussions.models import (
    Ban,
    Discussion,
    Post,
    PostScope,
    Profile,
    Reaction,
    Report,
    Visit,
)
from app.discussions.services import DEBATE, EDIT_WINDOW, may_read
from app.organisations.models import Unit

PAGE_SIZE: Final = 20
SEARCH_LIMIT: Final = 50
LIVE_LIMIT: Final = 50
SORTS: Final = ("oldest", "newest", "agreed")


def public_name(display_name: str) -> str:
    """First name and initial of the last name: "Anna B."."""
    parts = display_name.split()
    if len(parts) < 2:  # noqa: PLR2004 - a single word stays as it is
        return display_name.strip()
    return f"{parts[0]} {parts[-1][0]}."


@dataclass(frozen=True)
class Author:
    name: str
    is_guest: bool


@dataclass
class PostView:
    post: Post
    author: Author
    state: str
    """"visible", "deleted", "hidden" (placeholder), "hidden_own" (the author sees why),
    "hidden_mod" (a moderator sees the text), "held" (waiting for approval)."""
    html: str
    is_mine: bool
    is_new: bool
    may_edit: bool
    my_stance: str | None
    reports: list[str] = field(default_factory=list)
    """Reasons of open reports (moderators only)."""
    quote: PostView | None = None
    replies: list[PostView] = field(default_factory=list)


@dataclass
class ThreadPage:
    discussion: Discussion
    posts: list[PostView]
    page: int
    pages: int
    sort: str
    total: int
    last_post_id: int
    may_post: bool
    may_moderate: bool
    following: bool
    seen_before: int
    ban_reason: str | None = None
    """Set when the reader was excluded from this discussion: the page says why."""


class AuthorNames:
    """Display names of authors, resolved once per page."""

    def __init__(self, session: Session, reader: Account | None) -> None:
        self.session = session
        self.public = policies.active_member(session, reader) is None
        self.cache: dict[uuid.UUID, Author] = {}

    def load(self, ids: set[uuid.UUID]) -> None:
        missing = ids - self.cache.keys()
        if not missing:
            return
        rows = self.session.execute(
            select(Account.id, Account.display_name, Account.member_id, Profile.full_name_public)
            .outerjoin(Profile, Profile.account_id == Account.id)
            .where(Account.id.in_(missing))
        )
        for account_id, name, member_id, consent in rows:
            shown = name if (not self.public or consent) else public_name(name)
            self.cache[account_id] = Author(shown, member_id is None)

    def __getitem__(self, account_id: uuid.UUID) -> Author:
        self.load({account_id})
        return self.cache[account_id]


def visible_filter(reader: Account | None, moderator: bool) -> ColumnElement[bool]:
    """Held posts are seen only by their author and the moderators."""
    if moderator:
        return true()
    if reader is None:
        return Post.held.is_(False)
    return or_(Post.held.is_(False), Post.author_id == reader.id)


def _top_query(discussion: Discussion, moderator: bool) -> Select[Any]:
    """Top-level posts; for everyone but moderators only those not held (the reader's
    own held posts are added by :func:`_own_held`), so paging uses the index alone."""
    query = select(Post.id).where(Post.discussion_id == discussion.id, Post.parent_id.is_(None))
    return query if moderator else query.where(Post.held.is_(False))


def _own_held(session: Session, discussion: Discussion, reader: Account | None) -> list[Post]:
    if reader is None:
        return []
    return list(
        session.scalars(
            select(Post)
            .where(
                Post.discussion_id == discussion.id,
                Post.parent_id.is_(None),
                Post.held.is_(True),
                Post.author_id == reader.id,
            )
            .order_by(Post.id)
        )
    )


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    if sort == "newest":
        return query.order_by(Post.id.desc())
    if sort == "agreed":
        return query.order_by(Post.agree_count.desc(), Post.id.desc())
    return query.order_by(Post.id)


def _view(
    item: Post,
    names: AuthorNames,
    *,
    reader: Account | None,
    moderator: bool,
    seen_before: int,
    stances: dict[int, str],
) -> PostView:
    mine = reader is not None and item.author_id == reader.id
    if item.deleted_at is not None:
        state, html = "deleted", ""
    elif item.hidden_at is not None:
        state = "hidden_mod" if moderator else ("hidden_own" if mine else "hidden")
        html = render(item.body) if state != "hidden" else ""
    elif item.held:
        state, html = "held", render(item.body)
    else:
        state, html = "visible", render(item.body)
    may_edit = mine and state == "visible" and utcnow() - item.created_at <= EDIT_WINDOW
    return PostView(
        post=item,
        author=names[item.author_id],
        state=state,
        html=html,
        is_mine=mine,
        is_new=reader is not None and not mine and item.id > seen_before,
        may_edit=may_edit,
        my_stance=stances.get(item.id),
    )


def may_post_now(session: Session, reader: Account | None, discussion: Discussion) -> bool:
    """Whether the page offers the form (the service decides for real)."""
    if reader is None or reader.is_disabled or not discussion.is_open(utcnow()):
        return False
    if policies.is_banned(session, reader, discussion.id):
        return False
    return policies.may_post_by_scope(session, reader, discussion)


def _ban_reason(session: Session, reader: Account | None, discussion: Discussion) -> str | None:
    if reader is None:
        return None
    entry = session.get(Ban, (discussion.id, reader.id))
    return entry.reason if entry is not None else None


def thread_page(
    session: Session,
    discussion: Discussion,
    reader: Account | None,
    *,
    page: int = 1,
    sort: str = "oldest",
    mark_seen: bool = True,
) -> ThreadPage:
    """One page of top-level posts with all their replies, as ``reader`` may see them."""
    sort = sort if sort in SORTS else "oldest"
    moderator = policies.may_moderate(session, reader, discussion)
    base = _top_query(discussion, moderator)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    # Deferred join: the page's ids come from the index alone (cheap even at a deep
    # OFFSET), then only those 20 rows are read.
    ids = list(
        session.scalars(_ordered(base, sort).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    )
    rows = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(ids)))} if ids else {}
    tops: list[Post] = [rows[i] for i in ids if i in rows]
    if page == 1 and not moderator:
        tops = [*_own_held(session, discussion, reader), *tops]
    replies: list[Post] = (
        list(
            session.scalars(
                select(Post)
                .where(
                    Post.parent_id.in_([p.id for p in tops]),
                    visible_filter(reader, moderator),
                )
                .order_by(Post.id)
            )
        )
        if tops
        else []
    )
    everything = [*tops, *replies]
    quote_ids = {p.quote_id for p in everything if p.quote_id} - {p.id for p in everything}
    quoted = (
        {q.id: q for q in session.scalars(select(Post).where(Post.id.in_(quote_ids)))}
        if quote_ids
        else {}
    )
    quoted |= {p.id: p for p in everything}
    names = AuthorNames(session, reader)
    names.load({p.author_id for p in [*everything, *quoted.values()]})
    stances: dict[int, str] = {}
    visit = None
    if reader is not None:
        stances = dict(
            session.execute(
                select(Reaction.post_id, Reaction.stance).where(
                    Reaction.account_id == reader.id,
                    Reaction.post_id.in_([p.id for p in everything]),
                )
            ).all()
        )
        visit = session.get(Visit, (discussion.id, reader.id))
    seen_before = visit.last_seen_post_id if visit else 0
    views = {
        p.id: _view(
            p, names, reader=reader, moderator=moderator, seen_before=seen_before, stances=stances
        )
        for p in everything
    }
    for item in everything:
        if item.quote_id and item.quote_id in quoted:
            views[item.id].quote = _view(
                quoted[item.quote_id],
                names,
                reader=reader,
                moderator=moderator,
                seen_before=seen_before,
                stances={},
            )
    if moderator and everything:
        for post_id, reason in session.execute(
            select(Report.post_id, Report.reason)
            .where(Report.post_id.in_(list(views)), Report.resolved_at.is_(None))
            .order_by(Report.id)
        ):
            views[post_id].reports.append(reason)
    for reply in replies:
        if reply.parent_id is not None:
            views[reply.parent_id].replies.append(views[reply.id])
    last = session.scalar(select(func.max(Post.id)).where(Post.discussion_id == discussion.id)) or 0
    if reader is not None and mark_seen:
        from app.discussions import services

        services.mark_seen(session, discussion, reader, last)
    return ThreadPage(
        discussion=discussion,
        posts=[views[p.id] for p in tops],
        page=page,
        pages=pages,
        sort=sort,
        total=total,
        last_post_id=last,
        may_post=may_post_now(session, reader, discussion),
        may_moderate=moderator,
        following=bool(visit and visit.following),
        seen_before=seen_before,
        ban_reason=_ban_reason(session, reader, discussion),
    )


def live_posts(
    session: Session, discussion: Discussion, reader: Account | None, after: int
) -> list[PostView]:
    """Posts (and replies) newer than ``after``, for the page's polling region."""
    moderator = policies.may_moderate(session, reader, discussion)
    rows = list(
        session.scalars(
            select(Post)
            .where(
                Post.discussion_id == discussion.id,
                Post.id > after,
                visible_filter(reader, moderator),
            )
            .order_by(Post.id)
            .limit(LIVE_LIMIT)
        )
    )
    names = AuthorNames(session, reader)
    names.load({p.author_id for p in rows})
    return [
        _view(p, names, reader=reader, moderator=moderator, seen_before=after, stances={})
        for p in rows
    ]


# -- search ---------------------------------------------------------------------------------------


def _match(session: Session, words: str) -> ColumnElement[bool]:
    """German full-text search on PostgreSQL (GIN index over to_tsvector('german', body));
    on SQLite every word must occur (LIKE, case-insensitive for ASCII)."""
    if session.get_bind().dialect.name == "postgresql":
        vector = func.to_tsvector(literal_column("'german'"), Post.body)
        query = func.websearch_to_tsquery(literal_column("'german'"), words)
        return vector.bool_op("@@")(query)
    terms = [t for t in words.split() if t][:8]
    escaped = [t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for t in terms]
    return and_(*(Post.body.ilike(f"%{t}%", escape="\\") for t in escaped))


@dataclass(frozen=True)
class Hit:
    discussion: Discussion
    view: PostView


def search(
    session: Session, discussions: list[Discussion], reader: Account | None, words: str
) -> list[Hit]:
    words = words.strip()[:200]
    if not words or not discussions:
        return []
    by_id = {d.id: d for d in discussions}
    rows = list(
        session.scalars(
            select(Post)
            .where(
                Post.discussion_id.in_(list(by_id)),
                Post.deleted_at.is_(None),
                Post.hidden_at.is_(None),
                Post.held.is_(False),
                _match(session, words),
            )
            .order_by(Post.id.desc())
            .limit(SEARCH_LIMIT)
        )
    )
    names = AuthorNames(session, reader)
    names.load({p.author_id for p in rows})
    return [
        Hit(
            by_id[p.discussion_id],
            _view(p, names, reader=reader, moderator=False, seen_before=1 << 62, stances={}),
        )
        for p in rows
    ]


# -- lists and counts -----------------------------------------------------------------------------


def debates_of_unit(session: Session, unit: Unit, reader: Account | None) -> list[Discussion]:
    return policies.readable_unit_debates(session, reader, unit)


def debates_for(session: Session, reader: Account) -> list[Discussion]:
    """Open debates the reader may take part in (dashboard): those of the member's units
    and the units above; for a guest, debates open to guests."""
    now = utcnow()
    member = policies.active_member(session, reader)
    query = select(Discussion).where(
        Discussion.kind == DEBATE, or_(Discussion.closes_at.is_(None), Discussion.closes_at > now)
    )
    if member is None:
        query = query.where(Discussion.post_scope == PostScope.EVERYONE)
    else:
        own = session.get(Unit, member.unit_id)
        assert own is not None
        above = [int(part) for part in own.path.strip("/").split("/") if part]
        query = query.where(Discussion.unit_id.in_(above or [own.id]))
    rows = session.scalars(query.order_by(Discussion.created_at.desc()).limit(20))
    return [d for d in rows if may_read(session, reader, d)]


def unread_count(session: Session, reader: Account) -> int:
    """New posts in followed discussions and new replies to the reader's posts."""
    mine = select(Post.id).where(Post.author_id == reader.id).scalar_subquery()
    followed = and_(Visit.following.is_(True), Post.id > Visit.last_seen_post_id)
    reply_to_me = and_(
        Post.parent_id.in_(mine), Post.id > func.coalesce(Visit.last_seen_post_id, 0)
    )
    query = (
        select(func.count(Post.id))
        .select_from(Post)
        .outerjoin(
            Visit, and_(Visit.discussion_id == Post.discussion_id, Visit.account_id == reader.id)
        )
        .where(
            Post.author_id != reader.id,
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
            Post.held.is_(False),
            or_(followed, reply_to_me),
        )
    )
    return int(session.scalar(query) or 0)
