"""Disjunctive Chaum–Pedersen (CDS) proofs that a ciphertext encrypts one of a few values.

Protects the tally against a voter who encrypts something other than an allowed vote
(``g^5`` for "yes" five times, or ``g^-1`` to cancel someone else's vote), while
revealing nothing about which allowed value it is (witness indistinguishability of the
Cramer–Damgård–Schoenmakers OR-composition).

Statement: election key ``K``, ciphertext ``(alpha, beta)``, allowed values
``v_0 .. v_{k-1}``. Witness: ``r`` and the index ``i`` with ``alpha = g^r`` and
``beta = g^{v_i} · K^r``. Branch ``j`` claims that ``(alpha, beta / g^{v_j})`` is a
Diffie–Hellman tuple over ``(g, K)``.

    prover:   for j ≠ i: c_j, z_j random,  a_j = g^{z_j} · alpha^{-c_j},
                         b_j = K^{z_j} · (beta / g^{v_j})^{-c_j}
              for j = i: w random,  a_i = g^w,  b_i = K^w
              c = H(label, statement..., a_0, b_0, ..., a_{k-1}, b_{k-1})
              c_i = c - Σ_{j≠i} c_j,  z_i = w + c_i · r
    proof:    (c_0, z_0, ..., c_{k-1}, z_{k-1})
    verifier: recompute every a_j, b_j by the simulator equations above and accept iff
              Σ_j c_j == H(label, statement..., a_0, b_0, ...)

Two instances with their own labels and statements:

- zero-one (`transcript.ZERO_ONE`), values ``(0, 1)``, statement fields
  ``context, K, alpha, beta``;
- range (`transcript.RANGE`), values ``min .. max``, on the homomorphic sum of a
  ballot's ciphertexts (nonce ``R = Σ r``), statement fields
  ``context, K, u32(min), u32(max), u32(n), alpha_1, beta_1, ..., alpha_n, beta_n``.

Commitments are not sent (compact form, as in Belenios): that halves the proof and saves
the verifier a 50 µs point validation per commitment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from crypto import transcript
from crypto.elgamal import Ciphertext, Nonce, PublicKey, aggregate, encode_plaintext
from crypto.group import SCALAR_BYTES, ZERO, InvalidEncodingError, Point, Scalar, base_mul
from crypto.group import hash_to_scalar as _hash
from crypto.proofs._common import NonceSource, decode_scalars, encode_scalars, verifier

if TYPE_CHECKING:
    from collections.abc import Sequence

_log = logging.getLogger(__name__)

MAX_BRANCHES: Final = 256
"""Largest number of allowed values; bounds prover and verifier work per proof."""
_ZERO_ONE: Final = (0, 1)


@dataclass(frozen=True, slots=True)
class DisjunctiveProof:
    challenges: tuple[Scalar, ...]
    """c_0 .. c_{k-1} in the spec."""
    responses: tuple[Scalar, ...]
    """z_0 .. z_{k-1} in the spec."""

    def encode(self) -> bytes:
        """``c_0 || z_0 || c_1 || z_1 || ...``, 64 bytes per branch."""
        pairs = zip(self.challenges, self.responses, strict=True)
        return b"".join(encode_scalars(c, z) for c, z in pairs)

    @classmethod
    def decode(cls, data: bytes) -> DisjunctiveProof:
        branches, rest = divmod(len(data), 2 * SCALAR_BYTES)
        if rest or not 0 < branches <= MAX_BRANCHES:
            raise InvalidEncodingError("a disjunctive proof has 1..256 branches of 64 bytes")
        scalars = decode_scalars(data, 2 * branches)
        return cls(scalars[0::2], scalars[1::2])


def _shifted_betas(beta: Point, values: Sequence[int]) -> list[Point]:
    """``beta / g^{v_j}`` for each allowed value (``beta`` itself for 0)."""
    return [beta if value == 0 else beta - encode_plaintext(value) for value in values]


def _commitments(
    key: PublicKey, alpha: Point, shifted: Point, challenge: Scalar, response: Scalar
) -> tuple[bytes, bytes]:
    """The simulator equations ``a = g^z · alpha^-c``, ``b = K^z · shifted^-c``."""
    first = base_mul(response) - alpha * challenge
    second = key * response - shifted * challenge
    return first.encoded, second.encoded


def _prove(
    label: bytes,
    *,
    fields: Sequence[bytes],
    key: PublicKey,
    ciphertext: Ciphertext,
    values: Sequence[int],
    witness: tuple[int, Nonce],
    random_scalar: NonceSource,
) -> DisjunctiveProof:
    plaintext, nonce = witness
    real = values.index(plaintext)  # ValueError: the statement is false, no proof exists
    blinding = random_scalar()  # w of the real branch
    challenges: list[Scalar] = []
    responses: list[Scalar] = []
    commitments: list[bytes] = []
    for index, shifted in enumerate(_shifted_betas(ciphertext.beta, values)):
        if index == real:  # a_i = g^w, b_i = K^w; c_i and z_i are set after hashing
            challenges.append(ZERO)
            responses.append(ZERO)
            commitments += [base_mul(blinding).encoded, (key * blinding).encoded]
        else:  # simulated branch: pick c_j, z_j first, solve for the commitments
            challenge, response = random_scalar(), random_scalar()
            challenges.append(challenge)
            responses.append(response)
            commitments += _commitments(key, ciphertext.alpha, shifted, challenge, response)
    real_challenge = _hash(label, *fields, *commitments)
    for challenge in challenges:  # the real slot still holds zero
        real_challenge = real_challenge - challenge
    challenges[real] = real_challenge
    responses[real] = blinding + real_challenge * nonce
    return DisjunctiveProof(tuple(challenges), tuple(responses))


def _check(
    label: bytes,
    *,
    fields: Sequence[bytes],
    key: PublicKey,
    ciphertext: Ciphertext,
    values: Sequence[int],
    proof: DisjunctiveProof,
) -> bool:
    if not len(proof.challenges) == len(proof.responses) == len(values):
        _log.debug("%s: proof has the wrong number of branches", label.decode())
        return False
    shifted = _shifted_betas(ciphertext.beta, values)
    commitments: list[bytes] = []
    total = ZERO
    for index, (c, z) in enumerate(zip(proof.challenges, proof.responses, strict=True)):
        commitments += _commitments(key, ciphertext.alpha, shifted[index], c, z)
        total = total + c
    if total != _hash(label, *fields, *commitments):
        _log.debug("%s: challenges do not sum to the recomputed hash", label.decode())
        return False
    return True


def _zero_one_fields(key: PublicKey, ciphertext: Ciphertext, context: bytes) -> list[bytes]:
    return [context, key.encoded, ciphertext.alpha.encoded, ciphertext.beta.encoded]


def prove_zero_one(
    key: PublicKey,
    ciphertext: Ciphertext,
    plaintext: int,
    nonce: Nonce,
    context: bytes,
    *,
    random_scalar: NonceSource = Scalar.random,
) -> DisjunctiveProof:
    """Prove that ``ciphertext = encrypt(key, plaintext, nonce)`` with plaintext 0 or 1."""
    fields = _zero_one_fields(key, ciphertext, context)
    return _prove(
        transcript.ZERO_ONE,
        fields=fields,
        key=key,
        ciphertext=ciphertext,
        values=_ZERO_ONE,
        witness=(plaintext, nonce),
        random_scalar=random_scalar,
    )


@verifier
def verify_zero_one(
    key: PublicKey, ciphertext: Ciphertext, proof: DisjunctiveProof, context: bytes
) -> bool:
    """Check that ``ciphertext`` encrypts 0 or 1 under ``key``."""
    fields = _zero_one_fields(key, ciphertext, context)
    return _check(
        transcript.ZERO_ONE,
        fields=fields,
        key=key,
        ciphertext=ciphertext,
        values=_ZERO_ONE,
        proof=proof,
    )


def _range_values(minimum: int, maximum: int) -> range:
    if not 0 <= minimum <= maximum <= transcript.MAX_FIELD_LENGTH:
        raise ValueError("need 0 ≤ min ≤ max < 2^32")
    if maximum - minimum + 1 > MAX_BRANCHES:
        raise ValueError(f"a range proof has at most {MAX_BRANCHES} allowed values")
    return range(minimum, maximum + 1)


def _range_fields(
    key: PublicKey, ciphertexts: Sequence[Ciphertext], bounds: range, context: bytes
) -> list[bytes]:
    fields = [context, key.encoded, transcript.u32(bounds[0]), transcript.u32(bounds[-1])]
    fields.append(transcript.u32(len(ciphertexts)))
    for ciphertext in ciphertexts:
        fields += [ciphertext.alpha.encoded, ciphertext.beta.encoded]
    return fields


def prove_range(
    key: PublicKey,
    ciphertexts: Sequence[Ciphertext],
    openings: Sequence[tuple[int, Nonce]],
    bounds: tuple[int, int],
    context: bytes,
    *,
    random_scalar: NonceSource = Scalar.random,
) -> DisjunctiveProof:
    """Prove that the homomorphic sum of ``ciphertexts`` encrypts a value in ``bounds``.

    ``openings[i]`` is ``(m_i, r_i)`` of ``ciphertexts[i]``; ``bounds`` is ``(min, max)``,
    inclusive. Raises ValueError if the sum is out of range (no proof exists). The
    openings are not re-checked against the ciphertexts: wrong openings give a proof that
    does not verify.
    """
    if len(openings) != len(ciphertexts):
        raise ValueError("one opening per ciphertext")
    values = _range_values(*bounds)
    total_nonce = ZERO
    for _, nonce in openings:
        total_nonce = total_nonce + nonce
    witness = (sum(plaintext for plaintext, _ in openings), Nonce(total_nonce))
    fields = _range_fields(key, ciphertexts, values, context)
    return _prove(
        transcript.RANGE,
        fields=fields,
        key=key,
        ciphertext=aggregate(ciphertexts),
        values=values,
        witness=witness,
        random_scalar=random_scalar,
    )


@verifier
def verify_range(
    key: PublicKey,
    ciphertexts: Sequence[Ciphertext],
    bounds: tuple[int, int],
    proof: DisjunctiveProof,
    context: bytes,
) -> bool:
    """Check that the homomorphic sum of ``ciphertexts`` encrypts a value in ``bounds``."""
    values = _range_values(*bounds)
    if len(proof.challenges) != len(values):  # before any group work: cheap rejection
        _log.debug("range: proof has the wrong number of branches")
        return False
    fields = _range_fields(key, ciphertexts, values, context)
    return _check(
        transcript.RANGE,
        fields=fields,
        key=key,
        ciphertext=aggregate(ciphertexts),
        values=values,
        proof=proof,
    )
