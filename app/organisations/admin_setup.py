"""Bootstrapping accounts from the command line (first admin, demo logins)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import passwords
from app.accounts.models import Account, Role, RoleAssignment
from app.accounts.services import find_by_email, normalise_email
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.core.settings import Settings
from app.organisations import units
from app.organisations.models import Unit


def ensure_account(
    session: Session,
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str,
    member_id: int | None = None,
) -> Account:
    """Return the account for ``email``, creating it active and verified if needed."""
    address = normalise_email(email)
    account = find_by_email(session, address)
    if account is not None:
        return account
    problem = passwords.password_problem(password, email=address)
    if problem:
        raise ValidationFailed({"password": problem})
    account = Account(
        email=address,
        display_name=name,
        password_hash=passwords.hash_password(passwords.make_hasher(settings.security), password),
        email_verified_at=utcnow(),
        member_id=member_id,
    )
    session.add(account)
    session.flush()
    record_event(session, "account:created", object_type="account", object_id=account.id, via="cli")
    return account


def ensure_role(session: Session, account: Account, role: Role, unit: Unit) -> None:
    exists = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.account_id == account.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit.id,
        )
    )
    if exists is None:
        session.add(RoleAssignment(account_id=account.id, role=role, unit_id=unit.id))
        record_event(
            session,
            "role:granted",
            object_type="account",
            object_id=account.id,
            role=role.value,
            unit_id=unit.id,
            via="cli",
        )


def create_admin(
    session: Session,
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str,
    unit_code: str | None,
) -> str:
    if unit_code:
        unit = units.get_unit(session, unit_code)
    else:
        roots = units.roots(session)
        if not roots:
            raise ValidationFailed({"unit": N_("Import the units first (stimmwerk import-units).")})
        unit = roots[0]
    account = ensure_account(session, settings, email=email, name=name, password=password)
    ensure_role(session, account, Role.ADMIN, unit)
    session.commit()
    return (
        f"{account.email} is admin of {unit.name}. "
        "A second factor (TOTP) must be set up at the first login."
    )
