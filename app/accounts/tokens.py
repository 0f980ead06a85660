"""One-time tokens for e-mailed links: random, single-use, expiring, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from app.accounts.models import OneTimeToken
from app.core.db import utcnow

ACTIVATE = "activate"
VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose, not a password
CHANGE_EMAIL = "change_email"
UNDO_EMAIL_CHANGE = "undo_email_change"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    purpose: str,
    account_id: uuid.UUID,
    valid_for: timedelta,
    payload: str | None = None,
) -> str:
    """Create a token and invalidate earlier unused ones of the same purpose."""
    now = utcnow()
    session.execute(_use_up(account_id, purpose, now))
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            token_hash=token_hash(token),
            purpose=purpose,
            account_id=account_id,
            payload=payload,
            expires_at=now + valid_for,
        )
    )
    return token


def find_valid_token(session: Session, token: str, purpose: str) -> OneTimeToken | None:
    found = session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == token_hash(token), OneTimeToken.purpose == purpose
        )
    )
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    return found


def consume_token(session: Session, token: str, purpose: str) -> OneTimeToken | None:
    """Mark the token used; exactly one concurrent caller wins (conditional update)."""
    found = find_valid_token(session, token, purpose)
    if found is None:
        return None
    result = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == found.id, OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return found


def revoke_tokens(session: Session, account_id: uuid.UUID, purpose: str) -> None:
    """Make every unused token of ``purpose`` for the account unusable."""
    session.execute(
        _use_up(account_id, purpose, utcnow()).execution_options(synchronize_session=False)
    )


def _use_up(account_id: uuid.UUID, purpose: str, now: datetime) -> Update:
    """Mark every unused token of ``purpose`` for the account used at ``now``."""
    return (
        update(OneTimeToken)
        .where(
            OneTimeToken.account_id == account_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
