"""The rules of the discussion component: opening debates, posting, moderating.

Every action checks its right (``app.discussions.policies``), validates its input,
changes the tables, writes an audit event (ids and lengths, never the text) and commits.
A refused action raises a domain error with a message a person understands and leaves
the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, TooManyAttempts, ValidationFailed
from app.core.i18n import N_
from app.core.inputs import has_controls, shows_nothing, single_line_problem
from app.core.lookup import get_or_404
from app.discussions import policies
from app.discussions.markup import has_html
from app.discussions.models import (
    Ban,
    Discussion,
    Moderator,
    Post,
    PostScope,
    Profile,
    Reaction,
    ReadScope,
    Report,
    Stance,
    Visit,
)
from app.organisations.models import Unit

POST_MAX: Final = 5_000
TITLE_MAX: Final = 200
OPENING_MAX: Final = 20_000
REASON_MAX: Final = 500
EDIT_WINDOW: Final = timedelta(minutes=15)
"""Long enough to fix a typo, short enough that replies do not lose their context."""
DEBATE = "debate"
OBJECT_TYPE = "discussion"


@dataclass(frozen=True)
class FloodLimits:
    """Posts per account in the last minute (a new guest: account younger than a day)."""

    member: int = 6
    guest: int = 3
    new_guest: int = 2
    new_guest_age: timedelta = timedelta(days=1)


LIMITS = FloodLimits()

EMPTY_MESSAGE = N_("Please write something before posting.")
TOO_LONG_MESSAGE = N_("A post may have at most 5,000 characters.")
HTML_MESSAGE = N_(
    "HTML is not allowed in posts. Use *emphasis*, lists, > quotes and [links](https://...)."
)
CONTROL_MESSAGE = N_(
    "The input contains control or invisible formatting characters. Please remove them."
)
CLOSED_MESSAGE = N_("This discussion is closed. New posts are no longer possible.")
MEMBERS_ONLY_MESSAGE = N_("Only members may post in this discussion.")
BANNED_MESSAGE = N_(
    "You have been excluded from this discussion by its moderators. Reason: %(reason)s"
)
FLOOD_MESSAGE = N_("You are posting too fast. Please wait {minutes} minutes and try again.")
NOT_YOURS_MESSAGE = N_("You can only change your own posts.")
EDIT_WINDOW_MESSAGE = N_("Posts can only be edited within 15 minutes of posting.")
REASON_MESSAGE = N_("Please give a reason (at most 500 characters).")
MANAGERS_ONLY_MESSAGE = N_(
    "Only staff and board of the discussion's unit may name moderators and lift exclusions."
)
NO_ACCOUNT_MESSAGE = N_("There is no active account with this e-mail address.")
ALREADY_MODERATOR_MESSAGE = N_("This person already moderates this discussion.")
NOTHING_REPORTED_MESSAGE = N_("This post has no open reports.")
EMAIL_MAX: Final = 320


# -- subjects of other modules ----------------------------------------------------------------

SubjectReader = Callable[[Session, Account | None, uuid.UUID], bool]
_SUBJECT_READERS: dict[str, SubjectReader] = {}


def register_subject_reader(kind: str, reader: SubjectReader) -> None:
    """A module that owns discussions of its objects says who may see the object
    (a referendum draft stays invisible, its discussion too). Called by ``app.registry``."""
    _SUBJECT_READERS[kind] = reader


_SUBJECT_PAGES: Final = {"referendum": "/referendums/", "initiative": "/initiatives/"}
"""Kinds whose subject's page embeds the thread: a post returns there, not to the thread."""


def page_url(discussion: Discussion, post_id: int | None = None) -> str:
    """Where a discussion is read: its subject's page where that embeds it, else its own."""
    anchor = f"#post-{post_id}" if post_id else "#comments"
    prefix = _SUBJECT_PAGES.get(discussion.kind)
    if prefix is not None and discussion.subject_id is not None:
        return f"{prefix}{discussion.subject_id}{anchor}"
    return f"/discussions/{discussion.id}{anchor}"


def may_read(session: Session, account: Account | None, discussion: Discussion) -> bool:
    reader = _SUBJECT_READERS.get(discussion.kind)
    if (
        reader is not None
        and discussion.subject_id is not None
        and not reader(session, account, discussion.subject_id)
    ):
        return False
    return policies.may_read(session, account, discussion)


def readable(session: Session, discussion_id: uuid.UUID, account: Account | None) -> Discussion:
    return get_or_404(
        session, Discussion, discussion_id, may=lambda found: may_read(session, account, found)
    )


