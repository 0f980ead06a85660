"""Unit tests for crypto.proofs: known answers, spec conformance, every field bound."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
import struct
from typing import TYPE_CHECKING, Any

import pytest

from crypto import elgamal, transcript
from crypto.elgamal import Ciphertext, Nonce, PublicKey, SecretKey
from crypto.group import GROUP_ORDER, ONE, InvalidEncodingError, Point, Scalar, base_mul
from crypto.proofs import (
    ChaumPedersenProof,
    DisjunctiveProof,
    SchnorrProof,
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

if TYPE_CHECKING:
    from collections.abc import Callable

CONTEXT = b"election-hash|credential-key|question-1"
SECRET = SecretKey(Scalar.from_int(0x5EED))
KEY = elgamal.public_key_of(SECRET)


def counter_nonces(start: int = 1) -> Callable[[], Scalar]:
    """Deterministic prover nonces for known-answer tests (never use outside tests)."""
    counter = itertools.count(start)
    return lambda: Scalar.from_int(0x1000 + next(counter))


def reference_challenge(label: bytes, *fields: bytes) -> int:
    """The documented challenge: SHA-512 of u32-length-prefixed fields, little-endian mod ℓ."""
    data = b"".join(struct.pack(">I", len(f)) + f for f in (label, *fields))
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % GROUP_ORDER


def bump(scalar: Scalar) -> Scalar:
    return scalar + ONE


def encrypt(plaintext: int) -> tuple[Ciphertext, Nonce]:
    nonce = elgamal.fresh_nonce()
    return elgamal.encrypt(KEY, plaintext, nonce), nonce


# --- Schnorr ------------------------------------------------------------------------------

# Regression pins (first cross-check vectors for the browser client): prover nonces are
# 0x1001, 0x1002, ... from counter_nonces; x = 0x5eed; CONTEXT as above.
SCHNORR_HEX = (
    "8005ab37dda7ec7156f0777cc040471599289df82463083c8c9ab4919ee3f108"
    "c40326443e98fdb564735f2f61f0335035c766de835c2ba8de91f2344df38309"
)
# Zero-one proof for encrypt(K, 1, r = 0xabcdef): c_0 || z_0 || c_1 || z_1. The prover
# draws w = 0x1001 for the real branch 1, then c_0 = 0x1002, z_0 = 0x1003 for branch 0.
ZERO_ONE_HEX = (
    "0210000000000000000000000000000000000000000000000000000000000000"
    "0310000000000000000000000000000000000000000000000000000000000000"
    "b7a234df2e45c4331be2d1b3d9380f5158da90abb46d93100b6b515713e66601"
    "8c91e56b24c825da9e1a242c7568f6bb577c1104d1b22bd014de1e385d9c3904"
)


def test_schnorr_proof_verifies_and_matches_the_documented_transcript() -> None:
    proof = prove_dlog(SECRET, CONTEXT, random_scalar=counter_nonces())
    assert verify_dlog(KEY, proof, CONTEXT)
    commitment = base_mul(proof.response) - KEY * proof.challenge
    assert commitment == base_mul(Scalar.from_int(0x1001))  # a = g^w
    expected = reference_challenge(transcript.SCHNORR, CONTEXT, KEY.encode(), commitment.encode())
    assert proof.challenge.to_int() == expected
    assert SchnorrProof.decode(proof.encode()) == proof


def test_schnorr_known_answer() -> None:
    proof = prove_dlog(SECRET, CONTEXT, random_scalar=counter_nonces())
    assert proof.encode().hex() == SCHNORR_HEX


@pytest.mark.parametrize("field", ["challenge", "response"])
def test_schnorr_rejects_mutated_proof(field: str) -> None:
    proof = prove_dlog(SECRET, CONTEXT)
    mutated = dataclasses.replace(proof, **{field: bump(getattr(proof, field))})
    assert not verify_dlog(KEY, mutated, CONTEXT)


def test_schnorr_rejects_mutated_statement() -> None:
    proof = prove_dlog(SECRET, CONTEXT)
    assert not verify_dlog(base_mul(Scalar.from_int(0x5EEE)), proof, CONTEXT)
    assert not verify_dlog(KEY, proof, CONTEXT + b"!")
    assert not verify_dlog(KEY, proof, b"")


def test_schnorr_rejects_the_identity_as_public_point() -> None:
    zero_proof = prove_dlog(Scalar.from_int(0), CONTEXT)
    assert not verify_dlog(base_mul(Scalar.from_int(0)), zero_proof, CONTEXT)


# --- Chaum–Pedersen -----------------------------------------------------------------------


def _cp_statement() -> tuple[Point, Point, ChaumPedersenProof]:
    base = base_mul(Scalar.from_int(777))
    image = base * SECRET
    return base, image, prove_equal_dlogs(SECRET, base, image, CONTEXT)


def test_chaum_pedersen_verifies_and_matches_the_documented_transcript() -> None:
    base, image, proof = _cp_statement()
    assert verify_equal_dlogs(KEY, base, image, proof, CONTEXT)
    first = base_mul(proof.response) - KEY * proof.challenge
    second = base * proof.response - image * proof.challenge
    fields = [p.encode() for p in (KEY, base, image, first, second)]
    expected = reference_challenge(transcript.CHAUM_PEDERSEN, CONTEXT, *fields)
    assert proof.challenge.to_int() == expected
    assert ChaumPedersenProof.decode(proof.encode()) == proof


def test_chaum_pedersen_rejects_unequal_logs() -> None:
    base = base_mul(Scalar.from_int(777))
    wrong_image = base * bump(SECRET)
    proof = prove_equal_dlogs(SECRET, base, wrong_image, CONTEXT)
    assert not verify_equal_dlogs(KEY, base, wrong_image, proof, CONTEXT)


def test_chaum_pedersen_rejects_every_mutated_field() -> None:
    base, image, proof = _cp_statement()
    other = base_mul(Scalar.from_int(31337))
    assert not verify_equal_dlogs(other, base, image, proof, CONTEXT)
    assert not verify_equal_dlogs(KEY, other, image, proof, CONTEXT)
    assert not verify_equal_dlogs(KEY, base, other, proof, CONTEXT)
    assert not verify_equal_dlogs(KEY, base, image, proof, CONTEXT + b"x")
    for field in ("challenge", "response"):
        mutated = dataclasses.replace(proof, **{field: bump(getattr(proof, field))})
        assert not verify_equal_dlogs(KEY, base, image, mutated, CONTEXT)


# --- zero-one -----------------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", [0, 1])
def test_zero_one_proof_verifies_and_matches_the_documented_transcript(plaintext: int) -> None:
    ciphertext, nonce = encrypt(plaintext)
    proof = prove_zero_one(KEY, ciphertext, plaintext, nonce, CONTEXT)
    assert verify_zero_one(KEY, ciphertext, proof, CONTEXT)
    commitments: list[bytes] = []
    for value, c, z in zip((0, 1), proof.challenges, proof.responses, strict=True):
        shifted = ciphertext.beta - base_mul(Scalar.from_int(value))
        commitments.append((base_mul(z) - ciphertext.alpha * c).encode())
        commitments.append((KEY * z - shifted * c).encode())
    statement = [CONTEXT, KEY.encode(), ciphertext.alpha.encode(), ciphertext.beta.encode()]
    expected = reference_challenge(transcript.ZERO_ONE, *statement, *commitments)
    assert sum(c.to_int() for c in proof.challenges) % GROUP_ORDER == expected
    assert DisjunctiveProof.decode(proof.encode()) == proof


def test_zero_one_known_answer() -> None:
    ciphertext = elgamal.encrypt(KEY, 1, Nonce(Scalar.from_int(0xABCDEF)))
    proof = prove_zero_one(
        KEY,
        ciphertext,
        1,
        Nonce(Scalar.from_int(0xABCDEF)),
        CONTEXT,
        random_scalar=counter_nonces(),
    )
    assert proof.encode().hex() == ZERO_ONE_HEX


@pytest.mark.parametrize("plaintext", [2, 5])
def test_zero_one_prover_refuses_other_values(plaintext: int) -> None:
    ciphertext, nonce = encrypt(plaintext)
    with pytest.raises(ValueError, match="not in"):
        prove_zero_one(KEY, ciphertext, plaintext, nonce, CONTEXT)


def test_zero_one_proof_does_not_transfer_to_an_encryption_of_two() -> None:
    one, nonce = encrypt(1)
    proof = prove_zero_one(KEY, one, 1, nonce, CONTEXT)
    two = elgamal.encrypt(KEY, 2, nonce)  # same nonce: only beta differs
    assert not verify_zero_one(KEY, two, proof, CONTEXT)


def test_zero_one_rejects_every_mutated_field() -> None:
    ciphertext, nonce = encrypt(1)
    proof = prove_zero_one(KEY, ciphertext, 1, nonce, CONTEXT)
    other = base_mul(Scalar.from_int(4242))
    assert not verify_zero_one(PublicKey(other), ciphertext, proof, CONTEXT)
    assert not verify_zero_one(KEY, Ciphertext(other, ciphertext.beta), proof, CONTEXT)
    assert not verify_zero_one(KEY, Ciphertext(ciphertext.alpha, other), proof, CONTEXT)
    assert not verify_zero_one(KEY, ciphertext, proof, CONTEXT[:-1])
    for index in range(2):
        for field in ("challenges", "responses"):
            values = list(getattr(proof, field))
            values[index] = bump(values[index])
            mutated = dataclasses.replace(proof, **{field: tuple(values)})
            assert not verify_zero_one(KEY, ciphertext, mutated, CONTEXT)


def test_zero_one_rejects_swapped_branches_and_wrong_branch_count() -> None:
    ciphertext, nonce = encrypt(0)
    proof = prove_zero_one(KEY, ciphertext, 0, nonce, CONTEXT)
    swapped = DisjunctiveProof(proof.challenges[::-1], proof.responses[::-1])
    assert not verify_zero_one(KEY, ciphertext, swapped, CONTEXT)
    short = DisjunctiveProof(proof.challenges[:1], proof.responses[:1])
    assert not verify_zero_one(KEY, ciphertext, short, CONTEXT)
    ragged = DisjunctiveProof(proof.challenges, proof.responses[:1])
    assert not verify_zero_one(KEY, ciphertext, ragged, CONTEXT)


def test_zero_one_proof_is_not_a_range_proof() -> None:
    ciphertext, nonce = encrypt(1)
    proof = prove_zero_one(KEY, ciphertext, 1, nonce, CONTEXT)
    assert not verify_range(KEY, [ciphertext], (0, 1), proof, CONTEXT)


# --- range (the ballot's selection count) -------------------------------------------------


def _ballot(plaintexts: list[int]) -> tuple[list[Ciphertext], list[tuple[int, Nonce]]]:
    openings = [(m, elgamal.fresh_nonce()) for m in plaintexts]
    return [elgamal.encrypt(KEY, m, r) for m, r in openings], openings


@pytest.mark.parametrize(
    ("plaintexts", "bounds"),
    [([0, 1, 0], (1, 1)), ([1, 1, 0, 0], (0, 2)), ([0, 0], (0, 3)), ([1, 1, 1], (2, 3))],
)
def test_range_proof_verifies(plaintexts: list[int], bounds: tuple[int, int]) -> None:
    ciphertexts, openings = _ballot(plaintexts)
    proof = prove_range(KEY, ciphertexts, openings, bounds, CONTEXT)
    assert len(proof.challenges) == bounds[1] - bounds[0] + 1
    assert verify_range(KEY, ciphertexts, bounds, proof, CONTEXT)


def test_range_proof_matches_the_documented_transcript() -> None:
    ciphertexts, openings = _ballot([0, 1, 0])
    proof = prove_range(KEY, ciphertexts, openings, (1, 1), CONTEXT)
    alpha = sum((c.alpha for c in ciphertexts[1:]), ciphertexts[0].alpha)
    beta = sum((c.beta for c in ciphertexts[1:]), ciphertexts[0].beta)
    (c,), (z,) = proof.challenges, proof.responses
    commitments = [
        (base_mul(z) - alpha * c).encode(),
        (KEY * z - (beta - base_mul(ONE)) * c).encode(),
    ]
    statement = [CONTEXT, KEY.encode(), *(transcript.u32(n) for n in (1, 1, 3))]
    statement += [p.encode() for ct in ciphertexts for p in (ct.alpha, ct.beta)]
    expected = reference_challenge(transcript.RANGE, *statement, *commitments)
    assert c.to_int() == expected


def test_range_prover_refuses_out_of_range_sums_and_bad_bounds() -> None:
    ciphertexts, openings = _ballot([1, 1, 0])
    with pytest.raises(ValueError, match="not in"):
        prove_range(KEY, ciphertexts, openings, (0, 1), CONTEXT)
    with pytest.raises(ValueError, match="min"):
        prove_range(KEY, ciphertexts, openings, (3, 2), CONTEXT)
    with pytest.raises(ValueError, match="at most"):
        prove_range(KEY, ciphertexts, openings, (0, 300), CONTEXT)
    with pytest.raises(ValueError, match="one opening"):
        prove_range(KEY, ciphertexts, openings[:2], (0, 3), CONTEXT)


def test_range_rejects_every_mutated_field() -> None:
    ciphertexts, openings = _ballot([0, 1, 0])
    proof = prove_range(KEY, ciphertexts, openings, (0, 1), CONTEXT)
    assert verify_range(KEY, ciphertexts, (0, 1), proof, CONTEXT)
    other = base_mul(Scalar.from_int(99))
    assert not verify_range(PublicKey(other), ciphertexts, (0, 1), proof, CONTEXT)
    assert not verify_range(KEY, ciphertexts, (0, 1), proof, CONTEXT + b"2")
    assert not verify_range(KEY, ciphertexts, (1, 2), proof, CONTEXT)
    assert not verify_range(KEY, ciphertexts[:2], (0, 1), proof, CONTEXT)
    assert not verify_range(KEY, ciphertexts[::-1], (0, 1), proof, CONTEXT)
    for index, ciphertext in enumerate(ciphertexts):
        for replacement in (
            Ciphertext(other, ciphertext.beta),
            Ciphertext(ciphertext.alpha, other),
        ):
            mutated_ballot = [*ciphertexts[:index], replacement, *ciphertexts[index + 1 :]]
            assert not verify_range(KEY, mutated_ballot, (0, 1), proof, CONTEXT)
    for index in range(2):
        for field in ("challenges", "responses"):
            values = list(getattr(proof, field))
            values[index] = bump(values[index])
            mutated = dataclasses.replace(proof, **{field: tuple(values)})
            assert not verify_range(KEY, ciphertexts, (0, 1), mutated, CONTEXT)


def test_range_proof_with_a_cheating_ballot_fails() -> None:
    # Two "yes" in a 1-of-3 ballot: the honest prover refuses, and a proof made for a
    # valid ballot does not transfer.
    valid, openings = _ballot([1, 0, 0])
    proof = prove_range(KEY, valid, openings, (1, 1), CONTEXT)
    cheating = [valid[0], elgamal.encrypt(KEY, 1, openings[1][1]), valid[2]]
    assert not verify_range(KEY, cheating, (1, 1), proof, CONTEXT)


# --- Benaloh audit ------------------------------------------------------------------------


def test_opening_check_accepts_the_true_opening_only() -> None:
    ciphertext, nonce = encrypt(1)
    assert verify_opening(KEY, ciphertext, 1, nonce)
    assert not verify_opening(KEY, ciphertext, 0, nonce)
    assert not verify_opening(KEY, ciphertext, 1, Nonce(bump(nonce)))
    other_key = elgamal.generate_keypair().public
    assert not verify_opening(other_key, ciphertext, 1, nonce)
    assert not verify_opening(KEY, ciphertext, -1, nonce)  # malformed: False, no raise


# --- malformed input: verifiers answer False, never raise, and say why --------------------

JUNK = Point(b"\x02" * 32)  # bypasses decode on purpose: libsodium refuses it later


@pytest.mark.parametrize(
    ("check", "arguments"),
    [
        (verify_dlog, (KEY, None, CONTEXT)),
        (verify_dlog, (JUNK, SchnorrProof(ONE, ONE), CONTEXT)),
        (verify_dlog, (KEY, SchnorrProof(ONE, ONE), None)),
        (verify_equal_dlogs, (KEY, JUNK, KEY, ChaumPedersenProof(ONE, ONE), CONTEXT)),
        (verify_zero_one, (KEY, "not a ciphertext", DisjunctiveProof((ONE,), (ONE,)), CONTEXT)),
        (
            verify_zero_one,
            (KEY, Ciphertext(JUNK, JUNK), DisjunctiveProof((ONE, ONE), (ONE, ONE)), CONTEXT),
        ),
        (verify_range, (KEY, [], (5, 1), DisjunctiveProof((ONE,), (ONE,)), CONTEXT)),
        (verify_range, (KEY, [], (0, 10**6), DisjunctiveProof((ONE,), (ONE,)), CONTEXT)),
        (verify_opening, (KEY, None, 1, ONE)),
    ],
)
def test_verifiers_return_false_on_malformed_input(
    check: Callable[..., bool], arguments: tuple[Any, ...]
) -> None:
    assert check(*arguments) is False


def test_verifier_logs_which_check_failed(caplog: pytest.LogCaptureFixture) -> None:
    ciphertext, nonce = encrypt(1)
    proof = prove_zero_one(KEY, ciphertext, 1, nonce, CONTEXT)
    with caplog.at_level(logging.DEBUG, logger="crypto.proofs"):
        assert not verify_zero_one(KEY, ciphertext, proof, b"other context")
        assert not verify_dlog(KEY, None, CONTEXT)  # type: ignore[arg-type]
    messages = " | ".join(record.getMessage() for record in caplog.records)
    assert "challenges do not sum" in messages
    assert "malformed input" in messages


def test_proof_decoding_rejects_bad_bytes() -> None:
    proof = prove_dlog(SECRET, CONTEXT)
    with pytest.raises(InvalidEncodingError):
        SchnorrProof.decode(proof.encode()[:-1])
    with pytest.raises(InvalidEncodingError):
        SchnorrProof.decode(proof.encode()[:32] + GROUP_ORDER.to_bytes(32, "little"))
    for bad in (b"", bytes(63), bytes(64 * 257)):
        with pytest.raises(InvalidEncodingError):
            DisjunctiveProof.decode(bad)
