"""Zero-one proofs checked straight from a ciphertext's wire encoding (validate once).

`decode_verified_zero_one` is ``Ciphertext.decode`` followed by `verify_zero_one`, with
one redundant step removed: decoding validates both points
(``crypto_core_ed25519_is_valid_point``, ≈50 µs each), and the proof check then feeds
the same points to libsodium's variable-base multiplication
(``crypto_scalarmult_ed25519_noclamp``), which performs the very same validation on its
input (canonical encoding, not of small order, on the curve, in the prime-order
subgroup) and refuses invalid points. For a ballot verifier that is 6 of ~28 group
operations per yes/no/abstain ballot.

Which multiplications validate which point (``primitives.md`` §5.3, values 0 and 1):
``alpha·c_0`` and ``alpha·c_1`` validate ``alpha`` unless both challenges are zero;
``beta·c_0`` (branch 0 uses ``beta`` itself) validates ``beta`` unless ``c_0`` is zero.
A zero scalar or an identity point short-circuits in `crypto.group.Point.__mul__`
without calling libsodium, so the identity encoding is refused up front, and a point
whose challenge is zero is validated explicitly. An honest prover produces a zero
challenge with probability 2^-252, so the explicit path is for crafted proofs only.

Protects against the same adversary as `Ciphertext.decode` + `verify_zero_one` (a voter
submitting a ciphertext outside the group or an invalid proof); the result is identical:
the decoded, fully validated ciphertext, or None.
"""

from __future__ import annotations

import logging
from typing import Final

from nacl import bindings as sodium

from crypto.elgamal import CIPHERTEXT_BYTES, Ciphertext, PublicKey
from crypto.group import IDENTITY_ENCODING, POINT_BYTES, Point
from crypto.proofs._disjunctive import DisjunctiveProof, verify_zero_one

_log = logging.getLogger(__name__)
_BRANCHES: Final = 2


def _provisional(encoded: bytes) -> Ciphertext | None:
    """Points not yet validated; never returned to a caller unless validated."""
    encoded = bytes(encoded)
    if len(encoded) != CIPHERTEXT_BYTES:
        return None
    alpha, beta = encoded[:POINT_BYTES], encoded[POINT_BYTES:]
    if IDENTITY_ENCODING in {alpha, beta}:  # Point.__mul__ would skip libsodium for it
        return None
    return Ciphertext(Point(alpha), Point(beta))


def decode_verified_zero_one(
    key: PublicKey, encoded: bytes, proof: DisjunctiveProof, context: bytes
) -> Ciphertext | None:
    """Decode ``alpha || beta`` and check its zero-one proof; the ciphertext or None.

    Equivalent to ``Ciphertext.decode(encoded)`` (None on `InvalidEncodingError`)
    followed by `verify_zero_one`, validating every point exactly once. Never raises.
    """
    candidate = _provisional(encoded)
    if candidate is None or len(proof.challenges) != _BRANCHES:
        _log.debug("zero-one (encoded): malformed ciphertext or proof")
        return None
    if not verify_zero_one(key, candidate, proof, context):  # raises nothing: a verifier
        return None
    first, second = proof.challenges
    unchecked = []
    if first.is_zero():
        unchecked.append(candidate.beta.encoded)
        if second.is_zero():
            unchecked.append(candidate.alpha.encoded)
    if not all(sodium.crypto_core_ed25519_is_valid_point(point) for point in unchecked):
        _log.debug("zero-one (encoded): a point the proof did not validate is invalid")
        return None
    return candidate