def _post_event(
    session: Session, action: str, actor_id: uuid.UUID, post: Post, **details: Any
) -> None:
    """``_commit_event`` for an action on one post (its id, never its text)."""
    _commit_event(
        session,
        action,
        actor_id=actor_id,
        discussion_id=post.discussion_id,
        post_id=post.id,
        **details,
    )


def _commit_event(
    session: Session, action: str, *, actor_id: uuid.UUID, discussion_id: uuid.UUID, **details: Any
) -> None:
    """The action's audit event on the discussion (ids and lengths, never the text), then
    the commit of the change and its event together."""
    record_event(
        session,
        action,
        actor_id=actor_id,
        object_type=OBJECT_TYPE,
        object_id=discussion_id,
        **details,
    )
    session.commit()


def discussion_of(
    session: Session, kind: str, subject_id: uuid.UUID, *, unit_id: int, title: str
) -> Discussion:
    """The discussion of another module's object, created (and committed) on first use:
    public, members and guests post. The open page polls it by id, so it must exist."""
    query = select(Discussion).where(Discussion.kind == kind, Discussion.subject_id == subject_id)
    found = session.scalar(query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                Discussion(
                    kind=kind, subject_id=subject_id, unit_id=unit_id, title=title[:TITLE_MAX]
                )
            )
    except IntegrityError:  # a concurrent first reader created it: use theirs
        pass
    session.commit()
    created = session.scalar(query)
    assert created is not None
    return created


# -- debates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DebateDraft:
    title: str
    opening: str
    closes_at: datetime | None
    read_scope: ReadScope
    post_scope: PostScope
    hold_first_guest_post: bool = False


def _check_text(text: str, field: str, limit: int, too_long: str) -> dict[str, str]:
    if has_controls(text):
        return {field: CONTROL_MESSAGE}
    if shows_nothing(text):  # also zero-width characters only: an empty-looking post
        return {field: EMPTY_MESSAGE}
    if len(text) > limit:
        return {field: too_long}
    if has_html(text):
        return {field: HTML_MESSAGE}
    return {}


def open_debate(session: Session, actor: Account, unit: Unit, draft: DebateDraft) -> Discussion:
    """Staff or board of ``unit`` open a debate (Payload/Effect: docs/discussions/actions.md)."""
    if not policies.may_open_debate(session, actor, unit):
        raise Forbidden
    errors: dict[str, str] = {}
    title = draft.title.strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = N_("Please enter a title of at most 200 characters.")
    elif problem := single_line_problem(title):
        errors["title"] = problem
    errors |= _check_text(
        draft.opening,
        "opening",
        OPENING_MAX,
        N_("The opening text may have at most 20,000 characters."),
    )
    if draft.closes_at is not None and draft.closes_at <= utcnow():
        errors["closes_at"] = N_("The end of the debate must be in the future.")
    if errors:
        raise ValidationFailed(errors)
    debate = Discussion(
        kind=DEBATE,
        unit_id=unit.id,
        title=title,
        opening=draft.opening.strip(),
        closes_at=draft.closes_at,
        read_scope=draft.read_scope,
        post_scope=draft.post_scope,
        hold_first_guest_post=draft.hold_first_guest_post,
        opened_by_id=actor.id,
    )
    session.add(debate)
    session.flush()
    _commit_event(
        session,
        "discussion:opened",
        actor_id=actor.id,
        discussion_id=debate.id,
        read_scope=str(draft.read_scope),
        post_scope=str(draft.post_scope),
    )
    return debate


# -- posting ------------------------------------------------------------------------------------


def _check_body(body: str) -> str:
    errors = _check_text(body, "body", POST_MAX, TOO_LONG_MESSAGE)
    if errors:
        raise ValidationFailed(errors)
    return body.strip()


def _check_may_post(
    session: Session, actor: Account | None, discussion: Discussion, now: datetime
) -> Account:
    if actor is None or actor.is_disabled:
        raise Forbidden
    if not may_read(session, actor, discussion):
        raise NotFound
    ban_entry = session.get(Ban, (discussion.id, actor.id))
    if ban_entry is not None:
        raise Forbidden(BANNED_MESSAGE, reason=ban_entry.reason)
    if not discussion.is_open(now):
        raise Conflict(CLOSED_MESSAGE)
    if not policies.may_post_by_scope(session, actor, discussion):
        raise Forbidden(MEMBERS_ONLY_MESSAGE)
    return actor


