"""roll.json (§3) and issuance.json (§4), streamed one entry at a time.

Both hold one 32-byte entry per member (eligible, or issued a credential), so neither is
ever held in memory whole: `scan_roll`/`scan_issuance` pass each entry to a callback and
return the header fields; `iter_roll_entries`/`iter_issuance_entries` yield the entries
for the streaming subset check.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Final

from ballots.record._fields import HASH_BYTES, Loc, as_hex, as_int, as_timestamp
from ballots.record._source import RecordSource
from ballots.record._stream import stream_object

ROLL_FILE: Final = "roll.json"
ISSUANCE_FILE: Final = "issuance.json"
_ROLL_KEYS: Final = ("cutoff_at", "eligible", "postal", "entries", "commitment")
_ISSUANCE_KEYS: Final = ("issued", "entries")

EntryCallback = Callable[[int, bytes, Loc], None]
"""Called with (index, entry bytes, location) for each entry, in file order."""


@dataclass(frozen=True, slots=True)
class Roll:
    """The roll's header; ``entry_count`` is how many entries the file holds."""

    cutoff_at: str
    eligible: int
    postal: int
    commitment: bytes
    entry_count: int


@dataclass(frozen=True, slots=True)
class Issuance:
    issued: int
    entry_count: int


def _scan(
    source: RecordSource, name: str, keys: tuple[str, ...], on_entry: EntryCallback
) -> tuple[dict[str, tuple[object, Loc]], int]:
    header: dict[str, tuple[object, Loc]] = {}
    count = 0
    with source.open(name) as stream:
        for key, index, value, loc in stream_object(stream, name, keys, "entries"):
            if index is None:
                header[key] = (value, loc)
                continue
            on_entry(index, as_hex(value, loc, HASH_BYTES), loc)
            count += 1
    return header, count


def scan_roll(source: RecordSource, on_entry: EntryCallback) -> Roll:
    """Stream roll.json: every entry to ``on_entry``, then return the header."""
    header, count = _scan(source, ROLL_FILE, _ROLL_KEYS, on_entry)
    return Roll(
        cutoff_at=as_timestamp(*header["cutoff_at"]),
        eligible=as_int(*header["eligible"]),
        postal=as_int(*header["postal"]),
        commitment=as_hex(*header["commitment"], HASH_BYTES),
        entry_count=count,
    )


def scan_issuance(source: RecordSource, on_entry: EntryCallback) -> Issuance:
    """Stream issuance.json: every entry to ``on_entry``, then return the header."""
    header, count = _scan(source, ISSUANCE_FILE, _ISSUANCE_KEYS, on_entry)
    return Issuance(issued=as_int(*header["issued"]), entry_count=count)


def _entries(
    source: RecordSource, name: str, keys: tuple[str, ...]
) -> Generator[tuple[bytes, Loc], None, None]:
    with source.open(name) as stream:
        for _, index, value, loc in stream_object(stream, name, keys, "entries"):
            if index is not None:
                yield as_hex(value, loc, HASH_BYTES), loc


def iter_roll_entries(source: RecordSource) -> Generator[tuple[bytes, Loc], None, None]:
    """The roll's entries in file order, with their locations."""
    return _entries(source, ROLL_FILE, _ROLL_KEYS)


def iter_issuance_entries(source: RecordSource) -> Generator[tuple[bytes, Loc], None, None]:
    """The issuance list's entries in file order, with their locations."""
    return _entries(source, ISSUANCE_FILE, _ISSUANCE_KEYS)
