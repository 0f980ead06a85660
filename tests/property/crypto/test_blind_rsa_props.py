"""Property tests for RFC 9474 blind RSA: round trips verify, any mutation fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.blind_rsa import (
    BlindRsaError,
    BlindRsaPrivateKey,
    PreparedMessage,
    SignedMessage,
    blind,
    blind_sign,
    finalize,
    prepare,
    verify,
)

SETTINGS = settings(max_examples=25, deadline=None)
messages = st.binary(min_size=0, max_size=200)


@pytest.fixture(scope="module")
def issuer() -> BlindRsaPrivateKey:
    return BlindRsaPrivateKey.generate(3072)


@pytest.fixture(scope="module")
def other_issuer() -> BlindRsaPrivateKey:
    return BlindRsaPrivateKey.generate(3072)


def issue(issuer: BlindRsaPrivateKey, msg: bytes) -> SignedMessage:
    pk = issuer.public_key
    state = blind(pk, prepare(pk, msg))
    return finalize(pk, state, blind_sign(issuer, state.blinded_msg))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


@SETTINGS
@given(msg=messages)
def test_round_trip_verifies(issuer: BlindRsaPrivateKey, msg: bytes) -> None:
    signed = issue(issuer, msg)
    assert signed.prepared.msg == msg
    assert signed.is_valid(issuer.public_key)


@SETTINGS
@given(msg=messages, bit=st.integers(0, 8 * 384 - 1))
def test_flipped_signature_bit_fails(issuer: BlindRsaPrivateKey, msg: bytes, bit: int) -> None:
    signed = issue(issuer, msg)
    assert not verify(issuer.public_key, signed.prepared.input_msg, flip(signed.sig, bit))


@SETTINGS
@given(msg=messages.filter(bool), bit=st.integers(0, 8 * 200 - 1), prefix_bit=st.integers(0, 255))
def test_mutated_message_or_prefix_fails(
    issuer: BlindRsaPrivateKey, msg: bytes, bit: int, prefix_bit: int
) -> None:
    signed = issue(issuer, msg)
    p = signed.prepared
    for mutated in (
        PreparedMessage(p.variant, p.msg_prefix, flip(p.msg, bit)),
        PreparedMessage(p.variant, flip(p.msg_prefix, prefix_bit), p.msg),
    ):
        assert not SignedMessage(mutated, signed.sig).is_valid(issuer.public_key)


@SETTINGS
@given(msg=messages)
def test_other_key_fails(
    issuer: BlindRsaPrivateKey, other_issuer: BlindRsaPrivateKey, msg: bytes
) -> None:
    signed = issue(issuer, msg)
    assert not signed.is_valid(other_issuer.public_key)


@SETTINGS
@given(msg=messages, bit=st.integers(0, 8 * 384 - 1))
def test_mutated_blind_signature_is_caught_by_finalize(
    issuer: BlindRsaPrivateKey, msg: bytes, bit: int
) -> None:
    pk = issuer.public_key
    state = blind(pk, prepare(pk, msg))
    bad = flip(blind_sign(issuer, state.blinded_msg), bit)
    with pytest.raises(BlindRsaError):  # InvalidSignature or out-of-range
        finalize(pk, state, bad)


@SETTINGS
@given(value=st.integers(min_value=0))
def test_blind_sign_is_rsasp1(issuer: BlindRsaPrivateKey, value: int) -> None:
    """For every representative m < n, BlindSign returns s with s^e = m (mod n)."""
    pk = issuer.public_key
    m = value % pk.n
    s = int.from_bytes(blind_sign(issuer, m.to_bytes(pk.modulus_len, "big")), "big")
    assert pow(s, pk.e, pk.n) == m


@SETTINGS
@given(msg=messages)
def test_blinded_message_is_unlinkable_in_form(issuer: BlindRsaPrivateKey, msg: bytes) -> None:
    """Two blindings of the same message share nothing visible (fresh prefix, salt, r)."""
    pk = issuer.public_key
    first, second = blind(pk, prepare(pk, msg)), blind(pk, prepare(pk, msg))
    assert first.blinded_msg != second.blinded_msg
    assert len(first.blinded_msg) == pk.modulus_len