def _check_flood(session: Session, actor: Account, now: datetime) -> None:
    recent = session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.author_id == actor.id, Post.created_at > now - timedelta(minutes=1))
    )
    if actor.is_guest:
        is_new = actor.created_at > now - LIMITS.new_guest_age
        limit = LIMITS.new_guest if is_new else LIMITS.guest
    else:
        limit = LIMITS.member
    if (recent or 0) >= limit:
        raise TooManyAttempts(FLOOD_MESSAGE, minutes=1)


def _must_hold(session: Session, actor: Account, discussion: Discussion) -> bool:
    """A guest's first post in a discussion that asks for it waits for approval."""
    if not discussion.hold_first_guest_post or not actor.is_guest:
        return False
    approved = session.scalar(
        select(Post.id).where(
            Post.discussion_id == discussion.id,
            Post.author_id == actor.id,
            Post.held.is_(False),
        )
    )
    return approved is None


def _thread_parent(session: Session, discussion: Discussion, post_id: int | None) -> int | None:
    """Replies nest one level: a reply to a reply joins the thread of the top post."""
    if post_id is None:
        return None
    parent = session.get(Post, post_id)
    if parent is None or parent.discussion_id != discussion.id or parent.deleted_at is not None:
        raise ValidationFailed({"body": N_("The post you answer no longer exists.")})
    return parent.parent_id or parent.id


def _quoted(session: Session, discussion: Discussion, post_id: int | None) -> int | None:
    if post_id is None:
        return None
    quoted = session.get(Post, post_id)
    if quoted is None or quoted.discussion_id != discussion.id or quoted.hidden_at is not None:
        raise ValidationFailed({"body": N_("The post you quote is not available.")})
    return quoted.id


def post(
    session: Session,
    discussion: Discussion,
    actor: Account | None,
    body: str,
    *,
    parent_id: int | None = None,
    quote_id: int | None = None,
    now: datetime | None = None,
) -> Post:
    """A new post or reply. Refusals: closed, not allowed, banned, bad text, flooding."""
    now = now or utcnow()
    author = _check_may_post(session, actor, discussion, now)
    text = _check_body(body)
    _check_flood(session, author, now)
    new = Post(
        discussion_id=discussion.id,
        author_id=author.id,
        parent_id=_thread_parent(session, discussion, parent_id),
        quote_id=_quoted(session, discussion, quote_id),
        body=text,
        created_at=now,
        held=_must_hold(session, author, discussion),
    )
    session.add(new)
    session.flush()
    _follow(session, discussion.id, author.id, seen=new.id)
    _commit_event(
        session,
        "discussion:posted",
        actor_id=author.id,
        discussion_id=discussion.id,
        post_id=new.id,
        length=len(text),
        held=new.held,
    )
    return new


def _own_post(session: Session, post_id: int, actor: Account | None) -> Post:
    if actor is None:
        raise Forbidden
    found = get_or_404(session, Post, post_id, may=lambda post: post.deleted_at is None)
    readable(session, found.discussion_id, actor)
    if found.author_id != actor.id:
        raise Forbidden(NOT_YOURS_MESSAGE)
    return found


def edit(
    session: Session, post_id: int, actor: Account | None, body: str, *, now: datetime | None = None
) -> Post:
    now = now or utcnow()
    own = _own_post(session, post_id, actor)
    if now - own.created_at > EDIT_WINDOW or own.hidden_at is not None:
        raise Conflict(EDIT_WINDOW_MESSAGE)
    own.body = _check_body(body)
    own.edited_at = now
    _post_event(session, "discussion:edited", own.author_id, own, length=len(own.body))
    return own


def delete(session: Session, post_id: int, actor: Account | None) -> Post:
    """The author withdraws a post: its text is gone, a tombstone keeps the replies in place."""
    own = _own_post(session, post_id, actor)
    own.body = ""
    own.deleted_at = utcnow()
    _post_event(session, "discussion:deleted", own.author_id, own)
    return own


_COUNTERS = {
    Stance.FOR: "agree_count",
    Stance.AGAINST: "disagree_count",
    Stance.NEUTRAL: "neutral_count",
}


