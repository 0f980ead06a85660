"""Granting and revoking roles scoped to units (only admins, only within their scope)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role, RoleAssignment
from app.accounts.services import find_by_email
from app.core.audit import record_event
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.i18n import N_
from app.core.lookup import get_or_404
from app.organisations import policies
from app.organisations.models import Unit


def grant_role(
    session: Session, actor: Account | None, *, email: str, role: str, unit_code: str
) -> RoleAssignment:
    """Give ``role`` on ``unit`` to the account with ``email``.

    ``actor`` None means the operator on the command line (trusted like the database).
    """
    unit = session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
    if unit is None:
        raise ValidationFailed({"unit_code": N_("There is no unit with this code.")})
    if actor is not None and not policies.may_manage_roles_in(session, actor, unit):
        raise Forbidden
    try:
        parsed = Role(role)
    except ValueError as error:
        raise ValidationFailed({"role": N_("Unknown role.")}) from error
    account = find_by_email(session, email)
    if account is None:
        raise ValidationFailed({"email": N_("There is no account with this e-mail address.")})
    if account.is_guest and parsed != Role.AUDITOR:
        # Guests never see member data or run votes; auditors may be external.
        raise ValidationFailed({"email": N_("Only members can hold this role.")})
    exists = session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.account_id == account.id,
            RoleAssignment.role == parsed,
            RoleAssignment.unit_id == unit.id,
        )
    )
    if exists is not None:
        raise Conflict(N_("This person already has this role here."))
    assignment = RoleAssignment(
        account_id=account.id,
        role=parsed,
        unit_id=unit.id,
        granted_by_id=actor.id if actor else None,
    )
    session.add(assignment)
    session.flush()
    record_event(
        session,
        "role:granted",
        actor_id=actor.id if actor else None,
        object_type="account",
        object_id=account.id,
        role=parsed.value,
        unit_id=unit.id,
    )
    session.commit()
    return assignment


def revoke_role(session: Session, actor: Account, assignment_id: int) -> None:
    assignment = get_or_404(session, RoleAssignment, assignment_id)
    # Only who may manage roles in the assignment's unit; for anyone else it does not exist.
    get_or_404(
        session,
        Unit,
        assignment.unit_id,
        may=lambda unit: policies.may_manage_roles_in(session, actor, unit),
    )
    session.delete(assignment)
    record_event(
        session,
        "role:revoked",
        actor_id=actor.id,
        object_type="account",
        object_id=assignment.account_id,
        role=assignment.role.value,
        unit_id=assignment.unit_id,
    )
    session.commit()


def roles_of(session: Session, account: Account) -> list[tuple[RoleAssignment, Unit]]:
    rows = session.execute(
        select(RoleAssignment, Unit)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.account_id == account.id)
        .order_by(Unit.path, RoleAssignment.role)
    )
    return [(assignment, unit) for assignment, unit in rows]


def roles_in_scope(session: Session, actor: Account) -> list[tuple[RoleAssignment, Unit, Account]]:
    """Role assignments an admin may see and manage (those on units in their scope)."""
    paths = policies.scope_paths(session, actor.id, {Role.ADMIN})
    if not paths:
        return []
    condition = Unit.path.startswith(paths[0])
    for path in paths[1:]:
        condition = condition | Unit.path.startswith(path)
    rows = session.execute(
        select(RoleAssignment, Unit, Account)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .join(Account, Account.id == RoleAssignment.account_id)
        .where(condition)
        .order_by(Unit.path, RoleAssignment.role, Account.display_name)
    )
    return [(a, u, acc) for a, u, acc in rows]
