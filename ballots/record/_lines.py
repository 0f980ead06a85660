"""Line-by-line reading of the ``.jsonl`` files (§0): bounded lines, ``\\n``-terminated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ballots.record._errors import RecordError
from ballots.record._source import RecordSource

MAX_LINE_BYTES: Final = 1 << 20
"""A ballot of the largest allowed shape is far below this; longer lines are refused."""


def iter_lines(source: RecordSource, name: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, bytes without the newline)``, one line in memory at a time."""
    with source.open(name) as stream:
        number = 0
        while True:
            line = stream.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            if not line.endswith(b"\n"):
                message = (
                    f"line longer than {MAX_LINE_BYTES} bytes"
                    if len(line) > MAX_LINE_BYTES
                    else "the last line does not end in a newline"
                )
                raise RecordError(name, number, "", message)
            yield number, line[:-1]
