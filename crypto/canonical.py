"""Canonical JSON (RFC 8785, JCS) for everything Stimmwerk hashes or signs.

What it protects: two honest implementations (this Python code and the later
JavaScript client or an auditor's verifier) must derive the *same bytes* from the same
logical value, or hashes and signatures stop matching; and a malicious party must not
be able to find two encodings of one value that hash differently (or one encoding that
two parsers read differently).

How: serialisation is RFC 8785 (the maintained ``rfc8785`` package), restricted to the
subset of JSON on which Python and JavaScript agree exactly:

* no floats at all (RFC 8785 §3.2.2.3 number formatting is where implementations
  diverge, and nothing in a ballot record needs fractions);
* integers only within the IEEE 754 safe range ±(2**53 - 1) (I-JSON, RFC 7493 §2.2);
* object keys are strings, strings are valid Unicode (no lone surrogates);
* byte strings are never passed in: callers encode bytes as lowercase hex strings
  (``to_hex``), so the record never depends on a base64 variant.

Hashes of canonical JSON carry a domain-separation label (``domain_hash``) so that a
hash computed for one purpose can never be replayed as a hash for another.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import rfc8785

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "CanonicalError",
    "JsonValue",
    "canonical_json",
    "domain_hash",
    "domain_hash_hex",
    "from_hex",
    "sha256_hex",
    "to_hex",
]

JsonValue: TypeAlias = bool | int | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None

#: Largest integer JavaScript represents exactly (``Number.MAX_SAFE_INTEGER``).
MAX_SAFE_INTEGER = 2**53 - 1
#: Nesting limit: our records are shallow; a limit turns hostile input into an error
#: instead of a RecursionError deep inside the serialiser.
MAX_DEPTH = 64

_LABEL_RE = re.compile(r"[a-z0-9][a-z0-9._/-]{0,127}")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")


class CanonicalError(ValueError):
    """A value cannot be encoded canonically (unsupported type or out of range)."""


def canonical_json(value: JsonValue) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``value``.

    Raises:
        CanonicalError: for floats, bytes, non-string keys, integers outside
            ±(2**53 - 1), lone surrogates, or nesting deeper than ``MAX_DEPTH``.
    """
    _check(value, 0)
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:  # e.g. lone surrogates
        raise CanonicalError(str(exc)) from exc


def _check(value: object, depth: int) -> None:
    """Reject everything outside the JS/Python-safe JSON subset (see module doc)."""
    if depth > MAX_DEPTH:
        raise CanonicalError(f"nesting deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError("integer outside ±(2**53 - 1)")
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError("object keys must be strings")
            _check(item, depth + 1)
        return
    # float, bytes, sets, dataclasses, Decimal, ...: the caller must convert first.
    raise CanonicalError(f"unsupported type {type(value).__name__}")


def sha256_hex(value: JsonValue) -> str:
    """SHA-256 of ``canonical_json(value)`` as lowercase hex, without a label.

    Use only where the value itself carries an unambiguous type tag; prefer
    ``domain_hash_hex``.
    """
    return hashlib.sha256(canonical_json(value)).hexdigest()


def domain_hash(label: str, value: JsonValue) -> bytes:
    """SHA-256(label || 0x00 || canonical_json(value)).

    The label (``[a-z0-9][a-z0-9._/-]*``, at most 128 characters, e.g.
    ``"stimmwerk/ballot/v1"``) cannot contain 0x00, so the encoding is injective:
    a hash made under one label can never equal a hash made under another for any
    pair of values (barring SHA-256 collisions).
    """
    return hashlib.sha256(_label_bytes(label) + b"\x00" + canonical_json(value)).digest()


def domain_hash_hex(label: str, value: JsonValue) -> str:
    """``domain_hash`` as lowercase hex."""
    return domain_hash(label, value).hex()


def _label_bytes(label: str) -> bytes:
    if not isinstance(label, str) or _LABEL_RE.fullmatch(label) is None:
        raise CanonicalError("label must match [a-z0-9][a-z0-9._/-]{0,127}")
    return label.encode("ascii")


def to_hex(data: bytes) -> str:
    """Encode bytes for the record: lowercase hex, the only byte encoding we use."""
    return bytes(data).hex()


def from_hex(text: str) -> bytes:
    """Decode strict lowercase, even-length hex (the inverse of ``to_hex``).

    Uppercase or odd-length input is rejected so that every byte string has exactly
    one textual form in the record.
    """
    if not isinstance(text, str) or _HEX_RE.fullmatch(text) is None:
        raise CanonicalError("expected lowercase hex of even length")
    return bytes.fromhex(text)
