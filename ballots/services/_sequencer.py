"""Group commit for the ballot board: one appender thread per process and database.

Every append to an election's board runs under that election's row lock, so the board
grows one transaction at a time across all app processes. With one transaction per
ballot the lock is held for several database round trips per ballot, and the request
threads that hold it compete for the GIL with threads busy checking proofs: measured
here, the board, not the CPU, capped casting at about 130 ballots/s on two cores.

`BoardSequencer` lets request threads do the expensive, lock-free checks in parallel
(`check_for_board`) and hand the checked ballots to a single appender thread. While it
writes one batch, the next requests queue up; it then appends all of them under one
lock and one commit (`append_to_board`). Each ballot still gets its own index, signed
checkpoint and receipt, and no receipt exists before its commit, so a crash loses only
ballots that never got a receipt (their clients retry with the same bytes).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Final

from app.core.db import Database
from app.core.settings import Settings
from ballots import board
from ballots.ballot_check import CheckedBallot
from ballots.services._casting import append_to_board

log = logging.getLogger(__name__)

MAX_BATCH: Final = 256
"""Ballots per transaction at most: bounds the lock hold time and the statement size."""


@dataclass(frozen=True, slots=True)
class _Pending:
    election_id: uuid.UUID
    checked: CheckedBallot
    receipt: Future[board.Receipt] = field(default_factory=Future)


class BoardSequencer:
    """Appends checked ballots in batches from one daemon thread (see the module doc)."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="board-sequencer", daemon=True)
        self._thread.start()

    def submit(self, election_id: uuid.UUID, checked: CheckedBallot) -> Future[board.Receipt]:
        """Queue a checked ballot; the future holds its receipt or the refusal."""
        pending = _Pending(election_id, checked)
        self._queue.put(pending)
        return pending.receipt

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_election: defaultdict[uuid.UUID, list[_Pending]] = defaultdict(list)
            for pending in batch:
                by_election[pending.election_id].append(pending)
            for election_id, items in by_election.items():
                self._append(election_id, items)

    def _append(self, election_id: uuid.UUID, items: list[_Pending]) -> None:
        try:
            with self._database.session() as session:
                outcomes = append_to_board(
                    session, self._settings, election_id, [p.checked for p in items]
                )
        except Exception as error:  # the whole batch failed: nobody got a receipt
            log.exception("board append failed for a batch of %d ballots", len(items))
            for pending in items:
                pending.receipt.set_exception(error)
            return
        for pending, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, board.Receipt):
                pending.receipt.set_result(outcome)
            else:
                pending.receipt.set_exception(outcome)


_sequencers: dict[int, BoardSequencer] = {}
_lock = threading.Lock()


def board_sequencer(database: Database, settings: Settings) -> BoardSequencer:
    """The process's sequencer for ``database`` (started on first use)."""
    with _lock:
        sequencer = _sequencers.get(id(database))
        if sequencer is None or sequencer._database is not database:  # noqa: SLF001
            sequencer = _sequencers[id(database)] = BoardSequencer(database, settings)
        return sequencer
