"""Accounts for imported members: created on invitation, activated by an e-mailed link."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.accounts.services import AccountService
from app.core.audit import record_event
from app.core.errors import Forbidden
from app.core.settings import Settings
from app.organisations import policies
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

    A guest account with the member's registered address becomes the member's account:
    the guest verified that address, and the register says it is the member's.
    """
    if actor is not None and not policies.may_manage_roles_in(session, actor, unit):
        raise Forbidden
    service = AccountService(session, settings, hasher)
    invited = linked = without_email = already = 0
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
        if account is not None and account.password_hash:
            already += 1
            continue
        if account is None:
            account = session.scalar(select(Account).where(Account.email == member.email))
            if account is not None and account.member_id is None:
                account.member_id = member.id
                linked += 1
                continue
            if account is not None:
                already += 1
                continue
            account = Account(
                email=member.email, display_name=member.full_name, member_id=member.id
            )
            session.add(account)
            session.flush()
        service.send_activation(account)
        invited += 1
    record_event(
        session,
        "members:invited",
        actor_id=actor.id if actor else None,
        object_type="unit",
        object_id=unit.id,
        invited=invited,
        linked_guests=linked,
    )
    session.commit()
    return InvitationReport(invited, linked, without_email, already)
