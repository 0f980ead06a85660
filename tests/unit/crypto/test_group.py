"""Unit tests for crypto.group and crypto.transcript: vectors, encodings, rejections."""

from __future__ import annotations

import hashlib
import struct

import pytest
from nacl import bindings as sodium

from crypto import transcript
from crypto.group import (
    GENERATOR,
    GROUP_ORDER,
    IDENTITY,
    IDENTITY_ENCODING,
    ONE,
    ZERO,
    InvalidEncodingError,
    Point,
    Scalar,
    base_mul,
    hash_to_point,
    hash_to_scalar,
)

FIELD_PRIME = 2**255 - 19
EDWARDS_D = (-121665 * pow(121666, -1, FIELD_PRIME)) % FIELD_PRIME

# RFC 8032 §7.1, TEST 1..3: (SECRET KEY, PUBLIC KEY).
RFC8032_KEYS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    ),
]

# The eight torsion points' encodings as libsodium lists them in has_small_order (order
# 1, 2, 4, 8 and non-canonical aliases); the sign bit does not make them valid.
SMALL_ORDER = [
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p (0)
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1 (1)
]


def _with_sign(encoding: bytes) -> bytes:
    return encoding[:31] + bytes([encoding[31] | 0x80])


def _on_curve(y: int) -> bool:
    """Is there an x with -x^2 + y^2 = 1 + d x^2 y^2 (Euler's criterion on x^2)?"""
    x_squared = (y * y - 1) * pow(EDWARDS_D * y * y + 1, -1, FIELD_PRIME) % FIELD_PRIME
    return x_squared == 0 or pow(x_squared, (FIELD_PRIME - 1) // 2, FIELD_PRIME) == 1


# --- the group's constants and the RFC 8032 vectors ---------------------------------------


def test_group_order_and_generator_are_the_rfc8032_ones() -> None:
    assert GROUP_ORDER == 2**252 + 27742317777372353535851937790883648493
    assert GENERATOR.encoded == bytes.fromhex("58" + "66" * 31)
    assert base_mul(Scalar.from_int(GROUP_ORDER - 1)) == -GENERATOR


@pytest.mark.parametrize(("secret_hex", "public_hex"), RFC8032_KEYS)
def test_rfc8032_public_key_is_base_mul_of_clamped_secret(secret_hex: str, public_hex: str) -> None:
    digest = bytearray(hashlib.sha512(bytes.fromhex(secret_hex)).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    # The clamped integer exceeds ℓ; G has order ℓ, so reducing it changes nothing.
    scalar = Scalar.from_wide(bytes(digest) + bytes(32))
    assert base_mul(scalar).encode() == bytes.fromhex(public_hex)
    assert Point.decode(bytes.fromhex(public_hex)) == base_mul(scalar)


# --- scalars ------------------------------------------------------------------------------


def test_scalar_decode_accepts_canonical_values() -> None:
    for value in (0, 1, GROUP_ORDER - 1):
        encoded = value.to_bytes(32, "little")
        assert Scalar.decode(encoded).to_int() == value
        assert Scalar.decode(encoded).encode() == encoded


@pytest.mark.parametrize("value", [GROUP_ORDER, GROUP_ORDER + 1, 2**253, 2**256 - 1])
def test_scalar_decode_rejects_non_canonical_values(value: int) -> None:
    with pytest.raises(InvalidEncodingError):
        Scalar.decode(value.to_bytes(32, "little"))


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_scalar_decode_rejects_wrong_length(length: int) -> None:
    with pytest.raises(InvalidEncodingError):
        Scalar.decode(bytes(length))


def test_scalar_arithmetic_and_inverse() -> None:
    three, five = Scalar.from_int(3), Scalar.from_int(5)
    assert (three + five).to_int() == 8
    assert (three - five).to_int() == GROUP_ORDER - 2
    assert (three * five).to_int() == 15
    assert (-three).to_int() == GROUP_ORDER - 3
    assert three * three.invert() == ONE
    assert Scalar.from_int(-1).to_int() == GROUP_ORDER - 1
    with pytest.raises(ZeroDivisionError):
        ZERO.invert()


def test_random_scalars_are_nonzero_distinct_and_canonical() -> None:
    drawn = {Scalar.random() for _ in range(50)}
    assert len(drawn) == 50
    assert all(not s.is_zero() and Scalar.decode(s.encode()) == s for s in drawn)


def test_scalar_repr_never_shows_the_value() -> None:
    secret = Scalar.from_int(123456789)
    assert "123456789" not in repr(secret)
    assert secret.encoded.hex() not in repr(secret)
    assert repr(ONE) == "Scalar(<redacted>)"


def test_scalar_equality_is_by_value() -> None:
    assert Scalar.from_int(7) == Scalar.decode((7).to_bytes(32, "little"))
    assert Scalar.from_int(7) != Scalar.from_int(8)
    assert Scalar.from_int(7) != 7
    assert len({Scalar.from_int(7), Scalar.from_int(7)}) == 1


# --- points: decoding rejects everything but prime-order points ---------------------------


def test_point_decode_round_trips_valid_points() -> None:
    point = base_mul(Scalar.from_int(987654321))
    assert Point.decode(point.encode()) == point


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_point_decode_rejects_wrong_length(length: int) -> None:
    with pytest.raises(InvalidEncodingError):
        Point.decode(b"\x58" * length)


@pytest.mark.parametrize("encoding", SMALL_ORDER)
def test_point_decode_rejects_small_order_points(encoding: str) -> None:
    raw = bytes.fromhex(encoding)
    for candidate in (raw, _with_sign(raw)):
        with pytest.raises(InvalidEncodingError):
            Point.decode(candidate)


def test_identity_is_accepted_only_when_asked_and_only_canonically() -> None:
    with pytest.raises(InvalidEncodingError, match="identity"):
        Point.decode(IDENTITY_ENCODING)
    assert Point.decode(IDENTITY_ENCODING, allow_identity=True) is IDENTITY
    aliases = [_with_sign(IDENTITY_ENCODING), bytes.fromhex(SMALL_ORDER[-1])]
    for alias in aliases:
        with pytest.raises(InvalidEncodingError):
            Point.decode(alias, allow_identity=True)


def test_point_decode_rejects_points_outside_the_prime_order_subgroup() -> None:
    order_eight = bytes.fromhex(SMALL_ORDER[2])
    # core_add does not check subgroups, so it builds G + T (order 8ℓ) for us.
    mixed = sodium.crypto_core_ed25519_add(GENERATOR.encoded, order_eight)
    with pytest.raises(InvalidEncodingError):
        Point.decode(mixed)


def test_point_decode_rejects_non_canonical_y() -> None:
    # y and y + p encode the same field element only for y < 19; all such aliases go.
    for y in range(19):
        alias = (y + FIELD_PRIME).to_bytes(32, "little")
        for candidate in (alias, _with_sign(alias)):
            with pytest.raises(InvalidEncodingError):
                Point.decode(candidate)


def test_point_decode_rejects_points_not_on_the_curve() -> None:
    off_curve = [y for y in range(2, 60) if not _on_curve(y)][:10]
    assert len(off_curve) == 10
    for y in off_curve:
        with pytest.raises(InvalidEncodingError):
            Point.decode(y.to_bytes(32, "little"))


# --- point arithmetic, including the identity ---------------------------------------------


def test_identity_behaves_as_the_neutral_element() -> None:
    point = base_mul(Scalar.from_int(5))
    assert point + IDENTITY == point
    assert IDENTITY + point == point
    assert point - point == IDENTITY
    assert point + (-point) == IDENTITY
    assert point * ZERO == IDENTITY
    assert IDENTITY * Scalar.from_int(5) == IDENTITY
    assert base_mul(ZERO) == IDENTITY
    assert GENERATOR * ZERO == IDENTITY
    assert IDENTITY.encode() == IDENTITY_ENCODING
    assert IDENTITY.is_identity()
    assert not point.is_identity()


def test_variable_and_fixed_base_multiplication_agree() -> None:
    scalar = Scalar.from_int(2**200 + 12345)
    point = base_mul(Scalar.from_int(9))
    assert point * scalar == base_mul(Scalar.from_int(9) * scalar)
    assert GENERATOR * scalar == base_mul(scalar)
    assert point * ONE == point
    assert point + point == point * Scalar.from_int(2)


# --- transcript encoding and hashing (the exact bytes a JS client must reproduce) ---------


def _reference_encode(label: bytes, *fields: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(f)) + f for f in (label, *fields))


def test_transcript_encoding_known_answer() -> None:
    encoded = transcript.encode(b"L", b"", b"\x01\x02", transcript.u32(258))
    assert encoded.hex() == "000000014c" + "00000000" + "000000020102" + "0000000400000102"
    assert encoded == _reference_encode(b"L", b"", b"\x01\x02", (258).to_bytes(4, "big"))


def test_transcript_length_prefix_prevents_field_shifting() -> None:
    assert transcript.encode(b"L", b"ab", b"c") != transcript.encode(b"L", b"a", b"bc")
    assert transcript.encode(b"L", b"ab") != transcript.encode(b"La", b"b")


def test_u32_rejects_values_that_would_wrap() -> None:
    assert transcript.u32(0) == bytes(4)
    assert transcript.u32(2**32 - 1) == b"\xff" * 4
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match="32-bit"):
            transcript.u32(bad)


