"""Joint key, trustee keys, partial decryptions and their combination.

Protects the tally against a trustee who publishes a wrong partial decryption (each
carries a Chaum–Pedersen proof against the trustee's verification key, which anyone
computes from the public commitments) and keeps single ballots secret (trustees only
decrypt the aggregate that everyone recomputes from the board).

Spec symbols, over the qualified dealers QUAL:

- joint public key ``K = Π_{i∈QUAL} C_i0``;
- trustee ``j``'s secret ``x_j = Σ_{i∈QUAL} s_ij`` and verification key
  ``X_j = g^{x_j} = Π_k (Π_i C_ik)^{j^k}``;
- partial decryption of ``(alpha, beta)``: ``M_j = alpha^{x_j}`` with a Chaum–Pedersen
  proof of ``log_g X_j == log_alpha M_j`` whose context is
  ``transcript.encode(PARTIAL_DECRYPTION, context, u32(j), alpha, beta)``;
- combination over any set ``S`` of at least ``t`` trustees:
  ``g^m = beta / Π_{j∈S} M_j^{λ_j}`` with ``λ_j = Π_{k∈S, k≠j} k / (k - j) mod ℓ``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crypto import transcript
from crypto.dlog import DEFAULT_BOUND, discrete_log
from crypto.elgamal import Ciphertext, PublicKey, SecretKey, encode_plaintext
from crypto.group import IDENTITY, ONE, ZERO, Point, Scalar
from crypto.proofs import (
    ChaumPedersenProof,
    NonceSource,
    prove_equal_dlogs,
    verifier,
    verify_equal_dlogs,
)
from crypto.threshold._dealing import DealerCommitments, ThresholdParameters, share_image

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartialDecryption:
    """Trustee ``j``'s ``M_j = alpha^{x_j}`` with its proof."""

    trustee: int
    share: Point
    proof: ChaumPedersenProof


def joint_public_key(qualified: Sequence[DealerCommitments]) -> PublicKey:
    """``K = Π_{i∈QUAL} C_i0``."""
    key = IDENTITY
    for commitments in qualified:
        key = key + commitments.coefficients[0]
    return PublicKey(key)


def verification_key(qualified: Sequence[DealerCommitments], trustee: int) -> Point:
    """``X_j = g^{x_j}``, from public commitments only."""
    summed = list(qualified[0].coefficients)
    for commitments in qualified[1:]:
        summed = [a + b for a, b in zip(summed, commitments.coefficients, strict=True)]
    return share_image(summed, trustee)


def combine_shares(shares: Iterable[Scalar]) -> SecretKey:
    """``x_j = Σ_{i∈QUAL} s_ij``."""
    total = ZERO
    for share in shares:
        total = total + share
    return SecretKey(total)


def _proof_context(params: ThresholdParameters, trustee: int, ciphertext: Ciphertext) -> bytes:
    return transcript.encode(
        transcript.PARTIAL_DECRYPTION,
        params.context,
        transcript.u32(trustee),
        ciphertext.alpha.encoded,
        ciphertext.beta.encoded,
    )


def partial_decrypt(
    params: ThresholdParameters,
    trustee: int,
    secret: SecretKey,
    ciphertext: Ciphertext,
    *,
    random_scalar: NonceSource = Scalar.random,
) -> PartialDecryption:
    """Compute ``M_j = alpha^{x_j}`` and prove it against ``X_j``."""
    share = ciphertext.alpha * secret
    context = _proof_context(params, trustee, ciphertext)
    proof = prove_equal_dlogs(secret, ciphertext.alpha, share, context, random_scalar=random_scalar)
    return PartialDecryption(trustee, share, proof)


@verifier
def verify_partial_decryption(
    params: ThresholdParameters,
    partial: PartialDecryption,
    ciphertext: Ciphertext,
    trustee_key: Point,
) -> bool:
    """Check ``M_j`` against ``X_j`` (``trustee_key``) for this ciphertext."""
    if not params.is_trustee(partial.trustee):
        _log.debug("partial decryption: %d is not a trustee", partial.trustee)
        return False
    context = _proof_context(params, partial.trustee, ciphertext)
    if not verify_equal_dlogs(trustee_key, ciphertext.alpha, partial.share, partial.proof, context):
        _log.debug("partial decryption: trustee %d's proof fails", partial.trustee)
        return False
    return True


def lagrange_at_zero(indices: Sequence[int]) -> dict[int, Scalar]:
    """``λ_j = Π_{k≠j} k / (k - j) mod ℓ`` for each ``j`` in ``indices`` (distinct, ≥ 1)."""
    if len(set(indices)) != len(indices) or min(indices, default=1) < 1:
        raise ValueError("indices must be distinct and positive")
    coefficients: dict[int, Scalar] = {}
    for j in indices:
        numerator, denominator = ONE, ONE
        for k in indices:
            if k != j:
                numerator = numerator * Scalar.from_int(k)
                denominator = denominator * Scalar.from_int(k - j)
        coefficients[j] = numerator * denominator.invert()
    return coefficients


def combine_partials(
    params: ThresholdParameters, ciphertext: Ciphertext, partials: Sequence[PartialDecryption]
) -> Point:
    """Return ``g^m = beta / Π M_j^{λ_j}``; the partials must already be verified."""
    indices = [partial.trustee for partial in partials]
    if len(set(indices)) < params.threshold:
        raise ValueError(f"need partial decryptions of at least {params.threshold} trustees")
    weights = lagrange_at_zero(indices)
    blinding = IDENTITY
    for partial in partials:
        blinding = blinding + partial.share * weights[partial.trustee]
    return ciphertext.beta - blinding


def decrypt(
    params: ThresholdParameters,
    ciphertext: Ciphertext,
    partials: Sequence[PartialDecryption],
    bound: int = DEFAULT_BOUND,
) -> int | None:
    """Combine verified partials and return ``m`` (None if ``m`` exceeds ``bound``)."""
    return discrete_log(combine_partials(params, ciphertext, partials), bound)


@verifier
def verify_decryption(
    params: ThresholdParameters,
    ciphertext: Ciphertext,
    partials: Sequence[PartialDecryption],
    trustee_keys: Mapping[int, Point],
    plaintext: int,
) -> bool:
    """Auditor's check of a published result ``m`` for one aggregate ciphertext."""
    for partial in partials:
        key = trustee_keys.get(partial.trustee)
        if key is None or not verify_partial_decryption(params, partial, ciphertext, key):
            _log.debug("decryption: partial of trustee %d rejected", partial.trustee)
            return False
    if len({partial.trustee for partial in partials}) != len(partials):
        _log.debug("decryption: a trustee appears twice")
        return False
    if combine_partials(params, ciphertext, partials) != encode_plaintext(plaintext):
        _log.debug("decryption: the partials do not combine to g^m for the claimed m")
        return False
    return True
