"""The prime-order group ristretto255 (RFC 9496), with libsodium doing all the arithmetic.

ristretto255 is a prime-order group of order ``ℓ = 2^252 + 27742317777372353535851937790883648493``
built on Curve25519 (RFC 9496): every 32-byte string either decodes to exactly one group
element or is rejected, so there is no cofactor, no small subgroup and no second encoding
of the same element to worry about. The generator ``G`` is RFC 9496's. Written
additively in code (``P + Q``, ``P * s``); the documents write it multiplicatively
(``g^s``), so ``g^a · h^b`` in a spec line is ``G * a + H * b`` here.

Why ristretto255 and not the prime-order subgroup of edwards25519 (the first design):
libsodium's edwards25519 variable-base multiplication re-checks subgroup membership of its
input (a second full multiplication, by ℓ) on every call, and validating a received
point costs the same again. ristretto255 decoding is one square root, about ten times
cheaper, and its multiplication needs no such check: a yes/no/abstain ballot verifies
about 2.7 times faster, which is what lets one 2-core machine check a 400,000-ballot
record in minutes. PyNaCl does not bind ristretto255; `rbcl` does (cffi over its own
libsodium build). `@noble/curves` implements the same group for the browser.

Protects against:

- invalid-encoding and small-subgroup attacks by whoever sends us a point (a voter, a
  trustee, a forged record): `Point.decode` is the only way from bytes to a `Point`,
  and it accepts only canonical ristretto255 encodings
  (``crypto_core_ristretto255_is_valid_point``, RFC 9496 §4.3.1). Every `Point` is
  therefore a valid group element, and arithmetic on `Point` values never re-validates;
- malleable encodings: scalars must be canonical (``< ℓ``) and points canonical, so
  each value has exactly one encoding and hashes/compares by its bytes;
- leaking secrets through logs: `Scalar` never prints its value.

The identity element is encoded as 32 zero bytes (RFC 9496). libsodium's ``ristretto255``
multiplications fail when the result would be the identity. Exponential ElGamal needs it
(``g^0`` is the encrypted zero), so the identity is a first-class `Point` here:
`IDENTITY`. Arithmetic produces it where the algebra says so (``P - P``, ``P * 0``), and
`Point.decode` accepts it only when the caller asks with ``allow_identity=True`` (no
protocol message carries the identity; a decrypted tally of zero does, but the verifier
recomputes that point instead of decoding it).

Scalars are integers modulo the same ℓ as Ed25519's, so scalar arithmetic uses PyNaCl's
``crypto_core_ed25519_scalar_*`` (identical to libsodium's ristretto255 scalar functions).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

import rbcl
from nacl import bindings as sodium

from crypto import transcript

GROUP_ORDER: Final = 2**252 + 27742317777372353535851937790883648493
"""ℓ, the prime order of the group (RFC 9496 §4.1, ``l``)."""
SCALAR_BYTES: Final = 32
POINT_BYTES: Final = 32
IDENTITY_ENCODING: Final = bytes(POINT_BYTES)
"""Encoding of the neutral element (RFC 9496: 32 zero bytes)."""

_ZERO: Final = bytes(SCALAR_BYTES)


class InvalidEncodingError(ValueError):
    """The bytes are not the canonical encoding of a scalar or of a prime-order point."""


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Scalar:
    """An integer modulo ℓ, held as its canonical 32-byte little-endian encoding.

    Build one with `decode` (untrusted bytes), `from_int` (public integers),
    `from_wide` (hash outputs) or `random` (secret nonces). Arithmetic runs in
    libsodium (``crypto_core_ed25519_scalar_*``); equality is constant-time because
    scalars are often secrets (keys, nonces, shares).
    """

    encoded: bytes

    @classmethod
    def decode(cls, data: bytes) -> Scalar:
        """Decode 32 bytes little-endian, rejecting values ``≥ ℓ`` (non-canonical)."""
        data = bytes(data)
        if len(data) != SCALAR_BYTES:
            raise InvalidEncodingError(f"a scalar has {SCALAR_BYTES} bytes, got {len(data)}")
        # Canonical iff reducing it changes nothing; libsodium reduces in constant time.
        if not hmac.compare_digest(sodium.crypto_core_ed25519_scalar_reduce(data + _ZERO), data):
            raise InvalidEncodingError("scalar is not reduced modulo ℓ")
        return cls(data)

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """Return ``value mod ℓ``. For public integers only (Python ints are not constant-time)."""
        return cls((value % GROUP_ORDER).to_bytes(SCALAR_BYTES, "little"))

    @classmethod
    def from_wide(cls, data: bytes) -> Scalar:
        """Reduce 64 bytes (a SHA-512 output, read little-endian) modulo ℓ."""
        return cls(sodium.crypto_core_ed25519_scalar_reduce(bytes(data)))

    @classmethod
    def random(cls) -> Scalar:
        """Return a uniformly random non-zero scalar from the OS CSPRNG.

        PyNaCl does not bind ``crypto_core_ed25519_scalar_random``; reducing 64 random
        bytes modulo ℓ is the documented equivalent (bias < 2^-259). Zero is excluded
        because a zero nonce or key would publish the identity.
        """
        while True:
            candidate = cls.from_wide(secrets.token_bytes(64))
            if not candidate.is_zero():
                return candidate

    def encode(self) -> bytes:
        return self.encoded

    def to_int(self) -> int:
        """The integer in ``[0, ℓ)``. Public values only."""
        return int.from_bytes(self.encoded, "little")

    def is_zero(self) -> bool:
        return hmac.compare_digest(self.encoded, _ZERO)

    def invert(self) -> Scalar:
        """Return ``self^-1 mod ℓ``; raises ZeroDivisionError for zero."""
        if self.is_zero():
            raise ZeroDivisionError("zero has no inverse modulo ℓ")
        return Scalar(sodium.crypto_core_ed25519_scalar_invert(self.encoded))

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_add(self.encoded, other.encoded))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_sub(self.encoded, other.encoded))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_mul(self.encoded, other.encoded))

    def __neg__(self) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_negate(self.encoded))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self.encoded, other.encoded)

    def __hash__(self) -> int:
        return hash(self.encoded)

    def __repr__(self) -> str:
        # Scalars are keys, nonces and shares: never print one by accident.
        return "Scalar(<redacted>)"


ZERO: Final = Scalar(_ZERO)
ONE: Final = Scalar.from_int(1)


@dataclass(frozen=True, slots=True)
class Point:
    """An element of the prime-order group, held as its canonical 32-byte encoding.

    Invariant: ``encoded`` is a canonical ristretto255 encoding (``IDENTITY_ENCODING``
    included). Get a `Point` only from `decode`, from
    `GENERATOR`/`IDENTITY`/`base_mul`/`hash_to_point`, or by arithmetic on Points (the
    subgroup is closed); never call the constructor on received bytes.
    """

    encoded: bytes

    @classmethod
    def decode(cls, data: bytes, *, allow_identity: bool = False) -> Point:
        """Decode and fully validate a point.

        Rejects wrong lengths and every string that is not a canonical ristretto255
        encoding (RFC 9496 §4.3.1, in libsodium), and the identity unless
        ``allow_identity`` is set.
        """
        data = bytes(data)
        if len(data) != POINT_BYTES:
            raise InvalidEncodingError(f"a point has {POINT_BYTES} bytes, got {len(data)}")
        if data == IDENTITY_ENCODING:
            if allow_identity:
                return IDENTITY
            raise InvalidEncodingError("the identity element is not allowed here")
        # libsodium ignores bit 255 when decoding (it masks it before the canonicity
        # check), so it would accept a second encoding of every element. RFC 9496 §4.3.1
        # rejects any value >= p, which includes every string with that bit set.
        if data[-1] & 0x80 or not rbcl.crypto_core_ristretto255_is_valid_point(data):
            raise InvalidEncodingError("not a canonical ristretto255 encoding")
        return cls(data)

    def encode(self) -> bytes:
        return self.encoded

    def is_identity(self) -> bool:
        return self.encoded == IDENTITY_ENCODING

    def __add__(self, other: Point) -> Point:
        # core_add does not validate its operands; both are Points, so it need not.
        # It accepts and returns the identity encoding.
        return Point(rbcl.crypto_core_ristretto255_add(self.encoded, other.encoded))

    def __sub__(self, other: Point) -> Point:
        return Point(rbcl.crypto_core_ristretto255_sub(self.encoded, other.encoded))

    def __neg__(self) -> Point:
        return IDENTITY - self

    def __mul__(self, scalar: Scalar) -> Point:
        """Return ``self * scalar`` (``P^s``), using the fast fixed-base path for `G`."""
        # libsodium's ristretto255 multiplications refuse an identity result (and do not
        # clamp: they only clear bit 255, which is zero in a canonical scalar). In a group
        # of prime order the result is the identity exactly for a zero scalar or the
        # identity point.
        if scalar.is_zero() or self.is_identity():
            return IDENTITY
        if self.encoded == _GENERATOR_ENCODING:
            return Point(rbcl.crypto_scalarmult_ristretto255_base(scalar.encoded))
        return Point(rbcl.crypto_scalarmult_ristretto255(scalar.encoded, self.encoded))


def base_mul(scalar: Scalar) -> Point:
    """Return ``G * scalar`` (``g^s``) with libsodium's fixed-base multiplication."""
    if scalar.is_zero():
        return IDENTITY
    return Point(rbcl.crypto_scalarmult_ristretto255_base(scalar.encoded))


