"""Mass invitations: activation links for the members of a unit who have no login yet."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.errors import Forbidden
from app.core.settings import Settings
from app.organisations import policies
from app.organisations.access import MemberAccess
from app.organisations.models import Member, MemberStatus, Unit
from app.organisations.units import subtree_filter


@dataclass(frozen=True)
class InvitationReport:
    invited: int
    linked_guests: int
    without_email: int
    already_active: int


def invite_members(
    session: Session,
    settings: Settings,
    hasher: PasswordHasher,
    unit: Unit,
    *,
    actor: Account | None,
    batch_size: int = 500,
) -> InvitationReport:
    """Send activation links to active members of ``unit`` (and below) without a login.

    Nobody's account is linked here. A guest account with a member's register address
    gets an activation link like everyone else; it becomes the member's account only
    when the link from the member's mailbox sets a new password
    (``MemberAccess.complete_activation``). A password chosen at an unconfirmed
    registration of that address is dropped at once.
    """
    if actor is not None and not policies.may_manage_roles_in(session, actor, unit):
        raise Forbidden
    access = MemberAccess(session, settings, hasher)
    invited = guests = without_email = already = 0
    members = session.scalars(
        select(Member)
        .where(subtree_filter(unit), Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
        .execution_options(yield_per=batch_size)
    ).all()
    for member in members:
        if not member.email:
            without_email += 1
            continue
        account = session.scalar(select(Account).where(Account.member_id == member.id))
        if account is not None and account.can_log_in:
            already += 1
            continue
        holder = account or session.scalar(select(Account).where(Account.email == member.email))
        outcome = access.offer_activation(member)
        if outcome != "sent":
            already += 1
            continue
        invited += 1
        if holder is not None and holder.member_id is None:
            guests += 1
    record_event(
        session,
        "members:invited",
        actor_id=actor.id if actor else None,
        object_type="unit",
        object_id=unit.id,
        invited=invited,
        guests_asked_to_activate=guests,
    )
    session.commit()
    return InvitationReport(invited, guests, without_email, already)
