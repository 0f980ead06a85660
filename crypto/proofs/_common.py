"""Shared pieces of the proof modules: the total-verifier wrapper and scalar codecs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from nacl.exceptions import CryptoError

from crypto.group import SCALAR_BYTES, InvalidEncodingError, Scalar

NonceSource = Callable[[], Scalar]
"""Where a prover gets its secret nonces: `Scalar.random` except in known-answer tests."""

_P = ParamSpec("_P")

# What malformed input can raise inside a check: wrong types or shapes (TypeError,
# AttributeError, IndexError, ValueError incl. InvalidEncodingError) and libsodium
# refusing a value (CryptoError). Anything else is a bug and still propagates.
_MALFORMED = (ValueError, TypeError, AttributeError, IndexError, KeyError, CryptoError)


def verifier(check: Callable[_P, bool]) -> Callable[_P, bool]:
    """Make ``check`` total: it returns False instead of raising on malformed input.

    A verifier that raises can be turned into a denial of service on the auditor (one
    crafted ballot stops the whole verification); a verifier that answers False lets the
    caller name the failed check and go on.
    """
    log = logging.getLogger(check.__module__)

    @functools.wraps(check)
    def total(*args: _P.args, **kwargs: _P.kwargs) -> bool:
        try:
            return check(*args, **kwargs)
        except _MALFORMED as error:
            log.debug("%s: malformed input: %s", check.__name__, error)
            return False

    return total


def encode_scalars(*scalars: Scalar) -> bytes:
    return b"".join(scalar.encoded for scalar in scalars)


def decode_scalars(data: bytes, count: int) -> tuple[Scalar, ...]:
    """Split ``count * 32`` bytes into canonical scalars."""
    data = bytes(data)
    if len(data) != count * SCALAR_BYTES:
        raise InvalidEncodingError(f"expected {count * SCALAR_BYTES} bytes, got {len(data)}")
    return tuple(
        Scalar.decode(data[offset : offset + SCALAR_BYTES])
        for offset in range(0, len(data), SCALAR_BYTES)
    )
