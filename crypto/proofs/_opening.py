"""Benaloh cast-or-audit: check that a revealed nonce and plaintext reproduce a ciphertext.

When a voter challenges a ballot instead of casting it, the client reveals each nonce
``r`` and claimed plaintext ``m``. Anyone (the voter's second device, an auditor) then
checks ``alpha == g^r`` and ``beta == g^m · K^r``. This protects the voter against a
client that encrypts a different vote than the one shown: a cheating client is caught
with the probability that the voter audits. An audited ballot is never cast.
"""

from __future__ import annotations

import logging

from crypto.elgamal import Ciphertext, Nonce, PublicKey, encode_plaintext
from crypto.group import base_mul
from crypto.proofs._common import verifier

_log = logging.getLogger(__name__)


@verifier
def verify_opening(key: PublicKey, ciphertext: Ciphertext, plaintext: int, nonce: Nonce) -> bool:
    """Check that ``ciphertext == encrypt(key, plaintext, nonce)``."""
    if base_mul(nonce) != ciphertext.alpha:
        _log.debug("opening: g^r does not reproduce alpha")
        return False
    if encode_plaintext(plaintext) + key * nonce != ciphertext.beta:
        _log.debug("opening: g^m · K^r does not reproduce beta")
        return False
    return True
