"""Ed25519 signatures (RFC 8032, via PyNaCl/libsodium) with domain separation.

What it protects: authenticity and integrity of messages signed by a key holder (a
voter's credential key, the board's log key, a trustee) against anyone who does not
hold the secret key, including the server operator.

Domain separation: ``sign``/``verify`` never sign raw application bytes. They sign

    label || 0x00 || payload

where ``label`` is an ASCII context string such as ``"stimmwerk/ballot/v1"`` (pattern
``[a-z0-9][a-z0-9._/-]*``, no 0x00). A signature made for one purpose therefore never
verifies for another purpose, even under the same key. ``sign_message`` /
``verify_message`` sign bytes as-is; use them only for formats that are themselves
domain-separated by their own specification (C2SP signed notes, which may not contain
0x00, so the two message spaces are disjoint) and for the RFC 8032 test vectors.

Verification is libsodium's ``crypto_sign_verify_detached``: it rejects non-canonical
``S`` and small-order public keys. Verifiers return ``bool`` and never raise.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
import nacl.signing

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "Ed25519PublicKey",
    "Ed25519SecretKey",
    "SigningError",
    "is_strict_public_key",
    "labelled_message",
    "sign",
    "sign_message",
    "verify",
    "verify_message",
]

_log = logging.getLogger(__name__)

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64

_LABEL_RE = re.compile(r"[a-z0-9][a-z0-9._/-]{0,127}")


class SigningError(ValueError):
    """Malformed key material or label handed to a signing function."""


@dataclass(frozen=True)
class Ed25519PublicKey:
    """An Ed25519 public key: ``A`` in RFC 8032 §5.1.5, as its 32-byte encoding."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != PUBLIC_KEY_SIZE:
            raise SigningError("an Ed25519 public key is 32 bytes")

    @classmethod
    def from_hex(cls, text: str) -> Ed25519PublicKey:
        """Parse 64 lowercase hex characters."""
        return cls(_strict_hex(text, PUBLIC_KEY_SIZE))

    def hex(self) -> str:
        """Lowercase hex, the record's encoding."""
        return self.raw.hex()


@dataclass(frozen=True)
class Ed25519SecretKey:
    """An Ed25519 secret key, held as its 32-byte seed (RFC 8032 §5.1.5 ``k``).

    ``repr`` never shows the seed, so a key that ends up in a log line or a
    traceback does not leak.
    """

    seed: bytes = field(repr=False)
    _nacl: nacl.signing.SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.seed, bytes) or len(self.seed) != SEED_SIZE:
            raise SigningError("an Ed25519 seed is 32 bytes")
        object.__setattr__(self, "_nacl", nacl.signing.SigningKey(self.seed))

    @classmethod
    def generate(cls) -> Ed25519SecretKey:
        """A fresh key from the operating system's CSPRNG (libsodium ``randombytes``)."""
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_hex(cls, text: str) -> Ed25519SecretKey:
        """Parse a 32-byte seed given as 64 lowercase hex characters."""
        return cls(_strict_hex(text, SEED_SIZE))

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The matching public key."""
        return Ed25519PublicKey(bytes(self._nacl.verify_key))

    def hex(self) -> str:
        """The seed as lowercase hex (for storage in a secret store only)."""
        return self.seed.hex()


def labelled_message(label: str, payload: bytes) -> bytes:
    """The bytes actually signed by ``sign``: ``label || 0x00 || payload``."""
    if not isinstance(label, str) or _LABEL_RE.fullmatch(label) is None:
        raise SigningError("label must match [a-z0-9][a-z0-9._/-]{0,127}")
    if not isinstance(payload, bytes):
        raise SigningError("payload must be bytes")
    return label.encode("ascii") + b"\x00" + payload


def sign(secret_key: Ed25519SecretKey, label: str, payload: bytes) -> bytes:
    """Sign ``payload`` in the context ``label``; returns the 64-byte signature."""
    return sign_message(secret_key, labelled_message(label, payload))


def verify(public_key: Ed25519PublicKey, label: str, payload: bytes, signature: bytes) -> bool:
    """True iff ``signature`` is valid for ``payload`` in context ``label``. Never raises."""
    try:
        message = labelled_message(label, payload)
    except SigningError:
        _log.debug("ed25519 verify: malformed label or payload")
        return False
    return verify_message(public_key, message, signature)


def sign_message(secret_key: Ed25519SecretKey, message: bytes) -> bytes:
    """Plain RFC 8032 Ed25519 over ``message`` (no label: see the module docstring)."""
    if not isinstance(message, bytes):
        raise SigningError("message must be bytes")
    return secret_key._nacl.sign(message).signature  # noqa: SLF001  # same module


def verify_message(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    """Plain RFC 8032 verification; ``False`` for any malformed input. Never raises."""
    if not isinstance(public_key, Ed25519PublicKey):
        _log.debug("ed25519 verify: not a public key")
        return False
    if not isinstance(message, bytes) or not isinstance(signature, bytes):
        _log.debug("ed25519 verify: message or signature is not bytes")
        return False
    if len(signature) != SIGNATURE_SIZE:
        _log.debug("ed25519 verify: signature length %d", len(signature))
        return False
    try:
        nacl.signing.VerifyKey(public_key.raw).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        _log.debug("ed25519 verify: signature check failed")
        return False
    return True


def is_strict_public_key(raw: bytes) -> bool:
    """True iff ``raw`` is a key strict verification can accept: 32 bytes, a canonical
    encoding of a point on the curve, not of small order (libsodium
    ``crypto_core_ed25519_is_valid_point``). Checked when a key is registered, so a
    key under which nothing would ever verify is refused up front."""
    if not isinstance(raw, bytes) or len(raw) != PUBLIC_KEY_SIZE:
        return False
    return bool(nacl.bindings.crypto_core_ed25519_is_valid_point(raw))


def _strict_hex(text: str, size: int) -> bytes:
    if (
        not isinstance(text, str)
        or len(text) != 2 * size
        or text != text.lower()
        or not all(c in "0123456789abcdef" for c in text)
    ):
        raise SigningError(f"expected {2 * size} lowercase hex characters")
    return bytes.fromhex(text)
