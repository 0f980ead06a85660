"""Who may see or change what, decided per object.

Scope is a unit and everything below it: a role on a unit covers its sub-units (paths
share the unit's prefix). Member data is visible to admin, staff and board roles within
their scope, to a member for their own record, and never to guests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import ROLES_SEEING_MEMBERS, Account, Role, RoleAssignment
from app.organisations.models import Unit


def scope_paths(session: Session, account_id: uuid.UUID, roles: Iterable[Role]) -> list[str]:
    """The tree paths of the units where the account holds any of ``roles``."""
    rows = session.scalars(
        select(Unit.path)
        .join(RoleAssignment, RoleAssignment.unit_id == Unit.id)
        .where(RoleAssignment.account_id == account_id, RoleAssignment.role.in_(list(roles)))
    )
    return _outermost(rows)


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by a shorter one (a role on a parent covers the child)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def covers(paths: Iterable[str], unit: Unit) -> bool:
    return any(unit.path.startswith(path) for path in paths)


def may_see_members_of(session: Session, account: Account | None, unit: Unit) -> bool:
    if account is None or account.is_disabled:
        return False
    return covers(scope_paths(session, account.id, ROLES_SEEING_MEMBERS), unit)


def may_manage_roles_in(session: Session, account: Account | None, unit: Unit) -> bool:
    if account is None or account.is_disabled:
        return False
    return covers(scope_paths(session, account.id, {Role.ADMIN}), unit)


def is_admin_anywhere(session: Session, account: Account | None) -> bool:
    if account is None:
        return False
    return bool(scope_paths(session, account.id, {Role.ADMIN}))


def member_scope_units(session: Session, account: Account) -> list[Unit]:
    """Top units whose members the account may see (for the dashboard)."""
    paths = scope_paths(session, account.id, ROLES_SEEING_MEMBERS)
    if not paths:
        return []
    return list(session.scalars(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)))