def react(session: Session, post_id: int, actor: Account | None, stance: str) -> Post:
    """Set (or with "none" take back) the account's one agreement marker on a post."""
    target = get_or_404(
        session, Post, post_id, may=lambda post: post.deleted_at is None and post.hidden_at is None
    )
    discussion = get_or_404(session, Discussion, target.discussion_id)
    author = _check_may_post(session, actor, discussion, utcnow())
    if stance not in {*Stance, "none"}:
        raise ValidationFailed({"stance": N_("Please choose for, against or neutral.")})
    # Lock the post row on PostgreSQL so concurrent markers never lose a count.
    session.execute(select(Post.id).where(Post.id == target.id).with_for_update())
    existing = session.get(Reaction, (target.id, author.id))
    if existing is not None:
        name = _COUNTERS[Stance(existing.stance)]
        setattr(target, name, getattr(target, name) - 1)
        session.delete(existing)
    if stance != "none":
        session.add(Reaction(post_id=target.id, account_id=author.id, stance=stance))
        name = _COUNTERS[Stance(stance)]
        setattr(target, name, getattr(target, name) + 1)
    session.commit()
    return target


# -- moderation ----------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > REASON_MAX or has_controls(text) or has_html(text):
        raise ValidationFailed({"reason": REASON_MESSAGE})
    return text


def report(session: Session, post_id: int, actor: Account | None, reason: str) -> Report:
    if actor is None or actor.is_disabled:
        raise Forbidden
    target = get_or_404(session, Post, post_id)
    discussion = readable(session, target.discussion_id, actor)
    entry = Report(post_id=target.id, reporter_id=actor.id, reason=_reason(reason))
    session.add(entry)
    session.flush()
    _commit_event(
        session,
        "discussion:reported",
        actor_id=actor.id,
        discussion_id=discussion.id,
        post_id=target.id,
        report_id=entry.id,
    )
    return entry


def _moderated_post(session: Session, post_id: int, actor: Account | None) -> tuple[Post, Account]:
    """The post and its moderator: ``actor`` if they moderate its discussion."""
    target = get_or_404(session, Post, post_id)
    discussion = get_or_404(session, Discussion, target.discussion_id)
    if actor is None or not policies.may_moderate(session, actor, discussion):
        raise Forbidden
    return target, actor


def hide(session: Session, post_id: int, actor: Account | None, reason: str) -> Post:
    """A moderator hides a post; the author sees the reason, everyone else a placeholder."""
    target, moderator = _moderated_post(session, post_id, actor)
    target.hidden_reason = _reason(reason)
    target.hidden_at = utcnow()
    target.hidden_by_id = moderator.id
    _resolve_reports(session, target.id)
    _post_event(session, "discussion:post_hidden", moderator.id, target)
    return target


def show(session: Session, post_id: int, actor: Account | None) -> Post:
    target, moderator = _moderated_post(session, post_id, actor)
    target.hidden_at = target.hidden_reason = target.hidden_by_id = None
    _post_event(session, "discussion:post_shown", moderator.id, target)
    return target


def approve(session: Session, post_id: int, actor: Account | None) -> Post:
    target, moderator = _moderated_post(session, post_id, actor)
    target.held = False
    _post_event(session, "discussion:post_approved", moderator.id, target)
    return target


def dismiss_reports(session: Session, post_id: int, actor: Account | None) -> Post:
    """The moderator finds nothing wrong: the open reports of the post are closed."""
    target, moderator = _moderated_post(session, post_id, actor)
    closed = _resolve_reports(session, target.id)
    if not closed:
        raise Conflict(NOTHING_REPORTED_MESSAGE)
    _post_event(session, "discussion:report_dismissed", moderator.id, target, reports=closed)
    return target


def _resolve_reports(session: Session, post_id: int) -> int:
    closed = 0
    for entry in session.scalars(
        select(Report).where(Report.post_id == post_id, Report.resolved_at.is_(None))
    ):
        entry.resolved_at = utcnow()
        closed += 1
    return closed


def ban(
    session: Session,
    discussion: Discussion,
    actor: Account | None,
    author_id: uuid.UUID,
    reason: str,
) -> Ban:
    """Exclude the author of a post from posting in this discussion (audited)."""
    if not policies.may_moderate(session, actor, discussion):
        raise Forbidden
    assert actor is not None
    if author_id == actor.id:
        raise ValidationFailed({"reason": N_("You cannot exclude yourself.")})
    text = _reason(reason)
    entry = session.get(Ban, (discussion.id, author_id))
    if entry is None:
        entry = Ban(discussion_id=discussion.id, account_id=author_id, reason=text)
        session.add(entry)
    entry.reason = text
    _commit_event(
        session,
        "discussion:banned",
        actor_id=actor.id,
        discussion_id=discussion.id,
        account_id=str(author_id),
    )
    return entry


def _check_manages(session: Session, actor: Account | None, discussion: Discussion) -> Account:
    """Naming moderators and lifting bans: staff or board of the discussion's unit."""
    if actor is None or not policies.may_manage(session, actor, discussion):
        raise Forbidden(MANAGERS_ONLY_MESSAGE)
    return actor


