"""Exponential ElGamal on the prime-order group ristretto255 (RFC 9496).

Protects the content of each ballot against everybody who does not hold the election
secret key ``x`` (in practice: fewer than ``t`` trustees, see `crypto.threshold`),
under the decisional Diffie–Hellman assumption in the group.

Spec symbols: ``g`` = `GENERATOR` (``G``), election public key ``K = g^x``, plaintext
``m`` (a small non-negative integer), nonce ``r``. A ciphertext is

    (alpha, beta) = (g^r, g^m · K^r)

Ciphertexts multiply component-wise to encrypt the sum of their plaintexts (that is how
the tally is built without decrypting single ballots); ``beta / alpha^x = g^m`` and
`crypto.dlog` recovers ``m``.

Encryption is deterministic given the nonce: the client draws ``r`` with `fresh_nonce`,
and reveals it only for a Benaloh audit (cast-or-audit), where anyone re-encrypts with
`encrypt` to check the claimed vote. Test vectors pass a fixed nonce.

`encrypt` is not constant-time in ``m`` (``g^0`` and ``g^1`` take shortcuts): it runs on
the voter's own device, where the vote is known anyway; the server never encrypts votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NewType

from crypto.group import (
    GENERATOR,
    GROUP_ORDER,
    IDENTITY,
    POINT_BYTES,
    InvalidEncodingError,
    Point,
    Scalar,
    base_mul,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

PublicKey = NewType("PublicKey", Point)
"""K = g^x, the election (or test) public key."""
SecretKey = NewType("SecretKey", Scalar)
"""x, the election secret key; in an election it exists only as trustee shares."""
Nonce = NewType("Nonce", Scalar)
"""r, the encryption randomness; revealing it reveals the plaintext."""

CIPHERTEXT_BYTES = 2 * POINT_BYTES


@dataclass(frozen=True, slots=True)
class KeyPair:
    secret: SecretKey
    public: PublicKey


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An exponential ElGamal ciphertext ``(alpha, beta) = (g^r, g^m · K^r)``."""

    alpha: Point
    beta: Point

    def encode(self) -> bytes:
        """``alpha || beta``, 64 bytes."""
        return self.alpha.encoded + self.beta.encoded

    @classmethod
    def decode(cls, data: bytes) -> Ciphertext:
        """Decode and validate both points; the identity is rejected in either place."""
        data = bytes(data)
        if len(data) != CIPHERTEXT_BYTES:
            raise InvalidEncodingError(f"a ciphertext has {CIPHERTEXT_BYTES} bytes")
        return cls(Point.decode(data[:POINT_BYTES]), Point.decode(data[POINT_BYTES:]))

    def __add__(self, other: Ciphertext) -> Ciphertext:
        """Homomorphic addition: ``(alpha·alpha', beta·beta')`` encrypts ``m + m'``."""
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)


ZERO_CIPHERTEXT = Ciphertext(IDENTITY, IDENTITY)
"""The encryption of 0 with nonce 0: the neutral element of homomorphic addition."""


def generate_keypair() -> KeyPair:
    """Return a fresh key pair (for tests and single-key use; elections use threshold keys)."""
    secret = SecretKey(Scalar.random())
    return KeyPair(secret, public_key_of(secret))


def public_key_of(secret: SecretKey) -> PublicKey:
    """K = g^x."""
    return PublicKey(base_mul(secret))


def fresh_nonce() -> Nonce:
    """A uniformly random non-zero nonce r from the OS CSPRNG."""
    return Nonce(Scalar.random())


def encode_plaintext(plaintext: int) -> Point:
    """Return ``g^m`` for ``0 ≤ m < ℓ``; ``g^0`` is the identity."""
    if not 0 <= plaintext < GROUP_ORDER:
        raise ValueError("plaintext must be a non-negative integer below ℓ")
    if plaintext == 1:
        return GENERATOR  # the common yes-vote: skip a multiplication
    return base_mul(Scalar.from_int(plaintext))


def encrypt(public_key: PublicKey, plaintext: int, nonce: Nonce) -> Ciphertext:
    """Return ``(g^r, g^m · K^r)``; deterministic in the nonce."""
    return Ciphertext(base_mul(nonce), encode_plaintext(plaintext) + public_key * nonce)


def aggregate(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """Homomorphic sum of many ciphertexts; `ZERO_CIPHERTEXT` for none."""
    remaining = iter(ciphertexts)
    total = next(remaining, ZERO_CIPHERTEXT)  # not ZERO + first: saves two additions
    for ciphertext in remaining:
        total = total + ciphertext
    return total


def decrypt_to_point(secret: SecretKey, ciphertext: Ciphertext) -> Point:
    """Return ``beta / alpha^x = g^m`` (the plaintext in the exponent)."""
    return ciphertext.beta - ciphertext.alpha * secret
