"""A server worker dies mid-run: no receipt is lost, no credential counts twice.

Starts the production server (``stimmwerk serve --workers 2``) on a SQLite file
(WAL, shared by both worker processes; on PostgreSQL too when
STIMMWERK_TEST_POSTGRES_URL is set), casts ballots from a thread pool over HTTP and
SIGKILLs one worker process while ballots are in flight. A voter whose connection
breaks sends the same bytes again (as voter.js does) and gets either the receipt or
``already_voted`` (the first attempt was committed but its answer lost). Then every
receipt must be on the board at its index with its hash, every ballot exactly once,
and the written record must pass the verifier.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import Database
from ballots.models import CastBallot
from bench.cast_load import Election, Server, finish, make_election, scratch_postgres
from crypto.merkle import leaf_hash

POSTGRES_URL = os.environ.get("STIMMWERK_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
VOTERS = 120
KILL_AFTER = 30  # receipts before the kill
DEADLINE = 60.0  # seconds for all casting, retries included


@dataclass
class Outcome:
    receipts: dict[int, dict[str, Any]] = field(default_factory=dict)
    already_voted: set[int] = field(default_factory=set)
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fault.sqlite3'}"
        return
    with scratch_postgres(POSTGRES_URL) as url:
        yield url


def _cast(  # noqa: PLR0917 - submitted to the pool positionally
    http: httpx.Client, url: str, n: int, body: bytes, outcome: Outcome, started: float
) -> None:
    """One voter: send, and on a broken connection send the same bytes again."""
    first = True
    while time.monotonic() - started < DEADLINE:
        try:
            answer = http.post(url, content=body, headers={"content-type": "application/json"})
        except httpx.HTTPError:
            with outcome.lock:
                outcome.retries += 1
            time.sleep(0.05)
            first = False
            continue
        data = answer.json()
        with outcome.lock:
            if answer.status_code == 201:
                outcome.receipts[n] = data["receipt"]
            elif data.get("error") == "already_voted" and not first:
                outcome.already_voted.add(n)
            else:
                outcome.failures.append(f"ballot {n}: {answer.status_code} {data}")
        return
    with outcome.lock:
        outcome.failures.append(f"ballot {n}: no answer before the deadline")


def test_killing_a_worker_loses_no_receipt_and_counts_no_credential_twice(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8 voters at a time never fill a board batch of 10 per worker: a short batch wait
    # keeps the run inside its deadline (the server reads it from its environment).
    monkeypatch.setenv("STIMMWERK_BOARD_BATCH_WAIT_SECONDS", "0.2")
    election: Election = make_election(database_url, VOTERS, tmp_path, workers=2)
    server = Server(database_url, tmp_path, workers=2)
    outcome = Outcome()
    try:
        server.wait_ready()
        url = f"{server.base}/api/elections/{election.election_id}/ballots"
        started = time.monotonic()
        killed: list[int] = []
        with (
            httpx.Client(timeout=20, limits=httpx.Limits(max_connections=16)) as http,
            ThreadPoolExecutor(8) as pool,
        ):
            futures = [
                pool.submit(_cast, http, url, n, body, outcome, started)
                for n, body in enumerate(election.ballots)
            ]
            while len(outcome.receipts) < KILL_AFTER and time.monotonic() - started < DEADLINE:
                time.sleep(0.01)
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            for future in futures:
                future.result()
        assert killed, "no worker was killed"
        assert server.process.poll() is None, "the supervisor died with its worker"
    finally:
        server.stop()

    print(  # noqa: T201 - shown with -s: how hard the kill hit
        f"receipts {len(outcome.receipts)}, already voted on retry {len(outcome.already_voted)}, "
        f"retried sends {outcome.retries}"
    )
    assert not outcome.failures, outcome.failures[:5]
    every = set(range(len(election.ballots)))
    assert set(outcome.receipts) | outcome.already_voted == every
    database = Database(database_url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(CastBallot.leaf_index, CastBallot.leaf_hash).where(
                    CastBallot.election_id == election.election_id
                )
            ).all()
            credentials = session.scalar(
                select(func.count(func.distinct(CastBallot.credential_key))).where(
                    CastBallot.election_id == election.election_id
                )
            )
    finally:
        database.dispose()
    board = {row.leaf_index: row.leaf_hash for row in rows}
    # Every receipt: on the board at its index, with its hash.
    for n, receipt in outcome.receipts.items():
        assert board.get(receipt["index"]) == receipt["ballot_hash"], n
        assert receipt["ballot_hash"] == leaf_hash(election.ballots[n]).hex()
    # Every ballot exactly once, each credential once, the board without gaps.
    assert sorted(board) == list(range(len(election.ballots)))
    assert set(board.values()) == {leaf_hash(b).hex() for b in election.ballots}
    assert credentials == len(election.ballots)
    counted, status = finish(election, tmp_path / "record", verifier_workers=1)
    assert status == 0, "the record does not verify"
    assert counted == len(election.ballots)
