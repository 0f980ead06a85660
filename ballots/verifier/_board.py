"""The board's signed checkpoints, checked against the ballot leaves as they stream (§6).

`CheckpointTracker` reads checkpoints.jsonl one line at a time, in step with the ballot
pass: after the ballot line that completes a checkpoint's tree size, the running Merkle
root (`crypto.merkle.RootAccumulator`) must equal the checkpoint's root. Each note's
signature and origin are checked when the line is read (``board.checkpoint_signatures``);
sizes must strictly increase and match the leaves (``board.checkpoint_consistency``); at
the end the last checkpoint must cover every ballot (``board.final_root``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ballots.record import CHECKPOINTS_FILE, RecordError, parse_checkpoint_line
from ballots.verifier._outcome import Failure
from crypto.checkpoints import Checkpoint, NoteVerifier, open_checkpoint
from crypto.merkle import RootAccumulator


@dataclass(frozen=True, slots=True)
class BoardFailure:
    check: str
    failure: Failure


@dataclass(frozen=True, slots=True)
class _Seen:
    line: int
    checkpoint: Checkpoint


class CheckpointTracker:
    """Follows checkpoints.jsonl alongside the ballots; records the first failure."""

    def __init__(
        self, lines: Iterator[tuple[int, bytes]], verifier: NoteVerifier, origin: str
    ) -> None:
        self._lines = lines
        self._verifiers = [verifier]
        self._origin = origin
        self._pending: _Seen | None = None
        self.last: _Seen | None = None
        self.count = 0
        self.failure: BoardFailure | None = None
        self._read_next()

    def _fail(self, check: str, line: int | None, message: str, field: str = "note") -> None:
        if self.failure is None:
            self.failure = BoardFailure(check, Failure(CHECKPOINTS_FILE, line, field, message))
        self._pending = None

    def _read_next(self) -> None:
        self._pending = None
        try:
            line, data = next(self._lines)
            parsed = parse_checkpoint_line(line, data)
        except StopIteration:
            return
        except RecordError as error:
            self.failure = self.failure or BoardFailure(
                "board.checkpoint_signatures", Failure.from_error(error)
            )
            return
        checkpoint = open_checkpoint(parsed.note, self._verifiers, expected_origin=self._origin)
        if checkpoint is None:
            self._fail(
                "board.checkpoint_signatures",
                line,
                "the note is not a checkpoint of this board signed by the board key",
            )
            return
        previous = self.last.checkpoint.tree_size if self.last else -1
        if checkpoint.tree_size <= previous:
            self._fail(
                "board.checkpoint_consistency",
                line,
                f"tree size {checkpoint.tree_size} does not increase over {previous}",
            )
            return
        self._pending = _Seen(line, checkpoint)

    def advance(self, leaves: RootAccumulator) -> None:
        """Match every checkpoint whose tree size the leaves have just reached."""
        while self._pending is not None and self._pending.checkpoint.tree_size == leaves.size:
            seen = self._pending
            if seen.checkpoint.root_hash != leaves.root():
                self._fail(
                    "board.checkpoint_consistency",
                    seen.line,
                    f"the root at size {leaves.size} is not the Merkle root of that many ballots",
                )
                return
            self.last = seen
            self.count += 1
            self._read_next()

    def finish(self, leaves: RootAccumulator) -> None:
        """After the last ballot: nothing may claim more leaves; the last covers all."""
        self.advance(leaves)
        if self.failure is not None:
            return
        if self._pending is not None:
            size = self._pending.checkpoint.tree_size
            self._fail(
                "board.checkpoint_consistency",
                self._pending.line,
                f"tree size {size} exceeds the {leaves.size} ballots on the board",
            )
        elif self.last is None:
            self._fail("board.final_root", None, "there is no checkpoint", field="")
        elif self.last.checkpoint.tree_size != leaves.size:
            size = self.last.checkpoint.tree_size
            self._fail(
                "board.final_root",
                self.last.line,
                f"the last checkpoint covers {size} of {leaves.size} ballots",
            )
