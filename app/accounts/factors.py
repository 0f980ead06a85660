"""Which second factors an account has, and whether it must use one.

Kept apart from the services so that the session loader can ask on every request
without importing the whole account service (and without an import cycle).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.accounts.models import (
    ROLES_REQUIRING_TOTP,
    Account,
    Passkey,
    RecoveryCode,
    RoleAssignment,
)


def has_passkey(session: Session, account: Account) -> bool:
    return bool(session.scalar(select(_passkey_sql(account.id))))


def has_second_factor(session: Session, account: Account) -> bool:
    """An authenticator app or at least one passkey is enrolled."""
    return account.has_totp or has_passkey(session, account)


def requires_second_factor_by_role(session: Session, account: Account) -> bool:
    return bool(session.scalar(select(_role_sql(account.id))))


def requires_second_factor(session: Session, account: Account) -> bool:
    """A second factor is asked of everyone who enrolled one, and of every admin and
    election commission member whether they enrolled one or not (they must enrol)."""
    return account.has_totp or bool(session.scalar(select(passkey_or_role_sql(account.id))))


def passkey_or_role_sql(
    account_id: uuid.UUID | QueryableAttribute[uuid.UUID],
) -> ColumnElement[bool]:
    """SQL for the part of `requires_second_factor` that needs the database: a passkey
    is enrolled, or a role asks for a second factor. An expression, so that the session
    loader asks it in the same query as the session (it runs on every request)."""
    return or_(_passkey_sql(account_id), _role_sql(account_id))


_AccountId = uuid.UUID | QueryableAttribute[uuid.UUID]


def _passkey_sql(account_id: _AccountId) -> ColumnElement[bool]:
    return exists().where(Passkey.account_id == account_id)


def _role_sql(account_id: _AccountId) -> ColumnElement[bool]:
    return exists().where(
        RoleAssignment.account_id == account_id,
        RoleAssignment.role.in_(ROLES_REQUIRING_TOTP),
    )


def discard_all_factors(session: Session, account: Account) -> None:
    """Remove every second factor: used when an account changes hands (a guest's account
    becomes a member's), since a factor the former holder set up must not stay as a way in."""
    account.totp_secret = None
    account.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.execute(delete(Passkey).where(Passkey.account_id == account.id))
