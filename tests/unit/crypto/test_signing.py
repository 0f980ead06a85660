"""Ed25519 wrappers: RFC 8032 §7.1 TEST 1-3 and domain separation.

Vectors copied from trezor/trezor-firmware python/tests/test_cosi.py (RFC8032_VECTORS,
"test 1" .. "test 3"), which are RFC 8032 §7.1 TEST 1, TEST 2 and TEST 3.
"""

from __future__ import annotations

import pytest

from crypto.signing import (
    Ed25519PublicKey,
    Ed25519SecretKey,
    SigningError,
    labelled_message,
    sign,
    sign_message,
    verify,
    verify_message,
)

RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        (
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        (
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        (
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
    ),
]


@pytest.mark.parametrize(
    ("seed", "public", "message", "signature"), RFC8032, ids=["test1", "test2", "test3"]
)
def test_rfc8032_vectors(seed: str, public: str, message: str, signature: str) -> None:
    sk = Ed25519SecretKey.from_hex(seed)
    assert sk.public_key.hex() == public
    assert sign_message(sk, bytes.fromhex(message)).hex() == signature
    pk = Ed25519PublicKey.from_hex(public)
    assert verify_message(pk, bytes.fromhex(message), bytes.fromhex(signature))
    bad = bytearray.fromhex(signature)
    bad[37] ^= 0xF0
    assert not verify_message(pk, bytes.fromhex(message), bytes(bad))


def test_labelled_round_trip_and_separation() -> None:
    sk = Ed25519SecretKey.generate()
    pk = sk.public_key
    sig = sign(sk, "stimmwerk/ballot/v1", b"payload")
    assert verify(pk, "stimmwerk/ballot/v1", b"payload", sig)
    assert not verify(pk, "stimmwerk/receipt/v1", b"payload", sig)  # other context
    assert not verify(pk, "stimmwerk/ballot/v1", b"payload!", sig)
    assert not verify_message(pk, b"payload", sig)  # the label is really signed
    assert verify_message(pk, labelled_message("stimmwerk/ballot/v1", b"payload"), sig)
    assert not verify(
        Ed25519SecretKey.generate().public_key, "stimmwerk/ballot/v1", b"payload", sig
    )


def test_label_boundary_is_unambiguous() -> None:
    # "a" + "b/c" and "a/b" + "c" must not produce the same signed bytes.
    assert labelled_message("a", b"b/c") != labelled_message("a/b", b"c")
    assert labelled_message("a", b"x") == b"a\x00x"


def test_verify_never_raises() -> None:
    sk = Ed25519SecretKey.generate()
    pk = sk.public_key
    sig = sign(sk, "l", b"m")
    assert not verify(pk, "Bad Label", b"m", sig)
    assert not verify(pk, "l", "m", sig)  # type: ignore[arg-type]
    assert not verify(pk, "l", b"m", sig[:-1])
    assert not verify(pk, "l", b"m", None)  # type: ignore[arg-type]
    assert not verify_message("key", b"m", sig)  # type: ignore[arg-type]
    small_order = Ed25519PublicKey(bytes(32))  # identity-ish point: libsodium rejects
    assert not verify_message(small_order, b"m", bytes(64))


def test_key_encodings() -> None:
    sk = Ed25519SecretKey.generate()
    assert Ed25519SecretKey.from_hex(sk.hex()) == sk
    assert Ed25519PublicKey.from_hex(sk.public_key.hex()) == sk.public_key
    assert sk.hex() not in repr(sk)
    for bad in ("00" * 31, "AB" * 32, "zz" * 32, 5):
        with pytest.raises(SigningError):
            Ed25519PublicKey.from_hex(bad)  # type: ignore[arg-type]
    with pytest.raises(SigningError):
        Ed25519SecretKey(b"short")
    with pytest.raises(SigningError):
        sign(sk, "", b"m")
    with pytest.raises(SigningError):
        sign_message(sk, "text")  # type: ignore[arg-type]


IDENTITY_POINT = bytes([1]) + bytes(31)
"""The Ed25519 identity (y = 1): what a permissive verifier (OpenSSL) accepts as a key."""


@pytest.mark.parametrize("message", [b"", b"m", b"any ballot at all"])
def test_the_identity_key_with_an_identity_r_and_zero_s_is_refused(message: bytes) -> None:
    """A = identity, R = identity, S = 0 satisfies the equation for every message.

    OpenSSL (and ZIP 215) accept it; the record requires strict verification
    (docs/election-record.md §0), which refuses a small-order key and R.
    """
    forged = IDENTITY_POINT + bytes(32)
    assert not verify_message(Ed25519PublicKey(IDENTITY_POINT), message, forged)
    assert not verify(Ed25519PublicKey(IDENTITY_POINT), "stimmwerk/ballot/v1", message, forged)
