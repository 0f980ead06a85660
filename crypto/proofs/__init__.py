"""Zero-knowledge proofs of the ballot core (non-interactive, Fiat–Shamir with SHA-512).

Every challenge hashes, through `crypto.transcript`, a label of its own, the caller's
context bytes (the election hash and ballot context: include the voter's credential key
there, so a copied ballot's proofs do not verify for another credential), the public
key, every ciphertext of the statement and all commitments. Every verifier returns a
bool, never raises on malformed input, and logs at DEBUG which check failed.

Proofs are sent in compact form, challenges and responses only; verifiers recompute the
commitments. The equations are in each module and in ``docs/crypto/primitives.md``.
"""

from crypto.proofs._common import NonceSource, verifier
from crypto.proofs._disjunctive import (
    MAX_BRANCHES,
    DisjunctiveProof,
    prove_range,
    prove_zero_one,
    verify_range,
    verify_zero_one,
)
from crypto.proofs._dleq import ChaumPedersenProof, prove_equal_dlogs, verify_equal_dlogs
from crypto.proofs._opening import verify_opening
from crypto.proofs._schnorr import SchnorrProof, prove_dlog, verify_dlog

__all__ = [
    "MAX_BRANCHES",
    "ChaumPedersenProof",
    "DisjunctiveProof",
    "NonceSource",
    "SchnorrProof",
    "prove_dlog",
    "prove_equal_dlogs",
    "prove_range",
    "prove_zero_one",
    "verifier",
    "verify_dlog",
    "verify_equal_dlogs",
    "verify_opening",
    "verify_range",
    "verify_zero_one",
]
