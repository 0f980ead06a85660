"""Unit tests for crypto.elgamal: known answers, homomorphism, decoding."""

from __future__ import annotations

import pytest

from crypto import elgamal
from crypto.dlog import discrete_log
from crypto.elgamal import Ciphertext, Nonce, SecretKey
from crypto.group import (
    GENERATOR,
    GROUP_ORDER,
    IDENTITY,
    IDENTITY_ENCODING,
    InvalidEncodingError,
    Scalar,
    base_mul,
)

# Regression pins (also the first cross-check vectors for the browser client):
# x = 0x5eed, r = 0xabcdef, K = g^x, encrypt(K, m, r) = alpha || beta.
SECRET = SecretKey(Scalar.from_int(0x5EED))
NONCE = Nonce(Scalar.from_int(0xABCDEF))
PUBLIC_HEX = "04130ce6857500ab1b37842161c7c885356394d130fb460f37355dc5fd115203"
ALPHA_HEX = "4886bc981d0cafacac99e856348bebb2f563a87c5fb8553c42651f22ce1c4a5c"
BETA_HEX = {
    0: "2050a644f19ca1dc18b76871f15b346a8c96e271deed048d00df2949a4704d18",
    1: "8e93f34fd138ca20af88b7971d7f97741ef0fea52300833c4efc470c932f2135",
}


@pytest.mark.parametrize("plaintext", [0, 1])
def test_encryption_known_answer(plaintext: int) -> None:
    public = elgamal.public_key_of(SECRET)
    assert public.encode().hex() == PUBLIC_HEX
    ciphertext = elgamal.encrypt(public, plaintext, NONCE)
    assert ciphertext.encode().hex() == ALPHA_HEX + BETA_HEX[plaintext]


def test_encryption_is_the_textbook_formula() -> None:
    keys = elgamal.generate_keypair()
    nonce = elgamal.fresh_nonce()
    ciphertext = elgamal.encrypt(keys.public, 7, nonce)
    assert ciphertext.alpha == base_mul(nonce)
    assert ciphertext.beta == base_mul(Scalar.from_int(7)) + keys.public * nonce
    assert elgamal.decrypt_to_point(keys.secret, ciphertext) == base_mul(Scalar.from_int(7))


def test_encryption_of_zero_decrypts_to_the_identity() -> None:
    keys = elgamal.generate_keypair()
    ciphertext = elgamal.encrypt(keys.public, 0, elgamal.fresh_nonce())
    assert elgamal.decrypt_to_point(keys.secret, ciphertext) == IDENTITY
    assert discrete_log(elgamal.decrypt_to_point(keys.secret, ciphertext)) == 0


def test_same_nonce_same_ciphertext_fresh_nonce_different() -> None:
    keys = elgamal.generate_keypair()
    assert elgamal.encrypt(keys.public, 1, NONCE) == elgamal.encrypt(keys.public, 1, NONCE)
    first = elgamal.encrypt(keys.public, 1, elgamal.fresh_nonce())
    assert first != elgamal.encrypt(keys.public, 1, elgamal.fresh_nonce())


def test_homomorphic_addition_and_aggregate() -> None:
    keys = elgamal.generate_keypair()
    plaintexts = [1, 0, 1, 1, 0, 3]
    ciphertexts = [elgamal.encrypt(keys.public, m, elgamal.fresh_nonce()) for m in plaintexts]
    total = elgamal.aggregate(ciphertexts)
    assert discrete_log(elgamal.decrypt_to_point(keys.secret, total)) == sum(plaintexts)
    pair = ciphertexts[0] + ciphertexts[1]
    assert discrete_log(elgamal.decrypt_to_point(keys.secret, pair)) == 1


def test_aggregate_of_nothing_is_the_neutral_ciphertext() -> None:
    assert elgamal.aggregate([]) == elgamal.ZERO_CIPHERTEXT
    one = elgamal.encrypt(elgamal.generate_keypair().public, 1, NONCE)
    assert elgamal.aggregate([one]) == one
    assert one + elgamal.ZERO_CIPHERTEXT == one


@pytest.mark.parametrize("plaintext", [-1, GROUP_ORDER])
def test_plaintexts_outside_the_group_are_refused(plaintext: int) -> None:
    with pytest.raises(ValueError, match="plaintext"):
        elgamal.encrypt(elgamal.generate_keypair().public, plaintext, NONCE)


def test_ciphertext_round_trip_and_rejections() -> None:
    ciphertext = elgamal.encrypt(elgamal.generate_keypair().public, 1, NONCE)
    assert Ciphertext.decode(ciphertext.encode()) == ciphertext
    for bad in (ciphertext.encode()[:63], ciphertext.encode() + b"\x00"):
        with pytest.raises(InvalidEncodingError):
            Ciphertext.decode(bad)
    with pytest.raises(InvalidEncodingError):
        Ciphertext.decode(IDENTITY_ENCODING + GENERATOR.encode())
    with pytest.raises(InvalidEncodingError):
        Ciphertext.decode(GENERATOR.encode() + IDENTITY_ENCODING)
    with pytest.raises(InvalidEncodingError):
        Ciphertext.decode(GENERATOR.encode() + bytes(32))  # small order beta
