"""RSA blind signatures, RFC 9474 (RSABSSA-SHA384-PSS/PSSZERO, Randomized/Deterministic).

What it protects, against whom:

* **Blindness** (voter vs. issuer/server): the issuer signs ``blinded_msg`` and learns
  nothing about the message, so it cannot link the credential it issued to a member
  with the credential key that later signs a ballot. With the *Randomized* variants
  this holds even against an issuer that chose a malicious key (RFC 9474 §7.3).
* **One-more unforgeability** (issuer vs. everyone): n signing interactions yield at
  most n valid signatures (RFC 9474 §7, [Lys22]); only members the issuer served hold
  credentials.
* **Key safety** (issuer's key vs. a remote attacker talking to ``blind_sign``):
  ``blind_sign`` is a remote RSA private-key oracle. It uses RSA base blinding
  (multiply by u**e, sign, divide by u; Kocher '96 §10, RFC 9474 §7.1), GMP's
  side-channel-silent ``mpz_powm_sec`` for the CRT exponentiations, and re-verifies
  every result before release (Boneh-DeMillo-Lipton fault attack, RFC 9474 §4.3
  steps 3-4).

RFC 9474 function names map to: ``prepare`` (§4.1 PrepareRandomize/PrepareIdentity),
``blind`` (§4.2 Blind), ``blind_sign`` (§4.3 BlindSign), ``finalize`` (§4.4 Finalize),
``verify`` (§4.5, plain RSASSA-PSS-VERIFY with SHA-384/MGF1-SHA-384 through the
``cryptography`` package). A finished signature is an ordinary RSA-PSS signature
over ``input_msg = msg_prefix || msg``.

Type states: ``PreparedMessage`` -> ``BlindedMessage`` (client secret state) ->
``SignedMessage`` (what a ballot carries).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import gmpy2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "DEFAULT_MODULUS_BITS",
    "BlindRsaError",
    "BlindRsaPrivateKey",
    "BlindRsaPublicKey",
    "BlindedMessage",
    "BlindingError",
    "EncodingError",
    "InvalidInputError",
    "InvalidSignatureError",
    "MessageRepresentativeOutOfRangeError",
    "PreparedMessage",
    "SignedMessage",
    "SigningFailureError",
    "UnexpectedInputSizeError",
    "Variant",
    "blind",
    "blind_sign",
    "finalize",
    "prepare",
    "verify",
]

_log = logging.getLogger(__name__)

DEFAULT_MODULUS_BITS = 3072  # BSI TR-02102-1: >= 3000-bit RSA beyond 2023
PUBLIC_EXPONENT = 65537
MIN_MODULUS_BITS = 2048
MAX_MODULUS_BITS = 8192
PREFIX_LEN = 32  # RFC 9474 §4.1 PrepareRandomize: msg_prefix = random(32)
_H_LEN = 48  # SHA-384 output length (hLen)


class Variant(Enum):
    """RFC 9474 §5 named variants (hash is always SHA-384, MGF is MGF1-SHA-384)."""

    PSS_RANDOMIZED = "RSABSSA-SHA384-PSS-Randomized"
    PSSZERO_RANDOMIZED = "RSABSSA-SHA384-PSSZERO-Randomized"
    PSS_DETERMINISTIC = "RSABSSA-SHA384-PSS-Deterministic"
    PSSZERO_DETERMINISTIC = "RSABSSA-SHA384-PSSZERO-Deterministic"

    @property
    def salt_len(self) -> int:
        """EMSA-PSS ``sLen``: 48 bytes for PSS, 0 for PSSZERO."""
        return 0 if "PSSZERO" in self.value else _H_LEN

    @property
    def randomized(self) -> bool:
        """Whether Prepare prepends a fresh 32-byte ``msg_prefix``."""
        return self.value.endswith("-Randomized")


class BlindRsaError(ValueError):
    """Base class; the subclasses carry RFC 9474's named error conditions."""


class EncodingError(BlindRsaError):
    """RFC 9474 §4.2 "encoding error" (EMSA-PSS-ENCODE cannot encode)."""


