"""Strict, path-aware readers for JSON values (docs/election-record.md §0).

Every reader takes the value, a `Loc` (file, line and the field path so far) and either
returns the value with its exact type or raises `RecordError` naming that field. The
rules are §0's: objects have exactly the documented keys; integers are JSON integers
(never booleans, never floats) within ±(2^53−1); bytes are lowercase hex of the
documented length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ballots.record._errors import RecordError

MAX_SAFE_INTEGER: Final = 2**53 - 1
_HEX_RE: Final = re.compile(r"(?:[0-9a-f]{2})+")
_UUID_RE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
POINT_BYTES: Final = 32
SCALAR_BYTES: Final = 32
HASH_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a value sits: file, 1-based line and field path."""

    file: str
    line: int | None
    path: str = ""

    def key(self, name: str) -> Loc:
        """The location of member ``name`` of the object here."""
        return Loc(self.file, self.line, f"{self.path}.{name}" if self.path else name)

    def index(self, position: int) -> Loc:
        """The location of item ``position`` of the array here."""
        return Loc(self.file, self.line, f"{self.path}[{position}]")

    def error(self, message: str) -> RecordError:
        return RecordError(self.file, self.line, self.path, message)


def as_object(value: object, loc: Loc, keys: Sequence[str]) -> Mapping[str, object]:
    """An object with exactly ``keys`` (§0: no unknown keys, none missing)."""
    if not isinstance(value, dict):
        raise loc.error("expected a JSON object")
    if len(value) != len(keys) or any(key not in value for key in keys):
        unknown = sorted(set(value) - set(keys))
        missing = sorted(set(keys) - set(value))
        detail = "; ".join(
            part
            for part in (
                f"unknown key(s) {', '.join(unknown)}" if unknown else "",
                f"missing key(s) {', '.join(missing)}" if missing else "",
            )
            if part
        )
        raise loc.error(detail)
    return value


def as_list(
    value: object, loc: Loc, *, min_len: int = 0, max_len: int | None = None
) -> list[object]:
    """An array whose length lies in ``[min_len, max_len]``."""
    if not isinstance(value, list):
        raise loc.error("expected a JSON array")
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        upper = "∞" if max_len is None else str(max_len)
        raise loc.error(f"expected {min_len}..{upper} items, got {len(value)}")
    return value


def as_str(value: object, loc: Loc, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise loc.error("expected a string")
    if non_empty and not value:
        raise loc.error("expected a non-empty string")
    return value


def as_bool(value: object, loc: Loc) -> bool:
    if not isinstance(value, bool):
        raise loc.error("expected true or false")
    return value


def as_int(value: object, loc: Loc, *, minimum: int = 0, maximum: int = MAX_SAFE_INTEGER) -> int:
    """A JSON integer in ``[minimum, maximum]`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise loc.error("expected an integer")
    if not minimum <= value <= maximum:
        raise loc.error(f"expected an integer in {minimum}..{maximum}, got {value}")
    return value


def as_hex(value: object, loc: Loc, size: int | None = None, *, max_size: int = 1 << 16) -> bytes:
    """Lowercase, even-length hex; exactly ``size`` bytes when given (§0)."""
    if not isinstance(value, str) or _HEX_RE.fullmatch(value) is None:
        raise loc.error("expected lowercase hex of even length")
    length = len(value) // 2
    if size is not None and length != size:
        raise loc.error(f"expected {2 * size} hex characters, got {len(value)}")
    if length > max_size:
        raise loc.error(f"hex value longer than {max_size} bytes")
    return bytes.fromhex(value)


def as_uuid(value: object, loc: Loc) -> str:
    """A lowercase canonical UUID string (§0)."""
    if not isinstance(value, str) or _UUID_RE.fullmatch(value) is None:
        raise loc.error("expected a lowercase UUID (8-4-4-4-12 hex digits)")
    return value


def as_timestamp(value: object, loc: Loc) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (§0)."""
    if not isinstance(value, str) or _TIMESTAMP_RE.fullmatch(value) is None:
        raise loc.error("expected a UTC timestamp YYYY-MM-DDTHH:MM:SSZ")
    return value


def int_list(value: object, loc: Loc, length: int | None = None) -> tuple[int, ...]:
    """An array of non-negative integers, of ``length`` items when given."""
    items = as_list(value, loc)
    if length is not None and len(items) != length:
        raise loc.error(f"expected {length} items, got {len(items)}")
    return tuple(as_int(item, loc.index(i)) for i, item in enumerate(items))
