"""RFC 8785 canonical JSON of answer lines, fast: every answer is canonicalised three
times (the line, its signed body, the credential message) when it arrives and again
when the record is verified, and the pure-Python ``rfc8785`` takes about 0.9 ms for one
answer line - two thirds of the verifier's time per answer, a large share of the
server's.

On the subset ``crypto.canonical`` allows (no floats, integers within ±(2**53 - 1),
string keys, valid Unicode) RFC 8785 is what ``json.dumps`` writes with sorted keys,
no spaces and no ASCII escaping, with two exceptions, both checked here first:

* RFC 8785 sorts keys by UTF-16 code units, Python by code points; they agree unless a
  key holds a character above U+FFFF. Keys here are ASCII identifiers; any key outside
  ASCII takes the slow path.
* Strings: both escape ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` and the other control
  characters as lowercase ``\\u00xx``, and nothing else. Lone surrogates (which RFC 8785
  refuses) take the slow path.

Anything else (a float, a huge integer, a non-string key, nesting deeper than
``crypto.canonical.MAX_DEPTH``) goes to `crypto.canonical.canonical_json`, which gives
the exact bytes or raises `CanonicalError` as before. ``tests/unit/test_survey_canonical
_fast.py`` compares both on many values.
"""

from __future__ import annotations

import json
from typing import Any

from crypto.canonical import MAX_DEPTH, MAX_SAFE_INTEGER, JsonValue, canonical_json

_DUMP = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def canonical(value: JsonValue) -> bytes:
    """The RFC 8785 bytes of ``value``, as `crypto.canonical.canonical_json` gives them."""
    if _plain(value, 0):
        return _DUMP(value).encode("utf-8")
    return canonical_json(value)


def is_canonical(value: JsonValue, raw: bytes) -> bool:
    """Whether ``raw`` is the canonical encoding of ``value`` (raises as
    `canonical_json` does for values outside the subset)."""
    return canonical(value) == raw


def _plain(value: Any, depth: int) -> bool:  # noqa: PLR0911 - one return per JSON type
    """True if ``value`` is inside the subset on which ``json.dumps`` is RFC 8785."""
    if depth > MAX_DEPTH:
        return False
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        return all(
            type(key) is str and key.isascii() and _plain(item, depth + 1)
            for key, item in value.items()
        )
    if kind is list:
        return all(_plain(item, depth + 1) for item in value)
    return False  # tuples, floats, subclasses, anything else: the exact slow path


def _text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")  # lone surrogates cannot be encoded
    except UnicodeEncodeError:
        return False
    return True