def unban(
    session: Session, discussion: Discussion, actor: Account | None, author_id: uuid.UUID
) -> None:
    """Staff or board of the unit lift an exclusion (audited)."""
    _manager_removes(session, discussion, actor, Ban, author_id, action="discussion:unbanned")


def _manager_removes(
    session: Session,
    discussion: Discussion,
    actor: Account | None,
    model: type[Ban | Moderator],
    account_id: uuid.UUID,
    *,
    action: str,
) -> None:
    """Staff or board of the unit take back an exclusion or a moderator (audited)."""
    manager = _check_manages(session, actor, discussion)
    session.delete(get_or_404(session, model, (discussion.id, account_id)))
    _commit_event(
        session,
        action,
        actor_id=manager.id,
        discussion_id=discussion.id,
        account_id=str(account_id),
    )


def add_moderator(
    session: Session, discussion: Discussion, actor: Account | None, account_id: uuid.UUID
) -> None:
    """Staff or board name a moderator of one discussion."""
    manager = _check_manages(session, actor, discussion)
    named = session.get(Account, account_id)
    if named is None or named.is_disabled:
        raise ValidationFailed({"email": NO_ACCOUNT_MESSAGE})
    if session.get(Moderator, (discussion.id, account_id)) is not None:
        raise ValidationFailed({"email": ALREADY_MODERATOR_MESSAGE})
    session.add(Moderator(discussion_id=discussion.id, account_id=account_id))
    _commit_event(
        session,
        "discussion:moderator_named",
        actor_id=manager.id,
        discussion_id=discussion.id,
        account_id=str(account_id),
    )


def name_moderator(
    session: Session, discussion: Discussion, actor: Account | None, email: str
) -> None:
    """The form's way: the moderator is named by the e-mail address of their account."""
    _check_manages(session, actor, discussion)
    address = email.strip().lower()
    if not address or len(address) > EMAIL_MAX or has_controls(address):
        raise ValidationFailed({"email": NO_ACCOUNT_MESSAGE})
    found = session.scalar(select(Account.id).where(Account.email == address))
    if found is None:
        raise ValidationFailed({"email": NO_ACCOUNT_MESSAGE})
    add_moderator(session, discussion, actor, found)


def remove_moderator(
    session: Session, discussion: Discussion, actor: Account | None, account_id: uuid.UUID
) -> None:
    _manager_removes(
        session, discussion, actor, Moderator, account_id, action="discussion:moderator_removed"
    )


# -- following and profile ------------------------------------------------------------------------


def _follow(
    session: Session, discussion_id: uuid.UUID, account_id: uuid.UUID, *, seen: int | None = None
) -> Visit:
    visit = session.get(Visit, (discussion_id, account_id))
    if visit is None:
        visit = Visit(discussion_id=discussion_id, account_id=account_id, last_seen_post_id=0)
        session.add(visit)
    visit.following = True
    if seen is not None:
        visit.last_seen_post_id = max(visit.last_seen_post_id or 0, seen)
    return visit


def set_following(
    session: Session, discussion: Discussion, actor: Account | None, following: bool
) -> None:
    if actor is None:
        raise Forbidden
    visit = _follow(session, discussion.id, actor.id)
    visit.following = following
    session.commit()


def mark_seen(session: Session, discussion: Discussion, actor: Account, up_to: int) -> int:
    """Remember what the account has seen; returns what it had seen before (for "new")."""
    visit = session.get(Visit, (discussion.id, actor.id))
    before = visit.last_seen_post_id if visit else 0
    if up_to > before:
        if visit is None:
            visit = Visit(discussion_id=discussion.id, account_id=actor.id, following=False)
            session.add(visit)
        visit.last_seen_post_id = up_to
        session.commit()
    return before


def profile_of(session: Session, account_id: uuid.UUID) -> Profile:
    found = session.get(Profile, account_id)
    if found is None:
        found = Profile(account_id=account_id, full_name_public=False, digest_opt_out=False)
        session.add(found)
    return found


def set_preferences(
    session: Session, actor: Account, *, full_name_public: bool, digest: bool
) -> Profile:
    """The member's consent to a full public name, and the digest choice (audited)."""
    profile = profile_of(session, actor.id)
    profile.full_name_public = full_name_public
    profile.digest_opt_out = not digest
    record_event(
        session,
        "discussion:preferences",
        actor_id=actor.id,
        object_type="account",
        object_id=actor.id,
        full_name_public=full_name_public,
        digest=digest,
    )
    session.commit()
    return profile
