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
PUBLIC_HEX = "00acb4afecf6e8c4559794e51ef80d12d49ee700df9552e9c43fe7cc90840552"
ALPHA_HEX = "753f7ca918f700348681a37ec04d28d1cbc19bbbb218f89079d6ec10cef00360"
BETA_HEX = {
    0: "a8d1e8bb6e14e61c24db40c83690d6ac991b87dcb5083b832ad5b7105a2bce35",
    1: "51477bcc1945f7370c2a0b7509ceb50aba0f5b65590ed43e8b5fcdf806372c81",
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
