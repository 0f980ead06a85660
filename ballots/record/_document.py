"""Whole-file reading of the small JSON documents (manifest, keys, tally): §0 rules.

The file must be exactly the canonical JSON (RFC 8785, `crypto.canonical`) of its value,
optionally followed by one newline. Parsing refuses what canonical JSON cannot hold
(floats, NaN, duplicate keys), so the value the verifier checks is the value the bytes
mean, with one reading only.
"""

from __future__ import annotations

import json
from typing import Final

from ballots.record._errors import RecordError
from ballots.record._fields import Loc
from ballots.record._source import RecordSource
from crypto.canonical import CanonicalError, canonical_json

MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
"""Refuse larger manifest/keys/tally files: they hold no per-ballot data."""


def _reject_float(text: str) -> object:
    raise ValueError(f"non-integer number {text}")


def _reject_constant(text: str) -> object:
    raise ValueError(f"{text} is not JSON")


def unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("an object has a duplicate key")
    return result


def loads_strict(text: str) -> object:
    """``json.loads`` refusing floats, NaN/Infinity and duplicate keys."""
    return json.loads(
        text,
        parse_float=_reject_float,
        parse_constant=_reject_constant,
        object_pairs_hook=unique_keys,
    )


def decode_document(data: bytes, name: str) -> tuple[object, Loc]:
    """Parse one canonical JSON document (§0); the `Loc` is its line 1."""
    body = data.removesuffix(b"\n")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(name, None, "", f"not UTF-8: {error}") from error
    try:
        value = loads_strict(text)
    except json.JSONDecodeError as error:
        raise RecordError(name, error.lineno, "", f"not JSON: {error.msg}") from error
    except (ValueError, RecursionError) as error:
        raise RecordError(name, 1, "", f"not record JSON: {error}") from error
    try:
        canonical = canonical_json(value)  # type: ignore[arg-type]
    except CanonicalError as error:
        raise RecordError(name, 1, "", f"not canonical JSON: {error}") from error
    if canonical != body:
        raise RecordError(name, 1, "", "not in canonical JSON form (RFC 8785)")
    return value, Loc(name, 1)


def read_document(source: RecordSource, name: str) -> tuple[object, Loc]:
    """Read and parse the whole file ``name`` of the record."""
    with source.open(name) as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RecordError(name, None, "", f"larger than {MAX_DOCUMENT_BYTES} bytes")
    return decode_document(data, name)
