"""Login rate limiting, shared by all app processes through the database.

Logins: failed attempts per login name refuse (stops guessing one account's password);
failed attempts per client address only slow down (stops spraying many accounts
without locking a conference network out). Password-reset, registration and
self-activation requests have their own scoped counters. Every key is a keyed hash,
so the table holds no e-mail, membership number or IP address.
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

LOGIN = "login"
RESET = "reset"
REGISTER = "register"
ACTIVATE = "activate"


def keys_for(
    settings: SecuritySettings, login: str, address: str, *, scope: str = LOGIN
) -> tuple[str, str]:
    """The pseudonymous keys of a name (login, recipient, membership number) and an address.

    Each scope has its own keys, so its counters never mix: 50 password-reset requests
    from a conference network are not 50 failed logins of that network.
    """
    if scope == LOGIN:
        return pseudonym(settings.secret_key, login), pseudonym(settings.secret_key, address)
    return (
        pseudonym(settings.secret_key, f"{scope}:{login}"),
        pseudonym(settings.secret_key, f"{scope}@{address}"),
    )


def _failures_of_name(session: Session, settings: SecuritySettings, login_key: str) -> int:
    """Failures for one name within the window and since its last success."""
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.occurred_at)).where(
            LoginAttempt.login_key == login_key, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, last_success) if last_success else window_start
    count = session.scalar(
        select(func.count()).where(
            LoginAttempt.login_key == login_key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.occurred_at > since,
        )
    )
    return int(count or 0)


def _failures_from_address(session: Session, settings: SecuritySettings, address_key: str) -> int:
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    count = session.scalar(
        select(func.count()).where(
            LoginAttempt.address_key == address_key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.occurred_at > window_start,
        )
    )
    return int(count or 0)


def claim_login_attempt(
    session: Session, settings: SecuritySettings, login_key: str, address_key: str
) -> LoginAttempt:
    """Count a password attempt as failed *before* the password is checked.

    Insert and commit first, count after: of N parallel attempts for one name, the
    k-th to commit sees at least k rows, so at most ``login_max_failures`` of them get
    to argon2. A refused attempt is removed again, so hammering a locked name neither
    grows the table nor extends the lock. Mark the returned row ``succeeded`` when the
    password was right. Only the name is refused here; see ``address_delay``.
    """
    attempt = LoginAttempt(login_key=login_key, address_key=address_key, succeeded=False)
    session.add(attempt)
    session.commit()
    if _failures_of_name(session, settings, login_key) > settings.login_max_failures:
        session.delete(attempt)
        session.commit()
        raise TooManyAttempts(minutes=settings.login_window_minutes)
    return attempt


def address_delay(session: Session, settings: SecuritySettings, address_key: str) -> float:
    """Seconds to hold a login from an address that failed too often, or 0.

    Many accounts behind one address (a party conference) must keep logging in with
    right passwords, so the address count only slows guessing down; the per-name limit
    is what refuses.
    """
    failures = _failures_from_address(session, settings, address_key)
    return (
        settings.login_address_delay_seconds if failures >= settings.login_max_per_address else 0.0
    )


def check_allowed(
    session: Session,
    settings: SecuritySettings,
    login_key: str,
    address_key: str,  # noqa: ARG001 - kept for callers; the address only slows down
) -> None:
    """Raise ``TooManyAttempts`` if the name's failure limit is reached (no recording)."""
    if _failures_of_name(session, settings, login_key) >= settings.login_max_failures:
        raise TooManyAttempts(minutes=settings.login_window_minutes)


def record_attempt(session: Session, login_key: str, address_key: str, *, succeeded: bool) -> None:
    session.add(LoginAttempt(login_key=login_key, address_key=address_key, succeeded=succeeded))


def claim_request(
    session: Session, settings: SecuritySettings, name_key: str, address_key: str
) -> LoginAttempt:
    """Count a reset, registration or activation request before any work is done.

    Every request counts (not only failures): per name (recipient or membership
    number) and per client address within ``requests_window_minutes``. Insert first,
    count after, as in ``claim_login_attempt``. Refused requests cost no argon2 hash
    and send no mail.
    """
    attempt = LoginAttempt(login_key=name_key, address_key=address_key, succeeded=False)
    session.add(attempt)
    session.commit()
    window_start = utcnow() - timedelta(minutes=settings.requests_window_minutes)
    recent = LoginAttempt.occurred_at > window_start
    per_name = session.scalar(
        select(func.count()).where(LoginAttempt.login_key == name_key, recent)
    )
    per_address = session.scalar(
        select(func.count()).where(LoginAttempt.address_key == address_key, recent)
    )
    if (per_name or 0) > settings.requests_max_per_name or (
        per_address or 0
    ) > settings.requests_max_per_address:
        session.delete(attempt)
        session.commit()
        raise TooManyAttempts(minutes=settings.requests_window_minutes)
    return attempt


# -- second factor ---------------------------------------------------------------------------


def second_factor_key(settings: SecuritySettings, account_id: object) -> str:
    """The throttle key for wrong second-factor codes of one account.

    Apart from the password key: whoever is at this step knows the password, so the
    account's own owner is not locked out of the password form by them.
    """
    return pseudonym(settings.secret_key, f"second-factor:{account_id}")


def second_factor_failures(session: Session, settings: SecuritySettings, key: str) -> int:
    """Wrong codes for this account's second factor, counted like a name's failures."""
    return _failures_of_name(session, settings, key)


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
