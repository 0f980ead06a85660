"""The daily e-mail digest: new posts in followed discussions and replies to one's posts,
each with a short plain-text excerpt and its link.

Beat runs :func:`digest_task` (``app.core.celery``), cron can run ``stimmwerk tick``;
both call :func:`send_digests`, which mails an account at most once per
:data:`MIN_GAP` (so a second run the same day sends nothing). Every mail carries an
unsubscribe link: a keyed hash of the account id, no login needed, confirmed with a
POST so that mail scanners that follow links do not unsubscribe anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Account
from app.core import i18n
from app.core.audit import record_event
from app.core.celery import celery_app
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import render_text
from app.discussions import services
from app.discussions.markup import excerpt
from app.discussions.models import Discussion, Post, Profile, Visit

MIN_GAP: Final = timedelta(hours=20)
WINDOW: Final = timedelta(days=1)
SUBJECT: Final = N_("New posts in your discussions")


def unsubscribe_token(settings: Settings, account_id: uuid.UUID) -> str:
    key = hashlib.sha256(
        b"stimmwerk/discussions/unsubscribe/v1" + settings.security.secret_key.encode()
    ).digest()
    return hmac.new(key, account_id.bytes, hashlib.sha256).hexdigest()[:32]


def valid_unsubscribe_token(settings: Settings, account_id: uuid.UUID, token: str) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text (a 500 found by
    # tests/fuzz with a token like "Õ").
    expected = unsubscribe_token(settings, account_id).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", errors="replace"))


def unsubscribe(session: Session, settings: Settings, account_id: uuid.UUID, token: str) -> None:
    if not valid_unsubscribe_token(settings, account_id, token) or not session.get(
        Account, account_id
    ):
        raise NotFound
    profile = services.profile_of(session, account_id)
    profile.digest_opt_out = True
    record_event(
        session,
        "discussion:digest_unsubscribed",
        actor_id=account_id,
        object_type="account",
        object_id=account_id,
    )
    session.commit()


EXCERPTS_PER_DISCUSSION: Final = 5
"""A busy debate lists its newest few posts; the count says how many there are in all."""


@dataclass(frozen=True)
class DigestPost:
    path: str
    """Where the post is read, e.g. ``/discussions/<id>#post-7``."""
    excerpt: str
    """Plain text: no markup, no control characters, cut at a word (see ``markup.excerpt``)."""
    is_reply_to_you: bool


@dataclass(frozen=True)
class DigestItem:
    id: uuid.UUID
    title: str
    count: int
    path: str
    posts: list[DigestPost]

    @property
    def more(self) -> int:
        return self.count - len(self.posts)


def _news(account: Account, since: datetime) -> tuple[Any, ...]:
    parent = aliased(Post)
    followed = select(Visit.discussion_id).where(
        Visit.account_id == account.id, Visit.following.is_(True)
    )
    conditions = (
        Post.created_at > since,
        Post.author_id != account.id,
        Post.deleted_at.is_(None),
        Post.hidden_at.is_(None),
        Post.held.is_(False),
        or_(Post.discussion_id.in_(followed), parent.author_id == account.id),
    )
    return parent, conditions


def items_for(session: Session, account: Account, since: datetime) -> list[DigestItem]:
    parent, conditions = _news(account, since)
    rows = session.execute(
        select(Discussion.id, func.count(Post.id))
        .join(Post, Post.discussion_id == Discussion.id)
        .outerjoin(parent, parent.id == Post.parent_id)
        .where(*conditions)
        .group_by(Discussion.id)
    )
    items = []
    for discussion_id, count in rows:
        discussion = session.get(Discussion, discussion_id)
        if discussion is None or not services.may_read(session, account, discussion):
            continue
        newest = session.execute(
            select(Post.id, Post.body, parent.author_id)
            .outerjoin(parent, parent.id == Post.parent_id)
            .where(Post.discussion_id == discussion_id, *conditions)
            .order_by(Post.id.desc())
            .limit(EXCERPTS_PER_DISCUSSION)
        )
        posts = [
            DigestPost(
                path=services.page_url(discussion, post_id),
                excerpt=excerpt(body),
                is_reply_to_you=parent_author == account.id,
            )
            for post_id, body, parent_author in reversed(list(newest))
        ]
        path = services.page_url(discussion)
        items.append(DigestItem(discussion_id, discussion.title, int(count), path, posts))
    return sorted(items, key=lambda item: item.title)


def _candidates(session: Session, now: datetime) -> list[Account]:
    """Accounts that follow something or have posted, have not opted out and were not
    mailed within ``MIN_GAP``."""
    involved = (
        select(Visit.account_id).where(Visit.following.is_(True)).union(select(Post.author_id))
    )
    query = (
        select(Account)
        .outerjoin(Profile, Profile.account_id == Account.id)
        .where(
            Account.id.in_(involved),
            Account.is_disabled.is_(False),
            Account.email_verified_at.is_not(None),
            or_(Profile.account_id.is_(None), Profile.digest_opt_out.is_(False)),
            or_(
                Profile.last_digest_at.is_(None),
                and_(Profile.last_digest_at.is_not(None), Profile.last_digest_at < now - MIN_GAP),
            ),
        )
    )
    return list(session.scalars(query))


def send_digests(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Queue one digest per account that has news; returns how many were queued."""
    now = now or utcnow()
    sent = 0
    for account in _candidates(session, now):
        profile = services.profile_of(session, account.id)
        since = max(profile.last_digest_at or now - WINDOW, now - WINDOW)
        items = items_for(session, account, since)
        if not items:
            continue
        token = unsubscribe_token(settings, account.id)
        body = render_text(
            "emails/discussion_digest.txt",
            account.locale,
            name=account.display_name,
            items=items,
            base_url=settings.base_url,
            unsubscribe_url=f"{settings.base_url}/discussions/unsubscribe/{account.id}/{token}",
        )
        with i18n.using_locale(account.locale):
            subject = i18n.gettext(SUBJECT)
        profile.last_digest_at = now
        queue_mail(session, to=account.email, subject=subject, body=body)
        session.commit()
        sent += 1
    session.commit()
    return sent


@celery_app.task(name="stimmwerk.discussions.digest")  # type: ignore[untyped-decorator]
def digest_task() -> int:
    runtime = get_runtime()
    with runtime.database.session() as session:
        return send_digests(session, runtime.settings)
