"""Property tests for crypto.elgamal and crypto.dlog: decryption inverts encryption, sums add."""

from __future__ import annotations

import pytest
from crypto_strategies import nonces, nonzero_scalars
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import elgamal
from crypto.dlog import DEFAULT_BOUND, discrete_log
from crypto.elgamal import Ciphertext, Nonce, SecretKey
from crypto.group import InvalidEncodingError, Scalar, base_mul

SETTINGS = settings(max_examples=50, deadline=None)
DLOG = settings(max_examples=30, deadline=None)


@SETTINGS
@given(nonzero_scalars, st.integers(min_value=0, max_value=2**64), nonces)
def test_decryption_inverts_encryption(secret: Scalar, plaintext: int, nonce: Nonce) -> None:
    key = SecretKey(secret)
    ciphertext = elgamal.encrypt(elgamal.public_key_of(key), plaintext, nonce)
    assert elgamal.decrypt_to_point(key, ciphertext) == base_mul(Scalar.from_int(plaintext))
    if ciphertext.beta.is_identity():
        # Only for r = -m/x (probability 1/ℓ for a random r; Hypothesis finds it with x = 1):
        # no honest ciphertext carries the identity, so decoding refuses it.
        with pytest.raises(InvalidEncodingError, match="identity"):
            Ciphertext.decode(ciphertext.encode())
    else:
        assert Ciphertext.decode(ciphertext.encode()) == ciphertext


@SETTINGS
@given(nonzero_scalars, st.lists(st.tuples(st.integers(0, 3), nonces), max_size=8))
def test_aggregate_encrypts_the_sum(secret: Scalar, votes: list[tuple[int, Nonce]]) -> None:
    key = SecretKey(secret)
    public = elgamal.public_key_of(key)
    total = elgamal.aggregate(elgamal.encrypt(public, m, r) for m, r in votes)
    assert discrete_log(elgamal.decrypt_to_point(key, total)) == sum(m for m, _ in votes)


@DLOG
@given(st.integers(min_value=0, max_value=DEFAULT_BOUND))
def test_discrete_log_finds_every_value_in_range(m: int) -> None:
    assert discrete_log(base_mul(Scalar.from_int(m))) == m


@DLOG
@given(st.integers(min_value=DEFAULT_BOUND + 1, max_value=10**12))
def test_discrete_log_refuses_values_out_of_range(m: int) -> None:
    assert discrete_log(base_mul(Scalar.from_int(m))) is None
