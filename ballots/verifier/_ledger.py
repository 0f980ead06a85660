"""One counted ballot per credential (§5, check ``ballots.unique_credential``), in flat memory.

Why not a set: a Python ``set`` of 32-byte ``bytes`` costs about 100 bytes per key
(object header + hash-table slot), 40 MB for 400,000 ballots, which alone would break the
"memory flat from 10,000 to 100,000 ballots" target (±20 % of a ~40 MB process). So keys
are kept as ``key || line`` records (40 bytes) in a bounded buffer; a full buffer is
sorted and spilled to a temporary file as one run; the check merges the sorted runs
(``heapq.merge``, one block per run in memory) and reports the earliest line that repeats
a key seen before. Memory is O(buffer + runs × block), independent of the number of
ballots; the disk holds 40 bytes per ballot (16 MB for 400,000).
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Final

KEY_BYTES: Final = 32
_LINE_BYTES: Final = 8
_RECORD: Final = KEY_BYTES + _LINE_BYTES
_BLOCK_RECORDS: Final = 2048


@dataclass(frozen=True, slots=True)
class Duplicate:
    """``line`` repeats the credential key first used on ``first_line``."""

    key: bytes
    first_line: int
    line: int


class CredentialLedger:
    """Collects ``(credential key, line)`` pairs; finds the first repeated key."""

    def __init__(self, buffer_records: int = 32768) -> None:
        self._limit = buffer_records
        self._buffer: list[bytes] = []
        self._spill: IO[bytes] | None = None
        self._runs: list[tuple[int, int]] = []  # (offset, records) of each sorted run
        self.count = 0

    def add(self, key: bytes, line: int) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a credential key is 32 bytes")
        self._buffer.append(key + line.to_bytes(_LINE_BYTES, "big"))
        self.count += 1
        if len(self._buffer) >= self._limit:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115  # closed in close()
        self._buffer.sort()
        offset = self._spill.seek(0, 2)
        self._spill.write(b"".join(self._buffer))
        self._runs.append((offset, len(self._buffer)))
        self._buffer = []

    def _run(self, offset: int, records: int) -> Iterator[bytes]:
        assert self._spill is not None
        done = 0
        while done < records:
            take = min(_BLOCK_RECORDS, records - done)
            self._spill.seek(offset + done * _RECORD)
            block = self._spill.read(take * _RECORD)
            for start in range(0, len(block), _RECORD):
                yield block[start : start + _RECORD]
            done += take

    def first_duplicate(self, before_line: int | None = None) -> Duplicate | None:
        """The repeat with the smallest line (below ``before_line`` if given), or None."""
        self._buffer.sort()
        runs = [self._run(offset, records) for offset, records in self._runs]
        best: Duplicate | None = None
        previous = b""
        for record in heapq.merge(iter(self._buffer), *runs):
            key, line = record[:KEY_BYTES], int.from_bytes(record[KEY_BYTES:], "big")
            if before_line is not None and line >= before_line:
                continue
            if key == previous[:KEY_BYTES] and (best is None or line < best.line):
                best = Duplicate(key, int.from_bytes(previous[KEY_BYTES:], "big"), line)
            elif key != previous[:KEY_BYTES]:
                previous = record
        return best

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
