"""Streaming reader for one canonical JSON object holding one long array (§0, §3, §4).

roll.json and issuance.json hold one entry per eligible member: 400,000 entries are
about 27 MB of text and, as Python objects, several times that. The verifier's memory
must not grow with the electorate, so these files are read with a bounded look-ahead:
the object's members come one at a time in canonical (sorted) key order, and the items
of the one array named ``streamed`` come one at a time too.

Canonical form is checked as it goes: no whitespace, keys exactly the documented ones in
RFC 8785 order, and each value's text equal to the canonical JSON of the value.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Sequence
from typing import IO, Final

from ballots.record._document import unique_keys
from ballots.record._errors import RecordError
from ballots.record._fields import Loc
from crypto.canonical import CanonicalError, canonical_json

_CHUNK: Final = 1 << 20
_LOOKAHEAD: Final = 1 << 16
"""Longest single value (a header field or one array item) the reader accepts."""

Event = tuple[str, int | None, object, Loc]
"""``(key, item index or None, value, location)``."""


def _reject(text: str) -> object:
    raise ValueError(f"{text} is not allowed in the record")


_DECODER: Final = json.JSONDecoder(
    parse_float=_reject, parse_constant=_reject, object_pairs_hook=unique_keys
)


class _Text:
    """A window over the decoded file: ``text[pos:]`` is what is left to parse."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.name = name
        self.text = ""
        self.pos = 0
        self.eof = False

    def fill(self) -> None:
        """Make at least ``_LOOKAHEAD`` characters available (fewer only at the end)."""
        while not self.eof and len(self.text) - self.pos < _LOOKAHEAD:
            chunk = self._stream.read(_CHUNK)
            try:
                decoded = self._decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                raise RecordError(self.name, 1, "", f"not UTF-8: {error}") from error
            self.eof = not chunk
            self.text = self.text[self.pos :] + decoded
            self.pos = 0

    def peek(self) -> str:
        self.fill()
        return self.text[self.pos : self.pos + 1]

    def expect(self, literal: str, loc: Loc) -> None:
        self.fill()
        if not self.text.startswith(literal, self.pos):
            found = self.text[self.pos : self.pos + 12] or "end of file"
            raise loc.error(f"expected {literal!r} (canonical JSON), found {found!r}")
        self.pos += len(literal)

    def value(self, loc: Loc) -> object:
        """One JSON value, which must be written in canonical form."""
        self.fill()
        try:
            value, end = _DECODER.raw_decode(self.text, self.pos)
        except (json.JSONDecodeError, ValueError, RecursionError) as error:
            raise loc.error(f"not a JSON value: {error}") from error
        raw = self.text[self.pos : end]
        self.pos = end
        try:
            canonical = canonical_json(value).decode("utf-8")
        except CanonicalError as error:
            raise loc.error(f"not canonical JSON: {error}") from error
        if canonical != raw:
            raise loc.error("not in canonical JSON form (RFC 8785)")
        return value


def _array(text: _Text, key: str, loc: Loc) -> Iterator[Event]:
    text.expect("[", loc)
    if text.peek() == "]":
        text.pos += 1
        return
    index = 0
    while True:
        item_loc = loc.index(index)
        yield key, index, text.value(item_loc), item_loc
        index += 1
        if text.peek() != ",":
            text.expect("]", item_loc)
            return
        text.pos += 1


def stream_object(
    stream: IO[bytes], name: str, keys: Sequence[str], streamed: str
) -> Iterator[Event]:
    """Yield the members of the file's one object; items of ``streamed`` one by one."""
    text = _Text(stream, name)
    top = Loc(name, 1)
    text.expect("{", top)
    for position, key in enumerate(sorted(keys)):  # ASCII keys: RFC 8785 order is sorted()
        loc = top.key(key)
        if position:
            text.expect(",", loc)
        text.expect(json.dumps(key) + ":", loc)
        if key == streamed:
            yield from _array(text, key, loc)
        else:
            yield key, None, text.value(loc), loc
    text.expect("}", top)
    if text.peek() == "\n":
        text.pos += 1
    if text.peek():
        raise top.error("unexpected data after the JSON object")
