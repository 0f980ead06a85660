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

Unlinkability (docs/protocol.md §2.6): the board order must not follow the order of
arrival, or anyone who knows when a member was active (a login, a credential request)
could find their ballot. A batch is therefore closed only when it holds
``board_batch_min`` ballots or its first ballot has waited ``board_batch_wait_seconds``
(never past the end of the voting window), and it is shuffled with the operating
system's CSPRNG before it is appended. The ``cast_ballots`` and checkpoint rows are
inserted in board order, so their ids show the shuffled order too. The price is
receipt latency: at most the wait, about ``board_batch_min`` / arrival rate under load.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from app.core.db import Database
from app.core.settings import Settings
from ballots import board
from ballots.ballot_check import CheckedBallot
from ballots.services._casting import append_to_board, closing_time
from ballots.services._common import now_or

log = logging.getLogger(__name__)

MAX_BATCH: Final = 256
"""Ballots per transaction at most: bounds the lock hold time and the statement size."""


@dataclass(frozen=True, slots=True)
class _Pending:
    election_id: uuid.UUID
    checked: CheckedBallot
    arrived: datetime
    """when the ballot passed its checks: the window is judged at arrival, so that a
    ballot waiting in a batch is not refused because the window ended meanwhile."""
    receipt: Future[board.Receipt] = field(default_factory=Future)


class BoardSequencer:
    """Appends checked ballots in batches from one daemon thread (see the module doc)."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="board-sequencer", daemon=True)
        self._thread.start()

    def submit(
        self, election_id: uuid.UUID, checked: CheckedBallot, *, now: datetime | None = None
    ) -> Future[board.Receipt]:
        """Queue a checked ballot; the future holds its receipt or the refusal."""
        pending = _Pending(election_id, checked, now_or(now))
        self._queue.put(pending)
        return pending.receipt

    def _run(self) -> None:
        while True:
            batch = self._collect()
            by_election: defaultdict[uuid.UUID, list[_Pending]] = defaultdict(list)
            for pending in batch:
                by_election[pending.election_id].append(pending)
            for election_id, items in by_election.items():
                _shuffle(items)
                self._append(election_id, items)

    def _collect(self) -> list[_Pending]:
        """One batch: at least ``board_batch_min`` ballots, or all that came in the wait."""
        voting = self._settings.voting
        batch = [self._queue.get()]
        deadline = time.monotonic() + _wait_seconds(batch[0], voting.board_batch_wait_seconds)
        while len(batch) < MAX_BATCH:
            remaining = deadline - time.monotonic()
            try:
                if len(batch) >= voting.board_batch_min or remaining <= 0:
                    batch.append(self._queue.get_nowait())  # only what is already here
                else:
                    batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _append(self, election_id: uuid.UUID, items: list[_Pending]) -> None:
        try:
            with self._database.session() as session:
                outcomes = append_to_board(
                    session,
                    self._settings,
                    election_id,
                    [p.checked for p in items],
                    now=max(p.arrived for p in items),
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


def _wait_seconds(first: _Pending, wait: float) -> float:
    """The batch's wait, cut short so that it is written before the window ends."""
    closes_at = closing_time(first.election_id)
    if closes_at is None:
        return wait
    left = (closes_at - now_or(None)).total_seconds() - 1.0
    return max(0.0, min(wait, left))


def _shuffle(items: list[_Pending]) -> None:
    """Fisher-Yates with the OS CSPRNG: the board order reveals nothing of arrival."""
    for i in range(len(items) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        items[i], items[j] = items[j], items[i]


_sequencers: dict[int, BoardSequencer] = {}
_lock = threading.Lock()


def board_sequencer(database: Database, settings: Settings) -> BoardSequencer:
    """The process's sequencer for ``database`` (started on first use)."""
    with _lock:
        sequencer = _sequencers.get(id(database))
        if sequencer is None or sequencer._database is not database:  # noqa: SLF001
            sequencer = _sequencers[id(database)] = BoardSequencer(database, settings)
        return sequencer
