"""argon2id password hashing with rehash-on-login (warehouse's ``verify_and_update``)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.core.settings import SecuritySettings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def make_hasher(settings: SecuritySettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_and_update(
    hasher: PasswordHasher, stored_hash: str | None, password: str
) -> tuple[bool, str | None]:
    """Check ``password``; return (ok, new_hash) where new_hash is set if parameters changed.

    With no stored hash a dummy hash is still verified, so the response time does not
    reveal whether the account exists or is activated.
    """
    target = stored_hash or _dummy_hash(hasher)
    try:
        hasher.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hasher.hash(password)
    return True, None


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("stimmwerk-timing-equaliser")
    return _dummy_hashes[key]


def password_problem(password: str, *, email: str = "") -> str | None:
    """Return a message id explaining why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "password_too_long"
    if email and password.strip().lower() == email.strip().lower():
        return "password_is_email"
    return None