def test_labels_are_distinct_ascii_and_versioned() -> None:
    assert len(set(transcript.ALL_LABELS)) == len(transcript.ALL_LABELS)
    for label in transcript.ALL_LABELS:
        assert label.isascii()
        assert label.startswith(b"stimmwerk/v1/")


def test_hash_to_scalar_is_sha512_of_the_transcript_mod_l() -> None:
    parts = (b"context", GENERATOR.encode())
    digest = hashlib.sha512(_reference_encode(b"test/label", *parts)).digest()
    expected = int.from_bytes(digest, "little") % GROUP_ORDER
    assert hash_to_scalar(b"test/label", *parts).to_int() == expected
    assert hash_to_scalar(b"test/label", *parts) != hash_to_scalar(b"test/other", *parts)


def test_hash_to_point_follows_its_definition_and_is_a_valid_point() -> None:
    digest = hashlib.sha512(_reference_encode(b"test/h2p", b"x")).digest()
    first = sodium.crypto_core_ed25519_from_uniform(digest[:32])
    second = sodium.crypto_core_ed25519_from_uniform(digest[32:])
    point = hash_to_point(b"test/h2p", b"x")
    assert point.encode() == sodium.crypto_core_ed25519_add(first, second)
    assert Point.decode(point.encode()) == point
    assert point != hash_to_point(b"test/h2p", b"y")
    assert point != hash_to_point(b"test/h2q", b"x")
    assert point == hash_to_point(b"test/h2p", b"x")


def test_hash_known_answers() -> None:
    # Regression pins for the browser client (docs/crypto/primitives.md §8).
    scalar = hash_to_scalar(b"stimmwerk/test", b"abc")
    assert (
        scalar.encode().hex() == "659bcff9322fdbf6ac96952b72513407b1476a9b74fcc5ac78200cac31ff9604"
    )
    point = hash_to_point(b"stimmwerk/test", b"abc")
    assert (
        point.encode().hex() == "15cdc620705f54e51c86d0b70c5ca19b73af4b20840d9dd7bf764973bb2162d2"
    )
