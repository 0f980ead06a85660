"""checkpoints.jsonl (record format §6): one signed tree head per line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ballots.record._document import decode_document
from ballots.record._errors import RecordError
from ballots.record._fields import Loc, as_object, as_str

FILE: Final = "checkpoints.jsonl"


@dataclass(frozen=True, slots=True)
class CheckpointLine:
    """``{"note": …}``: the C2SP signed note (text and signature lines) as UTF-8 bytes."""

    line: int
    note: bytes


def parse_checkpoint_line(line: int, data: bytes) -> CheckpointLine:
    """Parse one line (without its newline); the note's signature is the verifier's job."""
    try:
        value, _ = decode_document(data, FILE)
    except RecordError as error:
        raise RecordError(FILE, line, error.field, error.message) from error
    loc = Loc(FILE, line)
    fields = as_object(value, loc, ("note",))
    note = as_str(fields["note"], loc.key("note"), non_empty=True)
    return CheckpointLine(line, note.encode("utf-8"))
