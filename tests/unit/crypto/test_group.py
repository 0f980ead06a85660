"""Unit tests for crypto.group and crypto.transcript: vectors, encodings, rejections."""

from __future__ import annotations

import hashlib
import struct

import pytest
import rbcl

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

# RFC 9496 Appendix A.1: encodings of B * 0 .. B * 15 (B the generator).
RFC9496_MULTIPLES = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
]

# RFC 9496 Appendix A.2: invalid encodings, by the reason they are invalid.
RFC9496_INVALID = {
    "non-canonical field encoding": [
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
    "negative field element": [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ],
    "non-square x^2": [
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ],
    "negative xy": [
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ],
    "s = -1, so y = 0": [
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
}

# RFC 9496 Appendix A.3: element derivation from 64 uniform bytes, (input, output).
RFC9496_DERIVED = [
    (
        (
            "5d1be09e3d0c82fc538112490e35701979d99e06ca3e2b5b54bffe8b4dc772c1"
            "4d98b696a1bbfb5ca32c436cc61c16563790306c79eaca7705668b47dffe5bb6"
        ),
        "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46",
    ),
    (
        (
            "f116b34b8f17ceb56e8732a60d913dd10cce47a6d53bee9204be8b44f6678b27"
            "0102a56902e2488c46120e9276cfe54638286b9e4b3cdb470b542d46c2068d38"
        ),
        "f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b",
    ),
    (
        (
            "8422e1bbdaab52938b81fd602effb6f89110e1e57208ad12d9ad767e2e25510c"
            "27140775f9337088b982d83d7fcf0b2fa1edffe51952cbe7365e95c86eaf325c"
        ),
        "006ccd2a9e6867e6a2c5cea83d3302cc9de128dd2a9a57dd8ee7b9d7ffe02826",
    ),
    (
        (
            "ac22415129b61427bf464e17baee8db65940c233b98afce8d17c57beeb7876c2"
            "150d15af1cb1fb824bbd14955f2b57d08d388aab431a391cfc33d5bafb5dbbaf"
        ),
        "f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a",
    ),
    (
        (
            "165d697a1ef3d5cf3c38565beefcf88c0f282b8e7dbd28544c483432f1cec767"
            "5debea8ebb4e5fe7d6f6e5db15f15587ac4d4d4a1de7191e0c1ca6664abcc413"
        ),
        "ae81e7dedf20a497e10c304a765c1767a42d6e06029758d2d7e8ef7cc4c41179",
    ),
    (
        (
            "a836e6c9a9ca9f1e8d486273ad56a78c70cf18f0ce10abb1c7172ddd605d7fd2"
            "979854f47ae1ccf204a33102095b4200e5befc0465accc263175485f0e17ea5c"
        ),
        "e2705652ff9f5e44d3e841bf1c251cf7dddb77d140870d1ab2ed64f1a9ce8628",
    ),
    (
        (
            "2cdc11eaeb95daf01189417cdddbf95952993aa9cb9c640eb5058d09702c7462"
            "2c9965a697a3b345ec24ee56335b556e677b30e6f90ac77d781064f866a3c982"
        ),
        "80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065",
    ),
]


# --- the group's constants and the RFC 9496 vectors ---------------------------------------


def test_group_order_and_generator_are_the_rfc9496_ones() -> None:
    assert GROUP_ORDER == 2**252 + 27742317777372353535851937790883648493
    assert GENERATOR.encoded.hex() == RFC9496_MULTIPLES[1]
    assert base_mul(Scalar.from_int(GROUP_ORDER - 1)) == -GENERATOR
    assert IDENTITY_ENCODING.hex() == RFC9496_MULTIPLES[0]


@pytest.mark.parametrize(("multiple", "encoding"), list(enumerate(RFC9496_MULTIPLES)))
def test_rfc9496_multiples_of_the_generator(multiple: int, encoding: str) -> None:
    scalar = Scalar.from_int(multiple)
    assert base_mul(scalar).encode().hex() == encoding
    assert (GENERATOR * scalar).encode().hex() == encoding
    repeated = IDENTITY
    for _ in range(multiple):
        repeated = repeated + GENERATOR
    assert repeated.encode().hex() == encoding
    assert Point.decode(bytes.fromhex(encoding), allow_identity=True).encode().hex() == encoding


@pytest.mark.parametrize("encoding", [e for group in RFC9496_INVALID.values() for e in group])
def test_rfc9496_invalid_encodings_are_rejected(encoding: str) -> None:
    with pytest.raises(InvalidEncodingError):
        Point.decode(bytes.fromhex(encoding), allow_identity=True)


@pytest.mark.parametrize(("uniform", "expected"), RFC9496_DERIVED)
def test_rfc9496_element_derivation(uniform: str, expected: str) -> None:
    # hash_to_point feeds SHA-512 of its transcript to exactly this map (RFC 9496 §4.3.4).
    assert rbcl.crypto_core_ristretto255_from_hash(bytes.fromhex(uniform)).hex() == expected


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


def test_identity_is_accepted_only_when_asked() -> None:
    with pytest.raises(InvalidEncodingError, match="identity"):
        Point.decode(IDENTITY_ENCODING)
    assert Point.decode(IDENTITY_ENCODING, allow_identity=True) is IDENTITY


def test_point_decode_rejects_high_bit_and_edwards_encodings() -> None:
    valid = base_mul(Scalar.from_int(5)).encode()
    with pytest.raises(InvalidEncodingError):
        Point.decode(valid[:31] + bytes([valid[31] | 0x80]))
    # The RFC 8032 Ed25519 base point's encoding is not a ristretto255 encoding.
    with pytest.raises(InvalidEncodingError):
        Point.decode(bytes.fromhex("58" + "66" * 31))


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
    point = hash_to_point(b"test/h2p", b"x")
    assert point.encode() == rbcl.crypto_core_ristretto255_from_hash(digest)
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
        point.encode().hex() == "9ae184cdacd047167ef15dda0d034267092a4e227c3edd1dd3d45ac2a04ce53b"
    )
