"""Chaum–Pedersen proof that two discrete logs are equal.

Statement: points ``X``, ``H``, ``M``. Witness: ``s`` with ``X = g^s`` and ``M = H^s``.
Used for partial decryptions (``X`` a trustee's verification key, ``H`` a ciphertext's
``alpha``, ``M`` the partial decryption): protects the tally against a trustee who
publishes a wrong decryption share.

    prover:   w random,  a = g^w,  b = H^w,  c = H(CHAUM_PEDERSEN, context, X, H, M, a, b),
              z = w + c·s
    proof:    (c, z)
    verifier: a' = g^z · X^-c,  b' = H^z · M^-c,
              accept iff c == H(CHAUM_PEDERSEN, context, X, H, M, a', b')
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crypto import transcript
from crypto.group import Point, Scalar, base_mul, hash_to_scalar
from crypto.proofs._common import NonceSource, decode_scalars, encode_scalars, verifier

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChaumPedersenProof:
    challenge: Scalar
    """c in the spec."""
    response: Scalar
    """z = w + c·s in the spec."""

    def encode(self) -> bytes:
        """``c || z``, 64 bytes."""
        return encode_scalars(self.challenge, self.response)

    @classmethod
    def decode(cls, data: bytes) -> ChaumPedersenProof:
        challenge, response = decode_scalars(data, 2)
        return cls(challenge, response)


def _challenge(context: bytes, *points: Point) -> Scalar:
    """``H(CHAUM_PEDERSEN, context, X, H, M, a, b)``; ``points`` in exactly that order."""
    return hash_to_scalar(transcript.CHAUM_PEDERSEN, context, *(p.encoded for p in points))


def prove_equal_dlogs(
    secret: Scalar,
    base: Point,
    image: Point,
    context: bytes,
    *,
    random_scalar: NonceSource = Scalar.random,
) -> ChaumPedersenProof:
    """Prove ``log_g(g^secret) == log_base(image)``; the caller passes ``image = base^secret``."""
    nonce = random_scalar()
    challenge = _challenge(context, base_mul(secret), base, image, base_mul(nonce), base * nonce)
    return ChaumPedersenProof(challenge, nonce + challenge * secret)


@verifier
def verify_equal_dlogs(
    public: Point, base: Point, image: Point, proof: ChaumPedersenProof, context: bytes
) -> bool:
    """Check that ``log_g(public) == log_base(image)``."""
    first = base_mul(proof.response) - public * proof.challenge
    second = base * proof.response - image * proof.challenge
    if proof.challenge != _challenge(context, public, base, image, first, second):
        _log.debug("chaum-pedersen: challenge does not match the recomputed commitments")
        return False
    return True