class InvalidInputError(BlindRsaError):
    """RFC 9474 §4.2 "invalid input": the encoded message is not co-prime with n."""


class BlindingError(BlindRsaError):
    """RFC 9474 §4.2 "blinding error": r has no inverse mod n (n is factored)."""


class UnexpectedInputSizeError(BlindRsaError):
    """RFC 9474 "unexpected input size": a byte string is not modulus_len long."""


class MessageRepresentativeOutOfRangeError(BlindRsaError):
    """RFC 8017 §5.2.1 "message representative out of range": not in 0..n-1."""


class SigningFailureError(BlindRsaError):
    """RFC 9474 §4.3 "signing failure": the signature failed its own check (fault)."""


class InvalidSignatureError(BlindRsaError):
    """RFC 9474 §4.4 "invalid signature": the unblinded signature does not verify."""


def _pss_padding(variant: Variant) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=variant.salt_len)


@dataclass(frozen=True)
class BlindRsaPublicKey:
    """The issuer's public key ``pk = (n, e)``, bound to one RFC 9474 variant.

    RFC 9474 §6.2 forbids using one key with several encoding options, so the
    variant is part of the key's identity.
    """

    n: int
    e: int = PUBLIC_EXPONENT
    variant: Variant = Variant.PSS_RANDOMIZED
    _crypto: rsa.RSAPublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_modulus(self.n)
        if self.e != PUBLIC_EXPONENT:
            raise BlindRsaError("public exponent must be 65537")
        if not isinstance(self.variant, Variant):
            raise BlindRsaError("variant must be a Variant")
        object.__setattr__(self, "_crypto", rsa.RSAPublicNumbers(self.e, self.n).public_key())

    def __reduce__(self) -> tuple[Any, ...]:
        # The cached ``cryptography`` key does not pickle; rebuild it (process pools).
        return (type(self), (self.n, self.e, self.variant))

    @property
    def modulus_len(self) -> int:
        """``modulus_len`` (kLen): the length of n in bytes."""
        return (self.n.bit_length() + 7) // 8

    def to_der(self) -> bytes:
        """SubjectPublicKeyInfo DER (rsaEncryption OID; the variant travels separately)."""
        return self._crypto.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_der(cls, data: bytes, variant: Variant = Variant.PSS_RANDOMIZED) -> BlindRsaPublicKey:
        """Load a SubjectPublicKeyInfo DER RSA key for ``variant``."""
        key = serialization.load_der_public_key(data)
        if not isinstance(key, rsa.RSAPublicKey):
            raise BlindRsaError("not an RSA public key")
        numbers = key.public_numbers()
        return cls(numbers.n, numbers.e, variant)

    def key_id(self) -> bytes:
        """SHA-256 of the SPKI DER: a stable identifier to publish and pin."""
        return hashlib.sha256(self.to_der()).digest()


