"""Recovery codes: single-use codes that stand in for the second factor.

Ten codes are made when the first second factor is set up, shown once and stored as
keyed hashes (HMAC-SHA-256 under a key derived from the installation's secret and
bound to the account), so a copy of the table does not hand out codes. Each code has
50 random bits; with the second-factor throttle (10 wrong codes per account per 15
minutes) guessing one is out of reach, so a slow password hash is not needed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import RecoveryCode
from app.core.db import utcnow

CODE_COUNT = 10
# Crockford's base32 (no i, l, o, u): easy to read aloud and to type from paper.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_LENGTH = 10
_CONFUSABLE = str.maketrans({"i": "1", "l": "1", "o": "0"})


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"stimmwerk/recovery-code/v1" + secret_key.encode()).digest()


def normalise(raw: str) -> str:
    """Lower case, without spaces and dashes, common misreadings mapped."""
    kept = "".join(ch for ch in raw.strip().lower() if ch not in " -\t")
    return kept.translate(_CONFUSABLE)


def looks_like_code(raw: str) -> bool:
    code = normalise(raw)
    return len(code) == _LENGTH and all(ch in _ALPHABET for ch in code)


def _hash(secret_key: str, account_id: uuid.UUID, code: str) -> str:
    message = account_id.bytes + normalise(code).encode()
    return hmac.new(_key(secret_key), message, hashlib.sha256).hexdigest()


def _format(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def generate(session: Session, secret_key: str, account_id: uuid.UUID) -> list[str]:
    """Replace the account's codes by ten new ones; return them for showing once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH)) for _ in range(CODE_COUNT)]
    for code in codes:
        session.add(
            RecoveryCode(account_id=account_id, code_hash=_hash(secret_key, account_id, code))
        )
    return [_format(code) for code in codes]


def use(session: Session, secret_key: str, account_id: uuid.UUID, raw: str) -> bool:
    """Spend one code. A conditional UPDATE: of two parallel uses exactly one wins."""
    if not looks_like_code(raw):
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == _hash(secret_key, account_id, raw),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def remaining(session: Session, account_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def discard(session: Session, account_id: uuid.UUID) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
