"""Property tests for crypto.proofs: valid proofs verify; any mutated field is rejected.

Proofs travel as (challenge, response) pairs; the commitments are recomputed by the
verifier and hashed, so "mutating a commitment" means changing a response or challenge
(which changes the recomputed commitment) or a statement element it is computed from.
`test_challenge_hashes_every_commitment` checks that each recomputed commitment enters
the hash as documented.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct

from crypto_strategies import contexts, nonces, nonzero_scalars, other_point, other_scalar, points
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import elgamal, transcript
from crypto.elgamal import Ciphertext, Nonce, PublicKey, SecretKey
from crypto.group import GROUP_ORDER, ONE, Point, Scalar, base_mul
from crypto.proofs import (
    DisjunctiveProof,
    prove_dlog,
    prove_equal_dlogs,
    prove_range,
    prove_zero_one,
    verify_dlog,
    verify_equal_dlogs,
    verify_opening,
    verify_range,
    verify_zero_one,
)

SETTINGS = settings(max_examples=60, deadline=None)
EXPENSIVE = settings(max_examples=40, deadline=None)


def _other_context(context: bytes) -> bytes:
    return context + b"\x00" if len(context) % 2 else context[:-1] or b"x"


def _replace_at(values: tuple[Scalar, ...], index: int, value: Scalar) -> tuple[Scalar, ...]:
    return (*values[:index], value, *values[index + 1 :])


# --- Schnorr and Chaum–Pedersen -----------------------------------------------------------


@SETTINGS
@given(nonzero_scalars, contexts, st.data())
def test_schnorr_valid_verifies_and_any_mutation_fails(
    secret: Scalar, context: bytes, data: st.DataObject
) -> None:
    public = base_mul(secret)
    proof = prove_dlog(secret, context)
    assert verify_dlog(public, proof, context)
    field = data.draw(st.sampled_from(["public", "context", "challenge", "response"]))
    if field == "public":
        public = data.draw(other_point(public))
    elif field == "context":
        context = _other_context(context)
    else:
        value = data.draw(other_scalar(getattr(proof, field)))
        proof = dataclasses.replace(proof, **{field: value})
    assert not verify_dlog(public, proof, context)


@SETTINGS
@given(nonzero_scalars, points, contexts, st.data())
def test_chaum_pedersen_valid_verifies_and_any_mutation_fails(
    secret: Scalar, base: Point, context: bytes, data: st.DataObject
) -> None:
    statement = {"public": base_mul(secret), "base": base, "image": base * secret}
    proof = prove_equal_dlogs(secret, base, statement["image"], context)
    assert verify_equal_dlogs(*statement.values(), proof, context)
    field = data.draw(st.sampled_from([*statement, "context", "challenge", "response"]))
    if field in statement:
        statement[field] = data.draw(other_point(statement[field]))
    elif field == "context":
        context = _other_context(context)
    else:
        value = data.draw(other_scalar(getattr(proof, field)))
        proof = dataclasses.replace(proof, **{field: value})
    assert not verify_equal_dlogs(*statement.values(), proof, context)


# --- zero-one -----------------------------------------------------------------------------


@EXPENSIVE
@given(nonzero_scalars, st.sampled_from([0, 1]), nonces, contexts, st.data())
def test_zero_one_valid_verifies_and_any_mutation_fails(
    secret: Scalar, plaintext: int, nonce: Nonce, context: bytes, data: st.DataObject
) -> None:
    key = elgamal.public_key_of(SecretKey(secret))
    ciphertext = elgamal.encrypt(key, plaintext, nonce)
    proof = prove_zero_one(key, ciphertext, plaintext, nonce, context)
    assert verify_zero_one(key, ciphertext, proof, context)
    fields = ["key", "alpha", "beta", "context", "c0", "c1", "z0", "z1"]
    field = data.draw(st.sampled_from(fields))
    if field == "key":
        key = PublicKey(data.draw(other_point(key)))
    elif field in {"alpha", "beta"}:
        value = data.draw(other_point(getattr(ciphertext, field)))
        ciphertext = dataclasses.replace(ciphertext, **{field: value})
    elif field == "context":
        context = _other_context(context)
    else:
        proof = _mutate_branch(proof, field, data)
    assert not verify_zero_one(key, ciphertext, proof, context)


def _mutate_branch(proof: DisjunctiveProof, field: str, data: st.DataObject) -> DisjunctiveProof:
    """Replace c_j (``"c<j>"``) or z_j (``"z<j>"``) by a different scalar."""
    index = int(field[1:])
    name = "challenges" if field[0] == "c" else "responses"
    values = getattr(proof, name)
    replacement = data.draw(other_scalar(values[index]))
    return dataclasses.replace(proof, **{name: _replace_at(values, index, replacement)})


@EXPENSIVE
@given(nonzero_scalars, st.integers(min_value=2, max_value=2**32), nonces, contexts)
def test_no_honest_proof_for_other_values_transfers(
    secret: Scalar, plaintext: int, nonce: Nonce, context: bytes
) -> None:
    key = elgamal.public_key_of(SecretKey(secret))
    honest = elgamal.encrypt(key, 1, nonce)
    proof = prove_zero_one(key, honest, 1, nonce, context)
    forged = elgamal.encrypt(key, plaintext, nonce)
    assert not verify_zero_one(key, forged, proof, context)


def _reference_challenge(label: bytes, *fields: bytes) -> int:
    data = b"".join(struct.pack(">I", len(f)) + f for f in (label, *fields))
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % GROUP_ORDER


@EXPENSIVE
@given(nonzero_scalars, st.sampled_from([0, 1]), nonces, contexts, st.data())
def test_challenge_hashes_every_commitment(
    secret: Scalar, plaintext: int, nonce: Nonce, context: bytes, data: st.DataObject
) -> None:
    key = elgamal.public_key_of(SecretKey(secret))
    ciphertext = elgamal.encrypt(key, plaintext, nonce)
    proof = prove_zero_one(key, ciphertext, plaintext, nonce, context)
    commitments = []
    for value, c, z in zip((0, 1), proof.challenges, proof.responses, strict=True):
        shifted = ciphertext.beta - base_mul(Scalar.from_int(value))
        commitments += [base_mul(z) - ciphertext.alpha * c, key * z - shifted * c]
    statement = [context, key.encode(), ciphertext.alpha.encode(), ciphertext.beta.encode()]
    total = sum(c.to_int() for c in proof.challenges) % GROUP_ORDER
    encoded = [p.encode() for p in commitments]
    assert total == _reference_challenge(transcript.ZERO_ONE, *statement, *encoded)
    # Any single commitment changed changes the challenge the verifier must match.
    index = data.draw(st.integers(min_value=0, max_value=3))
    encoded[index] = data.draw(other_point(commitments[index])).encode()
    assert total != _reference_challenge(transcript.ZERO_ONE, *statement, *encoded)


# --- range --------------------------------------------------------------------------------


@st.composite
def ballots(draw: st.DrawFn) -> tuple[list[tuple[int, Nonce]], tuple[int, int]]:
    """One-hot-ish ballots of 1–4 options with bounds around the true selection count."""
    openings = draw(st.lists(st.tuples(st.sampled_from([0, 1]), nonces), min_size=1, max_size=4))
    count = sum(m for m, _ in openings)
    minimum = draw(st.integers(min_value=max(0, count - 2), max_value=count))
    maximum = draw(st.integers(min_value=count, max_value=count + 2))
    return openings, (minimum, maximum)


@EXPENSIVE
@given(nonzero_scalars, ballots(), contexts, st.data())
def test_range_valid_verifies_and_any_mutation_fails(
    secret: Scalar,
    ballot: tuple[list[tuple[int, Nonce]], tuple[int, int]],
    context: bytes,
    data: st.DataObject,
) -> None:
    openings, bounds = ballot
    key = elgamal.public_key_of(SecretKey(secret))
    ciphertexts = [elgamal.encrypt(key, m, r) for m, r in openings]
    proof = prove_range(key, ciphertexts, openings, bounds, context)
    assert verify_range(key, ciphertexts, bounds, proof, context)
    branches = len(proof.challenges)
    fields = ["key", "context", "min", "max", "drop", "extra", "ciphertext", "branch"]
    field = data.draw(st.sampled_from(fields))
    if field == "key":
        key = PublicKey(data.draw(other_point(key)))
    elif field == "context":
        context = _other_context(context)
    elif field in {"min", "max"}:
        bounds = _shift_bound(bounds, field, data)
    elif field == "drop":
        del ciphertexts[data.draw(st.integers(0, len(ciphertexts) - 1))]
    elif field == "extra":
        ciphertexts.append(elgamal.encrypt(key, 0, data.draw(nonces)))
    elif field == "ciphertext":
        ciphertexts = _mutate_ciphertexts(ciphertexts, data)
    else:
        index = data.draw(st.integers(min_value=0, max_value=branches - 1))
        proof = _mutate_branch(proof, data.draw(st.sampled_from("cz")) + str(index), data)
    assert not verify_range(key, ciphertexts, bounds, proof, context)


def _shift_bound(bounds: tuple[int, int], field: str, data: st.DataObject) -> tuple[int, int]:
    minimum, maximum = bounds
    if field == "min":
        minimum = data.draw(st.integers(0, maximum).filter(lambda v: v != minimum))
        return (minimum, maximum) if minimum != bounds[0] else (minimum, maximum + 1)
    return minimum, data.draw(st.integers(minimum, minimum + 4).filter(lambda v: v != maximum))


def _mutate_ciphertexts(ciphertexts: list[Ciphertext], data: st.DataObject) -> list[Ciphertext]:
    index = data.draw(st.integers(min_value=0, max_value=len(ciphertexts) - 1))
    part = data.draw(st.sampled_from(["alpha", "beta"]))
    value = data.draw(other_point(getattr(ciphertexts[index], part)))
    ciphertexts[index] = dataclasses.replace(ciphertexts[index], **{part: value})
    return ciphertexts


@EXPENSIVE
@given(nonzero_scalars, st.lists(nonces, min_size=2, max_size=3), contexts)
def test_range_rejects_a_ballot_that_selects_too_many(
    secret: Scalar, nonce_list: list[Nonce], context: bytes
) -> None:
    key = elgamal.public_key_of(SecretKey(secret))
    valid = [(1, nonce_list[0])] + [(0, r) for r in nonce_list[1:]]
    ciphertexts = [elgamal.encrypt(key, m, r) for m, r in valid]
    proof = prove_range(key, ciphertexts, valid, (1, 1), context)
    double = [ciphertexts[0], elgamal.encrypt(key, 1, nonce_list[1]), *ciphertexts[2:]]
    assert not verify_range(key, double, (1, 1), proof, context)


# --- Benaloh opening ----------------------------------------------------------------------


@SETTINGS
@given(nonzero_scalars, st.integers(0, 10), nonces, st.data())
def test_opening_valid_and_any_mutation_fails(
    secret: Scalar, plaintext: int, nonce: Nonce, data: st.DataObject
) -> None:
    key = elgamal.public_key_of(SecretKey(secret))
    ciphertext = elgamal.encrypt(key, plaintext, nonce)
    assert verify_opening(key, ciphertext, plaintext, nonce)
    field = data.draw(st.sampled_from(["key", "alpha", "beta", "plaintext", "nonce"]))
    if field == "key":
        key = PublicKey(data.draw(other_point(key)))
    elif field in {"alpha", "beta"}:
        value = data.draw(other_point(getattr(ciphertext, field)))
        ciphertext = dataclasses.replace(ciphertext, **{field: value})
    elif field == "plaintext":
        plaintext = data.draw(st.integers(0, 11).filter(lambda m: m != plaintext))
    else:
        nonce = Nonce(nonce + ONE)
    assert not verify_opening(key, ciphertext, plaintext, nonce)
