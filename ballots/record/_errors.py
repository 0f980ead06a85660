"""The one error type of the record parsers: where in the record, and what is wrong."""

from __future__ import annotations


class RecordError(ValueError):
    """A record file does not follow ``docs/election-record.md`` (format v3).

    Carries the file name inside the record, the 1-based line (None when the file is
    missing or unreadable as a whole) and the field path inside the line's JSON value
    (``answers[0].ciphertexts[2].alpha``; empty for the whole line), so an auditor can
    find the bad byte without reading the code.
    """

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.field = field
        self.message = message

    def location(self) -> str:
        """``file line N, field F`` as printed by the verifier."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        where = " ".join(parts)
        return f"{where}, field {self.field}" if self.field else where

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class NotARecordError(Exception):
    """The path given to the reader is neither a record directory nor a zip of one."""
