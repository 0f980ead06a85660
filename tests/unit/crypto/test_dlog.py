"""Unit tests for crypto.dlog: boundaries of the baby-step giant-step search."""

from __future__ import annotations

import pytest

from crypto import dlog
from crypto.dlog import DEFAULT_BOUND, discrete_log
from crypto.group import IDENTITY, Scalar, base_mul, hash_to_point


@pytest.mark.parametrize("m", [0, 1, 2, 999, 1000, 1001, 1002, 123_456, 999_999, DEFAULT_BOUND])
def test_finds_every_exponent_up_to_the_bound(m: int) -> None:
    assert discrete_log(base_mul(Scalar.from_int(m))) == m


def test_identity_is_zero() -> None:
    assert discrete_log(IDENTITY) == 0


@pytest.mark.parametrize("m", [DEFAULT_BOUND + 1, DEFAULT_BOUND + 1001, 2 * DEFAULT_BOUND])
def test_returns_none_just_past_the_bound(m: int) -> None:
    assert discrete_log(base_mul(Scalar.from_int(m))) is None


def test_returns_none_for_a_point_of_unknown_log() -> None:
    assert discrete_log(hash_to_point(b"test/dlog", b"nobody knows")) is None
    assert discrete_log(base_mul(Scalar.from_int(-1))) is None


def test_small_custom_bounds() -> None:
    assert discrete_log(base_mul(Scalar.from_int(10)), bound=10) == 10
    assert discrete_log(base_mul(Scalar.from_int(11)), bound=10) is None
    assert discrete_log(IDENTITY, bound=0) == 0
    assert discrete_log(base_mul(Scalar.from_int(1)), bound=0) is None


@pytest.mark.parametrize("bound", [-1, dlog.MAX_BOUND + 1])
def test_rejects_unreasonable_bounds(bound: int) -> None:
    with pytest.raises(ValueError, match="bound"):
        discrete_log(IDENTITY, bound=bound)


def test_table_is_built_once_per_bound() -> None:
    discrete_log(base_mul(Scalar.from_int(5)), bound=77)
    before = dlog._table.cache_info()
    discrete_log(base_mul(Scalar.from_int(6)), bound=77)
    after = dlog._table.cache_info()
    assert after.hits == before.hits + 1
    assert after.misses == before.misses
    assert len(dlog._table(DEFAULT_BOUND).baby) == 1001