@dataclass(frozen=True)
class BlindRsaPrivateKey:
    """The issuer's private key ``sk``: primes p, q and exponent d (CRT form cached).

    ``repr`` shows only the public part.
    """

    p: int = field(repr=False)
    q: int = field(repr=False)
    d: int = field(repr=False)
    public_key: BlindRsaPublicKey
    _crt: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pk = self.public_key
        if self.p * self.q != pk.n or self.p == self.q:
            raise BlindRsaError("p * q does not match the public modulus")
        # cryptography checks the components (ranges, d*e = 1 mod lambda, ...).
        _to_crypto_private(self.p, self.q, self.d, pk.e, pk.n)
        p, q = gmpy2.mpz(self.p), gmpy2.mpz(self.q)
        crt = (p, q, gmpy2.mpz(self.d % (self.p - 1)), gmpy2.mpz(self.d % (self.q - 1)))
        object.__setattr__(self, "_crt", (*crt, gmpy2.invert(q, p), gmpy2.mpz(pk.n)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.p, self.q, self.d, self.public_key))

    @classmethod
    def generate(
        cls, bits: int = DEFAULT_MODULUS_BITS, variant: Variant = Variant.PSS_RANDOMIZED
    ) -> BlindRsaPrivateKey:
        """A fresh issuer key (OpenSSL key generation through ``cryptography``)."""
        _check_bits(bits)
        key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)
        return cls.from_cryptography(key, variant)

    @classmethod
    def from_cryptography(cls, key: rsa.RSAPrivateKey, variant: Variant) -> BlindRsaPrivateKey:
        """Wrap a ``cryptography`` RSA private key."""
        numbers = key.private_numbers()
        pub = BlindRsaPublicKey(numbers.public_numbers.n, numbers.public_numbers.e, variant)
        return cls(numbers.p, numbers.q, numbers.d, pub)

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with ``password`` when given (the variant is not stored)."""
        pk = self.public_key
        key = _to_crypto_private(self.p, self.q, self.d, pk.e, pk.n)
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)

    @classmethod
    def from_pem(
        cls, data: bytes, variant: Variant = Variant.PSS_RANDOMIZED, password: bytes | None = None
    ) -> BlindRsaPrivateKey:
        """Load a PEM private key for ``variant``."""
        # Skip OpenSSL's check here only because __post_init__ runs the same check.
        key = serialization.load_pem_private_key(
            data, password=password, unsafe_skip_rsa_key_validation=True
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise BlindRsaError("not an RSA private key")
        return cls.from_cryptography(key, variant)


def _to_crypto_private(p: int, q: int, d: int, e: int, n: int) -> rsa.RSAPrivateKey:
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    try:
        return numbers.private_key()
    except ValueError as exc:
        raise BlindRsaError(f"inconsistent RSA private key: {exc}") from exc


def _check_bits(bits: int) -> None:
    if not MIN_MODULUS_BITS <= bits <= MAX_MODULUS_BITS:
        raise BlindRsaError(f"modulus must have {MIN_MODULUS_BITS}..{MAX_MODULUS_BITS} bits")


def _check_modulus(n: int) -> None:
    if type(n) is not int or n % 2 == 0:
        raise BlindRsaError("modulus must be an odd integer")
    _check_bits(n.bit_length())


# --- client side -------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedMessage:
    """RFC 9474 §4.1 output: ``input_msg = msg_prefix || msg``.

    ``msg_prefix`` is 32 random bytes for the Randomized variants and empty for the
    Deterministic ones. The signature covers ``input_msg``; applications consume
    ``msg`` (RFC 9474 §4.5).
    """

    variant: Variant
    msg_prefix: bytes
    msg: bytes

    def __post_init__(self) -> None:
        want = PREFIX_LEN if self.variant.randomized else 0
        if not isinstance(self.msg_prefix, bytes) or len(self.msg_prefix) != want:
            raise UnexpectedInputSizeError(f"msg_prefix must be {want} bytes")
        if not isinstance(self.msg, bytes):
            raise BlindRsaError("msg must be bytes")

    @property
    def input_msg(self) -> bytes:
        """The byte string that is PSS-encoded and signed."""
        return self.msg_prefix + self.msg


@dataclass(frozen=True)
class BlindedMessage:
    """Client state between Blind and Finalize (RFC 9474 §4.2 outputs).

    ``blinded_msg`` goes to the issuer. ``inv`` is secret: with it and the
    issuer's transcript, anyone links the credential to the member, so it is
    hidden from ``repr`` and must never be stored server-side.
    """

    prepared: PreparedMessage
    blinded_msg: bytes
    inv: int = field(repr=False)


@dataclass(frozen=True)
class SignedMessage:
    """A finished credential: the prepared message and its RSA-PSS signature ``sig``."""

    prepared: PreparedMessage
    sig: bytes

    def is_valid(self, public_key: BlindRsaPublicKey) -> bool:
        """RFC 9474 §4.5 verification under ``public_key``."""
        if not isinstance(public_key, BlindRsaPublicKey):
            return False
        if public_key.variant is not self.prepared.variant:
            _log.debug("blind-rsa verify: key is for another variant")
            return False
        return verify(public_key, self.prepared.input_msg, self.sig)


def prepare(public_key: BlindRsaPublicKey, msg: bytes) -> PreparedMessage:
    """RFC 9474 §4.1: PrepareRandomize (fresh 32-byte prefix) or PrepareIdentity."""
    variant = public_key.variant
    prefix = secrets.token_bytes(PREFIX_LEN) if variant.randomized else b""
    return PreparedMessage(variant, prefix, msg)


def blind(public_key: BlindRsaPublicKey, prepared: PreparedMessage) -> BlindedMessage:
    """RFC 9474 §4.2 Blind with a fresh random salt and blind ``r`` (CSPRNG).

    Retries on the (negligible) "blinding error", as §4.2 recommends.
    """
    salt = secrets.token_bytes(prepared.variant.salt_len)
    for _ in range(8):
        r = 1 + secrets.randbelow(public_key.n - 1)  # uniform in [1, n)
        try:
            return _blind(public_key, prepared, salt, r)
        except BlindingError:
            _log.warning("blind: r not invertible mod n; retrying")
    raise BlindingError("no invertible blind found; the modulus is not an RSA modulus")


def _blind(pk: BlindRsaPublicKey, prepared: PreparedMessage, salt: bytes, r: int) -> BlindedMessage:
    """Blind with explicit salt and r: for the RFC test vectors only (§7.4: clients
    must not let callers choose these)."""
    if prepared.variant is not pk.variant:
        raise BlindRsaError("message was prepared for a different variant than the key")
    encoded = _emsa_pss_encode(prepared.input_msg, pk.n.bit_length() - 1, salt)
    m = int.from_bytes(encoded, "big")
    if math.gcd(m, pk.n) != 1:  # step 4-5
        raise InvalidInputError("encoded message is not co-prime with n")
    try:
        inv = int(gmpy2.invert(r, pk.n))  # step 7
    except ZeroDivisionError as exc:
        raise BlindingError("r is not invertible mod n") from exc
    z = m * int(gmpy2.powmod(r, pk.e, pk.n)) % pk.n  # steps 9-10: m * r^e mod n
    return BlindedMessage(prepared, z.to_bytes(pk.modulus_len, "big"), inv)


def finalize(
    public_key: BlindRsaPublicKey, state: BlindedMessage, blind_sig: bytes
) -> SignedMessage:
    """RFC 9474 §4.4 Finalize: unblind (s = z * inv mod n) and verify.

    Raises:
        UnexpectedInputSizeError: ``blind_sig`` is not modulus_len bytes.
        MessageRepresentativeOutOfRangeError: ``blind_sig`` is not below n.
        InvalidSignatureError: the issuer's answer does not yield a valid signature.
    """
    k = public_key.modulus_len
    if not isinstance(blind_sig, bytes) or len(blind_sig) != k:
        raise UnexpectedInputSizeError(f"blind_sig must be {k} bytes")
    z = int.from_bytes(blind_sig, "big")
    if z >= public_key.n:
        raise MessageRepresentativeOutOfRangeError("blind_sig is not below n")
    sig = (z * state.inv % public_key.n).to_bytes(k, "big")
    signed = SignedMessage(state.prepared, sig)
    if not signed.is_valid(public_key):
        raise InvalidSignatureError("the issuer's blind signature does not verify")
    return signed


def verify(public_key: BlindRsaPublicKey, input_msg: bytes, sig: bytes) -> bool:
    """RFC 9474 §4.5: RSASSA-PSS-VERIFY(pk, input_msg, sig) via ``cryptography``.

    SHA-384, MGF1-SHA-384, sLen per the key's variant. Never raises.
    """
    if not isinstance(public_key, BlindRsaPublicKey):
        _log.debug("blind-rsa verify: not a public key")
        return False
    if not isinstance(input_msg, bytes) or not isinstance(sig, bytes):
        _log.debug("blind-rsa verify: input is not bytes")
        return False
    if len(sig) != public_key.modulus_len:
        _log.debug("blind-rsa verify: signature length %d", len(sig))
        return False
    try:
        public_key._crypto.verify(  # noqa: SLF001  # same module
            sig, input_msg, _pss_padding(public_key.variant), hashes.SHA384()
        )
    except (InvalidSignature, ValueError, TypeError):
        _log.debug("blind-rsa verify: RSASSA-PSS verification failed")
        return False
    return True


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    """RFC 8017 Appendix B.2.1 MGF1 with SHA-384."""
    blocks = (
        hashlib.sha384(seed + i.to_bytes(4, "big")).digest() for i in range(-(-length // _H_LEN))
    )
    return b"".join(blocks)[:length]


def _emsa_pss_encode(message: bytes, em_bits: int, salt: bytes) -> bytes:
    """RFC 8017 §9.1.1 EMSA-PSS-ENCODE with SHA-384 and MGF1-SHA-384."""
    em_len = -(-em_bits // 8)
    if em_len < _H_LEN + len(salt) + 2:
        raise EncodingError("modulus too small for SHA-384 and this salt")
    m_hash = hashlib.sha384(message).digest()
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - _H_LEN - 2) + b"\x01" + salt
    mask = _mgf1_sha384(h, em_len - _H_LEN - 1)
    masked = int.from_bytes(db, "big") ^ int.from_bytes(mask, "big")
    masked &= (1 << (8 * len(db) - (8 * em_len - em_bits))) - 1  # clear the top bits
    return masked.to_bytes(len(db), "big") + h + b"\xbc"


# --- server side -------------------------------------------------------------------


def blind_sign(private_key: BlindRsaPrivateKey, blinded_msg: bytes) -> bytes:
    """RFC 9474 §4.3 BlindSign: s = RSASP1(sk, m), checked by RSAVP1 before release.

    Raises:
        UnexpectedInputSizeError: ``blinded_msg`` is not modulus_len bytes.
        MessageRepresentativeOutOfRangeError: the integer is not below n.
        SigningFailureError: the private-key operation produced a wrong result.
    """
    pk = private_key.public_key
    k = pk.modulus_len
    if not isinstance(blinded_msg, bytes) or len(blinded_msg) != k:
        raise UnexpectedInputSizeError(f"blinded_msg must be {k} bytes")
    m = int.from_bytes(blinded_msg, "big")
    if m >= pk.n:
        raise MessageRepresentativeOutOfRangeError("blinded_msg is not below n")
    s = _rsasp1_blinded(private_key, m)
    if gmpy2.powmod(s, pk.e, pk.n) != m:  # steps 3-4: fault-attack check
        _log.error("blind_sign: RSASP1 result failed its own verification")
        raise SigningFailureError("signing failure")
    return int(s).to_bytes(k, "big")


def _rsasp1_blinded(private_key: BlindRsaPrivateKey, m: int) -> Any:
    """RSASP1 with base blinding: (m * u^e)^d * u^-1 = m^d mod n for a fresh random u.

    The exponentiation then runs on a value the requester neither knows nor
    controls, so its timing tells nothing about d (Kocher '96 §10).
    """
    n = private_key._crt[5]  # noqa: SLF001  # same module
    e = private_key.public_key.e
    while True:
        u = gmpy2.mpz(2 + secrets.randbelow(int(n) - 2))
        try:
            u_inv = gmpy2.invert(u, n)
        except ZeroDivisionError:  # u shares a factor with n: astronomically unlikely
            continue
        blinded = gmpy2.mpz(m) * gmpy2.powmod(u, e, n) % n
        return _rsasp1_crt(private_key, blinded) * u_inv % n


def _rsasp1_crt(private_key: BlindRsaPrivateKey, c: Any) -> Any:
    """RFC 8017 §5.2.1 RSASP1, CRT form (step 2.b.ii), with mpz_powm_sec."""
    p, q, dp, dq, q_inv, _n = private_key._crt  # noqa: SLF001  # same module
    s1 = gmpy2.powmod_sec(c % p, dp, p)
    s2 = gmpy2.powmod_sec(c % q, dq, q)
    h = q_inv * (s1 - s2) % p
    return s2 + h * q
