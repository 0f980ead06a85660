"""The one streaming pass over ballots.jsonl and checkpoints.jsonl (§5, §6).

Memory is flat in the number of ballots: one chunk of lines per worker in flight, the
Merkle accumulator's O(log n) stack, the checkpoint tracker's current line, one running
sum of ciphertexts per option and the credential ledger's bounded buffer.

The failure reported is the earliest in the pass: a failing ballot line ``L`` is at
position ``(L, 0)``; a checkpoint problem found right after line ``L`` was hashed is at
``(L, 1)``; the end-of-board checks are at ``(N, 2)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from ballots.record import BALLOTS_FILE, CHECKPOINTS_FILE, RecordError, RecordSource, iter_lines
from ballots.verifier._ballot_checks import BallotRules, ChunkResult
from ballots.verifier._board import CheckpointTracker
from ballots.verifier._executor import ChunkExecutor
from ballots.verifier._ledger import CredentialLedger
from ballots.verifier._outcome import Failure
from crypto.checkpoints import NoteVerifier
from crypto.elgamal import ZERO_CIPHERTEXT, Ciphertext
from crypto.group import Point
from crypto.merkle import RootAccumulator, leaf_hash

CHUNK_LINES = 48


@dataclass(frozen=True, slots=True)
class PassFailure:
    position: tuple[int, int]
    check: str
    failure: Failure


@dataclass
class PassOutcome:
    """What the pass established; ``failure`` is None iff every pass check passed."""

    ballots: int = 0
    checkpoints: int = 0
    final_size: int = 0
    final_root: bytes = b""
    aggregate: list[list[Ciphertext]] = field(default_factory=list)
    failure: PassFailure | None = None


class _Pass:
    def __init__(self, source: RecordSource, rules: BallotRules, board: NoteVerifier) -> None:
        self.source = source
        self.rules = rules
        self.leaves = RootAccumulator()
        self.ledger = CredentialLedger()
        self.tracker = CheckpointTracker(iter_lines(source, CHECKPOINTS_FILE), board, board.name)
        self.outcome = PassOutcome(
            aggregate=[[ZERO_CIPHERTEXT] * q.options for q in rules.questions]
        )
        self.read_failure: PassFailure | None = None

    def _note(self, candidate: PassFailure) -> None:
        current = self.outcome.failure
        if current is None or candidate.position < current.position:
            self.outcome.failure = candidate

    def _tracker_failure(self, position: tuple[int, int]) -> bool:
        if self.tracker.failure is None:
            return False
        self._note(PassFailure(position, self.tracker.failure.check, self.tracker.failure.failure))
        return True

    def _chunks(self) -> Iterator[tuple[int, list[bytes]]]:
        """Chunks of lines; hashes each line into the board as it is read."""
        lines = iter_lines(self.source, BALLOTS_FILE)
        while True:
            try:
                chunk = list(islice(lines, CHUNK_LINES))
            except RecordError as error:  # an unterminated or overlong line
                failure = Failure.from_error(error)
                self._note(PassFailure((error.line or 0, 0), "ballots.format", failure))
                return
            if not chunk:
                return
            yield chunk[0][0], [data for _, data in chunk]
            for number, data in chunk:
                self.leaves.append(leaf_hash(data))
                self.tracker.advance(self.leaves)
                if self._tracker_failure((number, 1)):
                    return

    def _merge(self, result: ChunkResult) -> None:
        for offset, key in enumerate(result.credentials):
            self.ledger.add(key, result.first_line + offset)
        for q, row in enumerate(result.aggregate):
            sums = self.outcome.aggregate[q]
            for o, encoded in enumerate(row):
                # Sums of points our workers decoded and validated: valid by construction.
                sums[o] = sums[o] + Ciphertext(Point(encoded[:32]), Point(encoded[32:]))
        self.outcome.ballots += result.passed
        if result.failure is not None:
            line = result.first_line + result.passed
            self._note(PassFailure((line, 0), result.failure.check, result.failure.failure))

    def run(self, workers: int) -> PassOutcome:
        self.tracker.advance(self.leaves)  # checkpoints of the empty board
        if not self._tracker_failure((0, 1)):
            with ChunkExecutor(self.rules, workers) as executor:
                for first, lines in self._chunks():
                    for result in executor.submit(first, lines):
                        self._merge(result)
                    if self.outcome.failure is not None:
                        break
                for result in executor.drain():
                    self._merge(result)
        self._finish()
        return self.outcome

    def _finish(self) -> None:
        limit = self.outcome.failure.position[0] if self.outcome.failure else None
        duplicate = self.ledger.first_duplicate(before_line=limit)
        self.ledger.close()
        if duplicate is not None:
            key = duplicate.key.hex()[:16]
            message = f"credential key {key}… was already used on line {duplicate.first_line}"
            failure = Failure(BALLOTS_FILE, duplicate.line, "credential.public_key", message)
            self._note(PassFailure((duplicate.line, 0), "ballots.unique_credential", failure))
        if self.outcome.failure is None:
            self.tracker.finish(self.leaves)
            self._tracker_failure((self.leaves.size, 2))
        self.outcome.checkpoints = self.tracker.count
        self.outcome.final_size = self.leaves.size
        self.outcome.final_root = self.leaves.root()


def run_ballot_pass(
    source: RecordSource, rules: BallotRules, board: NoteVerifier, workers: int
) -> PassOutcome:
    """Run the ballot and board checks in one streaming pass (see module docstring)."""
    return _Pass(source, rules, board).run(workers)


__all__ = ["CHECKPOINTS_FILE", "PassFailure", "PassOutcome", "run_ballot_pass"]
