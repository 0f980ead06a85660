"""Freezing the voter roll at the cut-off."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, insert, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.organisations.models import Member, MemberStatus
from app.organisations.units import subtree_filter
from ballots.errors import TooEarly
from ballots.manifest import format_time
from ballots.models import Election, ElectionStatus, RollEntry
from ballots.rolls import roll_commitment
from ballots.services._common import (
    election_unit,
    lock_election,
    now_or,
    record_election_event,
    require_role,
    require_status,
)
from crypto.canonical import domain_hash

ROLL_ENTRY_LABEL = "stimmwerk/roll-entry/v1"
__all__ = ["freeze_roll", "roll_commitment", "roll_entry"]
_CHUNK = 5000


def roll_entry(election_id: str, salt_hex: str, membership_number: str) -> str:
    """``H("stimmwerk/roll-entry/v1", {"election", "salt", "member"})`` in hex (record §3)."""
    value = {"election": election_id, "salt": salt_hex, "member": membership_number}
    return domain_hash(ROLL_ENTRY_LABEL, value).hex()


def _member_at(cutoff: datetime) -> ColumnElement[bool]:
    """A member at the cut-off: joined by then, and not yet left then.

    ``status``/``left_on`` are read when the roll is frozen (after the cut-off): a member
    who left after the cut-off was still a member at it and stays eligible.
    """
    day = cutoff.date()
    joined = or_(Member.joined_on.is_(None), Member.joined_on <= day)
    present = or_(
        Member.status == MemberStatus.ACTIVE,
        and_(Member.left_on.is_not(None), Member.left_on > day),
    )
    return and_(joined, present)


def freeze_roll(
    session: Session,
    election_id: uuid.UUID,
    actor: Account | None,
    *,
    now: datetime | None = None,
) -> Election:
    """Fix the voter roll: every member of the unit's subtree at the cut-off.

    Members registered for postal voting are on the roll (counted in ``postal``) but get
    no online credential and are left out of the record's entries. Each entry gets a
    fresh secret salt, so the published hash reveals nothing about the member.
    """
    moment = now_or(now)
    election = lock_election(session, election_id)
    if actor is not None:
        require_role(session, actor, Role.STAFF, election)
    require_status(election, ElectionStatus.KEYS)
    if moment < election.cutoff_at:
        raise TooEarly(when=format_time(election.cutoff_at))
    unit = election_unit(session, election)
    members = session.execute(
        select(Member.id, Member.membership_number, Member.postal_vote)
        .where(subtree_filter(unit), _member_at(election.cutoff_at))
        .order_by(Member.id)
    ).all()
    online: list[str] = []
    eligible = postal = 0
    for start in range(0, len(members), _CHUNK):
        rows = []
        for member_id, number, is_postal in members[start : start + _CHUNK]:
            salt = secrets.token_hex(32)
            entry = roll_entry(str(election.id), salt, number)
            rows.append(
                {
                    "election_id": election.id,
                    "member_id": member_id,
                    "salt": salt,
                    "entry": entry,
                    "postal": bool(is_postal),
                }
            )
            eligible += 1
            if is_postal:
                postal += 1
            else:
                online.append(entry)
        session.execute(insert(RollEntry), rows)
    online.sort()
    election.eligible_count = eligible
    election.postal_count = postal
    election.roll_commitment = roll_commitment(online)
    election.roll_frozen_at = moment
    election.status = ElectionStatus.ROLL_FROZEN
    record_election_event(
        session,
        "election:roll_frozen",
        election.id,
        actor,
        eligible=eligible,
        postal=postal,
        commitment=election.roll_commitment,
    )
    session.commit()
    return election
