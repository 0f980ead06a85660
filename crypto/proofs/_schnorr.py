"""Schnorr proof of knowledge of a discrete log (non-interactive, Fiat–Shamir).

Statement: a public point ``X``. Witness: ``x`` with ``X = g^x``. Protects against a
party publishing a key it does not know (rogue-key attacks on the joint election key:
a trustee choosing its commitment as a function of the others' to cancel them).

    prover:   w random,  a = g^w,  c = H(SCHNORR, context, X, a),  z = w + c·x
    proof:    (c, z)
    verifier: a' = g^z · X^-c,  accept iff X ≠ 1 and c == H(SCHNORR, context, X, a')

The commitment ``a`` is not sent; the verifier recomputes it (compact form, as in
Belenios). Soundness and zero-knowledge are those of the standard Schnorr protocol.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crypto import transcript
from crypto.group import Point, Scalar, base_mul, hash_to_scalar
from crypto.proofs._common import NonceSource, decode_scalars, encode_scalars, verifier

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SchnorrProof:
    challenge: Scalar
    """c in the spec."""
    response: Scalar
    """z = w + c·x in the spec."""

    def encode(self) -> bytes:
        """``c || z``, 64 bytes."""
        return encode_scalars(self.challenge, self.response)

    @classmethod
    def decode(cls, data: bytes) -> SchnorrProof:
        challenge, response = decode_scalars(data, 2)
        return cls(challenge, response)


def _challenge(context: bytes, public: Point, commitment: Point) -> Scalar:
    return hash_to_scalar(transcript.SCHNORR, context, public.encoded, commitment.encoded)


def prove_dlog(
    secret: Scalar, context: bytes, *, random_scalar: NonceSource = Scalar.random
) -> SchnorrProof:
    """Prove knowledge of ``secret`` for ``X = g^secret``, bound to ``context``."""
    nonce = random_scalar()
    challenge = _challenge(context, base_mul(secret), base_mul(nonce))
    return SchnorrProof(challenge, nonce + challenge * secret)


@verifier
def verify_dlog(public: Point, proof: SchnorrProof, context: bytes) -> bool:
    """Check a `SchnorrProof` for ``public`` and ``context``."""
    if public.is_identity():
        _log.debug("schnorr: the public point is the identity")
        return False
    commitment = base_mul(proof.response) - public * proof.challenge
    if proof.challenge != _challenge(context, public, commitment):
        _log.debug("schnorr: challenge does not match the recomputed commitment")
        return False
    return True
