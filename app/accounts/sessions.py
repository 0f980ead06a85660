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

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

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


def start_session(
    session: Session, account: Account, *, second_factor_done: bool, replaces: str | None = None
) -> str:
    """Create a fresh session (new id) for ``account`` and drop the one it replaces."""
    if replaces:
        end_session(session, replaces)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token),
            account_id=account.id,
            second_factor_done=second_factor_done,
        )
    )
    return token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_all_sessions(session: Session, account_id: uuid.UUID) -> None:
    """Log an account out everywhere (after a password reset or change)."""
    session.execute(delete(WebSession).where(WebSession.account_id == account_id))


def load_session(session: Session, token: str, settings: SecuritySettings) -> LoadedSession | None:
    """Return the live session for ``token``; expired sessions are deleted."""
    row = session.get(WebSession, _hash(token))
    if row is None:
        return None
    now = utcnow()
    idle_limit = row.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    absolute_limit = row.created_at + timedelta(hours=settings.session_absolute_hours)
    account = session.get(Account, row.account_id)
    if now >= idle_limit or now >= absolute_limit or account is None or account.is_disabled:
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
        session.commit()
    return LoadedSession(
        token_hash=row.token_hash, account=account, second_factor_done=row.second_factor_done
    )


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