IDENTITY: Final = Point(IDENTITY_ENCODING)
_GENERATOR_ENCODING: Final = rbcl.crypto_scalarmult_ristretto255_base(ONE.encoded)
GENERATOR: Final = Point(_GENERATOR_ENCODING)
"""G, the RFC 9496 generator (encoding ``e2 f2 ae 0a ... 76``)."""


def hash_to_scalar(domain: bytes, *parts: bytes) -> Scalar:
    """Return ``SHA-512(transcript.encode(domain, *parts))`` read little-endian, mod ℓ.

    This is the Fiat–Shamir challenge function; ``domain`` is a label from the
    `crypto.transcript` registry.
    """
    return Scalar.from_wide(hashlib.sha512(transcript.encode(domain, *parts)).digest())


def hash_to_point(domain: bytes, *parts: bytes) -> Point:
    """Map ``(domain, parts)`` to a group element whose discrete log nobody knows.

    ``ristretto255 element derivation`` (RFC 9496 §4.3.4, libsodium's
    ``crypto_core_ristretto255_from_hash``) of ``SHA-512(transcript.encode(domain, *parts))``.
    The map adds two Elligator images, so the output is indistinguishable from uniform.
    """
    digest = hashlib.sha512(transcript.encode(domain, *parts)).digest()
    return Point(rbcl.crypto_core_ristretto255_from_hash(digest))
