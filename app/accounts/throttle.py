"""Login rate limiting, shared by all app processes through the database.

Two limits: failed attempts per login name (stops guessing one account's password) and
failed attempts per client address (stops spraying many accounts). Both keys are keyed
hashes, so the table holds no e-mail or IP address.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.core.audit import pseudonym
from app.core.db import utcnow
from app.core.errors import TooManyAttempts
from app.core.settings import SecuritySettings


def keys_for(settings: SecuritySettings, login: str, address: str) -> tuple[str, str]:
    return pseudonym(settings.secret_key, login), pseudonym(settings.secret_key, address)


def check_allowed(
    session: Session, settings: SecuritySettings, login_key: str, address_key: str
) -> None:
    """Raise ``TooManyAttempts`` if either limit is reached within the window."""
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.occurred_at)).where(
            LoginAttempt.login_key == login_key, LoginAttempt.succeeded.is_(True)
        )
    )
    failures_since = max(window_start, last_success) if last_success else window_start
    failures = session.scalar(
        select(func.count()).where(
            LoginAttempt.login_key == login_key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.occurred_at > failures_since,
        )
    )
    # Only failures count per address: hundreds of delegates behind one NAT at a party
    # conference must be able to log in, while password spraying still hits the limit.
    from_address = session.scalar(
        select(func.count()).where(
            LoginAttempt.address_key == address_key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.occurred_at > window_start,
        )
    )
    if (failures or 0) >= settings.login_max_failures or (
        from_address or 0
    ) >= settings.login_max_per_address:
        raise TooManyAttempts(minutes=settings.login_window_minutes)


def record_attempt(session: Session, login_key: str, address_key: str, *, succeeded: bool) -> None:
    session.add(LoginAttempt(login_key=login_key, address_key=address_key, succeeded=succeeded))


# -- second factor ---------------------------------------------------------------------------


def second_factor_key(settings: SecuritySettings, account_id: object) -> str:
    """The throttle key for wrong second-factor codes of one account.

    Apart from the password key: whoever is at this step knows the password, so the
    account's own owner is not locked out of the password form by them.
    """
    return pseudonym(settings.secret_key, f"second-factor:{account_id}")


def second_factor_failures(session: Session, settings: SecuritySettings, key: str) -> int:
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.occurred_at)).where(
            LoginAttempt.login_key == key, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, last_success) if last_success else window_start
    count = session.scalar(
        select(func.count()).where(
            LoginAttempt.login_key == key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.occurred_at > since,
        )
    )
    return int(count or 0)


def claim_second_factor_attempt(
    session: Session, settings: SecuritySettings, key: str, address_key: str
) -> LoginAttempt | None:
    """Record a second-factor attempt as failed *before* the code is checked.

    Returns the attempt (mark it ``succeeded`` if the code was right), or None when the
    account's limit is reached; then nothing is recorded, so a flood of refused
    requests neither grows the table nor extends the wait. Insert first, count after:
    of N parallel requests at most the limit see themselves under it.
    """
    limit = settings.second_factor_max_failures
    if second_factor_failures(session, settings, key) >= limit:
        return None
    attempt = LoginAttempt(login_key=key, address_key=address_key, succeeded=False)
    session.add(attempt)
    session.commit()
    if second_factor_failures(session, settings, key) > limit:
        session.delete(attempt)
        session.commit()
        return None
    return attempt
