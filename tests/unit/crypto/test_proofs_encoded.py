"""`crypto.proofs.decode_verified_zero_one`: decode + zero-one check, each point validated once.

It must answer exactly as ``Ciphertext.decode`` followed by ``verify_zero_one`` does, for
valid ballots, crafted zero challenges, and every kind of invalid point.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from crypto import elgamal
from crypto.elgamal import Ciphertext, PublicKey
from crypto.group import ZERO, InvalidEncodingError, Scalar, base_mul
from crypto.proofs import (
    DisjunctiveProof,
    decode_verified_zero_one,
    prove_zero_one,
    verify_zero_one,
)

CONTEXT = b"manifest-hash|credential|q0|o1"
KEY = elgamal.generate_keypair().public
ORDER_8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


def _reference(
    key: PublicKey, encoded: bytes, proof: DisjunctiveProof, context: bytes
) -> Ciphertext | None:
    try:
        ciphertext = Ciphertext.decode(encoded)
    except InvalidEncodingError:
        return None
    return ciphertext if verify_zero_one(key, ciphertext, proof, context) else None


def _ballot(plaintext: int = 1) -> tuple[bytes, DisjunctiveProof]:
    nonce = elgamal.fresh_nonce()
    ciphertext = elgamal.encrypt(KEY, plaintext, nonce)
    return ciphertext.encode(), prove_zero_one(KEY, ciphertext, plaintext, nonce, CONTEXT)


def _scripted(*values: Scalar) -> Iterator[Scalar]:
    yield from values
    while True:
        yield Scalar.random()


def test_a_valid_ciphertext_and_proof_decode_to_the_same_ciphertext() -> None:
    for plaintext in (0, 1):
        encoded, proof = _ballot(plaintext)
        result = decode_verified_zero_one(KEY, encoded, proof, CONTEXT)
        assert result == Ciphertext.decode(encoded)


def test_wrong_context_length_identity_and_branch_count_are_refused() -> None:
    encoded, proof = _ballot()
    identity = bytes.fromhex(SMALL_ORDER[0])
    assert decode_verified_zero_one(KEY, encoded, proof, CONTEXT + b"x") is None
    assert decode_verified_zero_one(KEY, encoded[:63], proof, CONTEXT) is None
    assert decode_verified_zero_one(KEY, identity + encoded[32:], proof, CONTEXT) is None
    assert decode_verified_zero_one(KEY, encoded[:32] + identity, proof, CONTEXT) is None
    single = DisjunctiveProof(proof.challenges[:1], proof.responses[:1])
    assert decode_verified_zero_one(KEY, encoded, single, CONTEXT) is None


def test_a_zero_challenge_still_validates_beta() -> None:
    """Plaintext 1: branch 0 is simulated, so a scripted nonce source can make c_0 = 0."""
    nonce = elgamal.fresh_nonce()
    ciphertext = elgamal.encrypt(KEY, 1, nonce)
    draws = _scripted(Scalar.random(), ZERO, Scalar.random())  # w, then c_0 = 0, z_0
    proof = prove_zero_one(KEY, ciphertext, 1, nonce, CONTEXT, random_scalar=lambda: next(draws))
    assert proof.challenges[0].is_zero()
    assert decode_verified_zero_one(KEY, ciphertext.encode(), proof, CONTEXT) == ciphertext


@pytest.mark.parametrize("bad", SMALL_ORDER)
@pytest.mark.parametrize("position", ["alpha", "beta"])
def test_small_order_points_are_refused(bad: str, position: str) -> None:
    encoded, proof = _ballot()
    point = bytes.fromhex(bad)
    changed = point + encoded[32:] if position == "alpha" else encoded[:32] + point
    assert decode_verified_zero_one(KEY, changed, proof, CONTEXT) is None


def test_mixed_order_points_are_refused() -> None:
    encoded, proof = _ballot()
    for position in (0, 32):
        mixed = sodium.crypto_core_ed25519_add(encoded[position : position + 32], ORDER_8)
        changed = encoded[:position] + mixed + encoded[position + 32 :]
        assert decode_verified_zero_one(KEY, changed, proof, CONTEXT) is None


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_mutation_gets_the_same_answer_as_decode_then_verify(data: st.DataObject) -> None:
    encoded, proof = _ballot(data.draw(st.sampled_from([0, 1])))
    raw = bytearray(encoded + proof.encode())
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= 1 << data.draw(st.integers(0, 7))
    try:
        mutated = DisjunctiveProof.decode(bytes(raw[64:]))
    except InvalidEncodingError:
        return  # a non-canonical scalar never reaches either path
    expected = _reference(KEY, bytes(raw[:64]), mutated, CONTEXT)
    assert decode_verified_zero_one(KEY, bytes(raw[:64]), mutated, CONTEXT) == expected


def test_premise_libsodium_multiplication_validates_like_is_valid_point() -> None:
    """The documented premise: noclamp multiplication refuses exactly the invalid points."""
    scalar = Scalar.random().encoded

    def multiplies(point: bytes) -> bool:
        try:
            sodium.crypto_scalarmult_ed25519_noclamp(scalar, point)
        except CryptoError:
            return False
        return True

    p = 2**255 - 19
    candidates = [bytes.fromhex(h) for h in SMALL_ORDER]
    candidates += [
        ((y + p) | (sign << 255)).to_bytes(32, "little") for y in range(19) for sign in (0, 1)
    ]
    candidates += [
        sodium.crypto_core_ed25519_add(base_mul(Scalar.random()).encoded, ORDER_8)
        for _ in range(20)
    ]
    candidates += [os.urandom(32) for _ in range(300)]
    candidates += [base_mul(Scalar.random()).encoded for _ in range(20)]
    for point in candidates:
        assert multiplies(point) == bool(sodium.crypto_core_ed25519_is_valid_point(point)), (
            point.hex()
        )
