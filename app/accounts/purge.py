"""Deleting what has expired: login sessions, login attempts, one-time link tokens.

Nothing here is evidence: expired sessions and used-up links only hold hashes, and the
login throttle reads attempts within its window only. Keeping them would grow the
tables without bound and keep pseudonymous traces longer than needed (GDPR Art. 5(1)(e)).
Runs from Celery beat (``stimmwerk.accounts.purge``, hourly), from the embedded schedule
of ``stimmwerk serve`` and from ``stimmwerk tick``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, OneTimeToken
from app.accounts.sessions import purge_expired
from app.core.celery import celery_app
from app.core.db import utcnow
from app.core.runtime import get_runtime
from app.core.settings import SecuritySettings

log = logging.getLogger(__name__)

ATTEMPTS_KEPT_AT_LEAST = timedelta(days=1)
"""Attempts older than twice the throttle window, and at least a day, are dropped."""
TOKENS_GRACE = timedelta(days=1)
"""An expired link still says "expired" (not "unknown") for a day."""


@dataclass(frozen=True)
class PurgeReport:
    sessions: int
    attempts: int
    tokens: int


def purge_expired_data(
    session: Session, settings: SecuritySettings, *, now: datetime | None = None
) -> PurgeReport:
    """Delete expired sessions, old login attempts and expired tokens; commit."""
    moment = now or utcnow()
    sessions = purge_expired(session, settings)
    keep_attempts = max(
        timedelta(minutes=2 * settings.login_window_minutes), ATTEMPTS_KEPT_AT_LEAST
    )
    attempts = session.execute(
        delete(LoginAttempt).where(LoginAttempt.occurred_at < moment - keep_attempts)
    )
    tokens = session.execute(
        delete(OneTimeToken).where(OneTimeToken.expires_at < moment - TOKENS_GRACE)
    )
    session.commit()
    return PurgeReport(sessions, _deleted(attempts), _deleted(tokens))


def _deleted(result: object) -> int:
    """Rows a DELETE removed (``CursorResult.rowcount``; the typing says ``Result``)."""
    return int(getattr(result, "rowcount", 0))


@celery_app.task(name="stimmwerk.accounts.purge")  # type: ignore[untyped-decorator]
def purge_task() -> None:
    runtime = get_runtime()
    with runtime.database.session() as session:
        report = purge_expired_data(session, runtime.settings.security)
    log.info(
        "purged sessions=%d attempts=%d tokens=%d", report.sessions, report.attempts, report.tokens
    )
