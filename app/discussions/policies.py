"""Who may do what in a discussion (Antragsgrün-style: one rule per action).

- read: ``read_scope`` public = everyone; members = any active member; unit = active
  members of the unit or below; moderators always;
- post, reply, react: logged in, may read, not disabled, not banned, discussion open;
  ``post_scope`` members = members only, everyone = members and guests;
- open a debate: staff or board of the unit (or above);
- moderate (hide, show, approve, dismiss reports, exclude): staff or board of the unit
  (or above), or a named moderator;
- manage (name moderators, lift exclusions): staff or board of the unit (or above).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.discussions.models import Ban, Discussion, Moderator, PostScope, ReadScope
from app.organisations import policies
from app.organisations.models import Member, MemberStatus, Unit

MANAGING_ROLES = frozenset({Role.STAFF, Role.BOARD})


def active_member(session: Session, account: Account | None) -> Member | None:
    if account is None or account.member_id is None:
        return None
    member = session.get(Member, account.member_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        return None
    return member


def may_open_debate(session: Session, account: Account | None, unit: Unit) -> bool:
    if account is None or account.is_disabled:
        return False
    return policies.covers(policies.scope_paths(session, account.id, MANAGING_ROLES), unit)


def may_moderate(session: Session, account: Account | None, discussion: Discussion) -> bool:
    if account is None or account.is_disabled:
        return False
    named = session.get(Moderator, (discussion.id, account.id))
    if named is not None:
        return True
    unit = session.get(Unit, discussion.unit_id)
    return unit is not None and may_open_debate(session, account, unit)


def may_manage(session: Session, account: Account | None, discussion: Discussion) -> bool:
    """Name moderators and lift exclusions: staff or board of the unit (not a named
    moderator: they moderate, but do not choose who else does)."""
    unit = session.get(Unit, discussion.unit_id)
    return unit is not None and may_open_debate(session, account, unit)


def may_read(session: Session, account: Account | None, discussion: Discussion) -> bool:
    if discussion.read_scope == ReadScope.PUBLIC:
        return True
    if account is None or account.is_disabled:
        return False
    member = active_member(session, account)
    if member is not None:
        if discussion.read_scope == ReadScope.MEMBERS:
            return True
        unit = session.get(Unit, discussion.unit_id)
        own = session.get(Unit, member.unit_id)
        if unit is not None and own is not None and unit.contains(own):
            return True
    return may_moderate(session, account, discussion)


def is_banned(session: Session, account: Account, discussion_id: uuid.UUID) -> bool:
    return session.get(Ban, (discussion_id, account.id)) is not None


def may_post_by_scope(session: Session, account: Account, discussion: Discussion) -> bool:
    """The ``post_scope`` part of the posting rule (guests only where everyone may post)."""
    if discussion.post_scope == PostScope.EVERYONE:
        return True
    return active_member(session, account) is not None


def readable_unit_debates(
    session: Session, account: Account | None, unit: Unit
) -> list[Discussion]:
    rows = session.scalars(
        select(Discussion)
        .where(Discussion.kind == "debate", Discussion.unit_id == unit.id)
        .order_by(Discussion.created_at.desc())
    )
    return [d for d in rows if may_read(session, account, d)]
