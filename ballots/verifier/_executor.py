"""Runs the per-ballot checks on chunks of lines, in worker processes, results in order.

Ballots are independent, so verification scales with cores: the main process reads and
hashes lines (the Merkle leaves must be taken in board order) while ``workers`` processes
check the cryptography of whole chunks. At most ``2 · workers + 2`` chunks are in flight,
so memory stays bounded however fast the reader is (``Pool.imap`` would read the whole
file ahead). With one worker everything runs in-process, which is also what tests use.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

from ballots.verifier._ballot_checks import (
    BallotRules,
    BallotVerifier,
    ChunkResult,
    check_chunk,
    init_worker,
)

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool
    from types import TracebackType


class ChunkExecutor:
    """Submit chunks with `submit`; get their results back in submission order."""

    def __init__(self, rules: BallotRules, workers: int) -> None:
        self._inline = BallotVerifier(rules) if workers <= 1 else None
        self._pool: Pool | None = None
        if self._inline is None:
            # spawn, not fork: the verifier may run inside a threaded host (test runner).
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(workers, initializer=init_worker, initargs=(rules,))
        self._pending: deque[AsyncResult[ChunkResult]] = deque()
        self._limit = 2 * workers + 2

    def submit(self, first_line: int, lines: Sequence[bytes]) -> list[ChunkResult]:
        """Queue one chunk; return the results that are due (oldest first)."""
        if self._inline is not None:
            return [self._inline.check_chunk(first_line, lines)]
        assert self._pool is not None
        self._pending.append(self._pool.apply_async(check_chunk, (first_line, list(lines))))
        done: list[ChunkResult] = []
        while len(self._pending) > self._limit or (self._pending and self._pending[0].ready()):
            done.append(self._pending.popleft().get())
        return done

    def drain(self) -> list[ChunkResult]:
        """Wait for every queued chunk; results in order."""
        done = [pending.get() for pending in self._pending]
        self._pending.clear()
        return done

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            if error is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
