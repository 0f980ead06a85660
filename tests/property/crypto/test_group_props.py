"""Property tests for crypto.group: scalar and point laws, encodings round-trip or reject."""

from __future__ import annotations

from crypto_strategies import nonzero_scalars, points, scalar_ints, scalars
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.group import (
    GROUP_ORDER,
    IDENTITY,
    InvalidEncodingError,
    Point,
    Scalar,
    base_mul,
    hash_to_point,
    hash_to_scalar,
)

CHEAP = settings(max_examples=100, deadline=None)
SETTINGS = settings(max_examples=50, deadline=None)


@CHEAP
@given(scalar_ints, scalar_ints)
def test_scalar_arithmetic_is_integer_arithmetic_mod_l(a: int, b: int) -> None:
    x, y = Scalar.from_int(a), Scalar.from_int(b)
    assert (x + y).to_int() == (a + b) % GROUP_ORDER
    assert (x - y).to_int() == (a - b) % GROUP_ORDER
    assert (x * y).to_int() == (a * b) % GROUP_ORDER
    assert (-x).to_int() == (-a) % GROUP_ORDER


@CHEAP
@given(nonzero_scalars)
def test_scalar_inverse(x: Scalar) -> None:
    assert (x * x.invert()).to_int() == 1


@CHEAP
@given(st.binary(min_size=32, max_size=32))
def test_scalar_decode_accepts_exactly_the_canonical_encodings(data: bytes) -> None:
    value = int.from_bytes(data, "little")
    try:
        decoded = Scalar.decode(data)
    except InvalidEncodingError:
        assert value >= GROUP_ORDER
    else:
        assert decoded.to_int() == value
        assert decoded.encode() == data


@CHEAP
@given(st.binary(min_size=64, max_size=64))
def test_wide_reduction(data: bytes) -> None:
    assert Scalar.from_wide(data).to_int() == int.from_bytes(data, "little") % GROUP_ORDER


@SETTINGS
@given(scalars, scalars)
def test_base_mul_is_a_homomorphism(a: Scalar, b: Scalar) -> None:
    assert base_mul(a) + base_mul(b) == base_mul(a + b)
    assert base_mul(a) - base_mul(b) == base_mul(a - b)
    assert base_mul(a) * b == base_mul(a * b)


@SETTINGS
@given(points, scalars)
def test_variable_base_multiplication_distributes(point: Point, a: Scalar) -> None:
    assert point * a + point == point * (a + Scalar.from_int(1))
    assert point * a - point * a == IDENTITY


@SETTINGS
@given(points)
def test_valid_points_round_trip(point: Point) -> None:
    assert Point.decode(point.encode()) == point


@CHEAP
@given(st.binary(min_size=32, max_size=32))
def test_random_bytes_decode_only_to_themselves(data: bytes) -> None:
    try:
        point = Point.decode(data)
    except InvalidEncodingError:
        return
    assert point.encode() == data
    assert point * Scalar.from_int(GROUP_ORDER - 1) == -point  # it has order ℓ


@SETTINGS
@given(points, st.integers(min_value=0, max_value=255))
def test_any_flipped_bit_is_rejected_or_another_point(point: Point, bit: int) -> None:
    data = bytearray(point.encode())
    data[bit // 8] ^= 1 << (bit % 8)
    try:
        other = Point.decode(bytes(data))
    except InvalidEncodingError:
        return
    assert other != point
    assert other.encode() == bytes(data)


@SETTINGS
@given(st.binary(max_size=40), st.lists(st.binary(max_size=20), max_size=3))
def test_hashes_are_deterministic_and_domain_separated(domain: bytes, parts: list[bytes]) -> None:
    assert hash_to_scalar(domain, *parts) == hash_to_scalar(domain, *parts)
    assert hash_to_scalar(domain, *parts) != hash_to_scalar(domain + b"'", *parts)
    point = hash_to_point(domain, *parts)
    assert Point.decode(point.encode()) == point
    assert point != hash_to_point(domain, *parts, b"")
