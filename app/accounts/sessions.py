"""Server-side login sessions stored in the database.

Why not Litestar's session middleware: it adopts any session id a client sends and
cannot rotate the id at login (session fixation). Here an id is only ever created by
the server at login, is replaced at every privilege change, and unknown ids are
treated as absent. Only SHA-256 of the token is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts import factors
from app.accounts.models import Account, WebSession
from app.core.db import utcnow
from app.core.settings import SecuritySettings

# Touching the session row on every request would turn every page view into a write;
# once a minute is precise enough for a 30-minute idle timeout.
_TOUCH_INTERVAL = timedelta(minutes=1)


def cookie_name(settings: SecuritySettings) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only
    # and Path=/: a sibling subdomain cannot plant or overwrite it.
    return "__Host-stimmwerk" if settings.cookie_secure else "stimmwerk_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoadedSession:
    token_hash: str
    account: Account
    second_factor_done: bool
    """The login is complete: password and, where required now, a second factor."""


def start_session(
    session: Session,
    account: Account,
    *,
    second_factor_done: bool,
    second_factor_verified: bool = False,
    replaces: str | None = None,
    replaces_hash: str | None = None,
) -> str:
    """Create a fresh session (new id) for ``account`` and drop the one it replaces.

    ``second_factor_verified`` says that a second factor was really checked; a session
    that was complete only because none was required loses that status as soon as one
    is (see ``load_session``).
    """
    if replaces:
        end_session(session, replaces)
    if replaces_hash:
        end_session_by_hash(session, replaces_hash)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token),
            account_id=account.id,
            second_factor_done=second_factor_done,
            second_factor_verified=second_factor_verified,
        )
    )
    return token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_all_sessions(session: Session, account_id: uuid.UUID) -> None:
    """Log an account out everywhere (after a password reset or change)."""
    session.execute(delete(WebSession).where(WebSession.account_id == account_id))


def end_other_sessions(session: Session, account_id: uuid.UUID, *, keep: str | None) -> None:
    """Log an account out everywhere except the session with token ``keep``."""
    query = delete(WebSession).where(WebSession.account_id == account_id)
    if keep:
        query = query.where(WebSession.token_hash != _hash(keep))
    session.execute(query)


# One query per request for the session, its account and the second-factor rule
# (`factors.requires_second_factor`); built once, since constructing it costs more
# than running it. The outer join keeps a session whose account is gone, to delete it.
_LOAD = (
    select(WebSession, Account, factors.passkey_or_role_sql(WebSession.account_id))
    .outerjoin(Account, Account.id == WebSession.account_id)
    .where(WebSession.token_hash == bindparam("token_hash"))
)


def load_session(session: Session, token: str, settings: SecuritySettings) -> LoadedSession | None:
    """Return the live session for ``token``; expired sessions are deleted."""
    found = session.execute(_LOAD, {"token_hash": _hash(token)}).one_or_none()
    if found is None:
        return None
    row, account, passkey_or_role = found
    now = utcnow()
    idle_limit = row.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    absolute_limit = row.created_at + timedelta(hours=settings.session_absolute_hours)
    if now >= idle_limit or now >= absolute_limit or account is None or account.is_disabled:
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
        session.commit()
    return LoadedSession(
        token_hash=row.token_hash,
        account=account,
        second_factor_done=_complete(row, account, passkey_or_role=bool(passkey_or_role)),
    )


def _complete(row: WebSession, account: Account, *, passkey_or_role: bool) -> bool:
    """Whether the session counts as fully logged in on this request.

    Checked on every request, not only at login: a session that began without a second
    factor (none was required) stops counting as complete once the account is granted
    an admin or commission role, or enrols a factor elsewhere. It drops back to the
    second-factor step instead of keeping the new rights.
    """
    if not row.second_factor_done:
        return False
    if row.second_factor_verified:
        return True
    return not (account.has_totp or passkey_or_role)


def count_second_factor_failure(session: Session, token_hash: str, limit: int) -> bool:
    """Count one more wrong code for a half-finished login, before the code is checked.

    One conditional UPDATE, so parallel requests cannot all slip under the limit.
    Returns False (and counts nothing) once ``limit`` attempts were used up.
    """
    result = session.execute(
        update(WebSession)
        .where(
            WebSession.token_hash == token_hash,
            WebSession.second_factor_failures < limit,
        )
        .values(second_factor_failures=WebSession.second_factor_failures + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def end_session_by_hash(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def session_row(session: Session, token_hash: str) -> WebSession | None:
    return session.get(WebSession, token_hash)


def purge_expired(session: Session, settings: SecuritySettings) -> int:
    now = utcnow()
    result = session.execute(
        delete(WebSession).where(
            (WebSession.last_seen_at < now - timedelta(minutes=settings.session_idle_minutes))
            | (WebSession.created_at < now - timedelta(hours=settings.session_absolute_hours))
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_sessions(session: Session, account_id: uuid.UUID) -> int:
    query = select(func.count()).where(WebSession.account_id == account_id)
    return int(session.scalar(query) or 0)
