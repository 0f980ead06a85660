"""Concurrent requests on a real database (SQLite, and PostgreSQL when configured).

Each thread has its own session and connection, as separate app processes would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.settings import Settings
from ballots import client, services
from ballots.errors import AlreadyVoted, CredentialAlreadyIssued
from ballots.models import CastBallot, Checkpoint, RollEntry
from crypto.merkle import MerkleTree
from tests import ballots_support as support

THREADS = 6


def _race(database: Database, work: Callable[[Session, int], Any]) -> list[Any]:
    """Run ``work`` in THREADS threads released at once; collect results or errors."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(slot: int) -> None:
        with database.session() as session:
            barrier.wait()
            try:
                results[slot] = work(session, slot)
            except Exception as error:  # noqa: BLE001 - the test inspects what each got
                results[slot] = error

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def world(db: Session, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    names = tuple(f"voter{i}" for i in range(THREADS))
    return support.open_for_voting(support.make_world(db, settings, tmp_path, members=names))


def test_one_credential_racing_itself_counts_once(
    world: support.ElectionWorld, database: Database
) -> None:
    # The credential lookup runs under the election's row lock, so it decides the race;
    # the UNIQUE constraint on (election, credential key) would refuse a second row anyway.
    credential = support.credential(world, "voter0")
    keys = world.keys()
    ballots = [
        client.ballot_bytes(client.make_ballot(keys, credential, {"q1": [("yes", "no")[i % 2]]}))
        for i in range(THREADS)
    ]
    results = _race(
        database,
        lambda session, slot: services.cast_ballot(
            session, world.settings, world.id, ballots[slot], now=world.voting
        ),
    )
    receipts = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, AlreadyVoted)]
    assert len(receipts) == 1, results
    assert len(refusals) == THREADS - 1, results
    with database.session() as session:
        count = session.scalar(select(func.count()).select_from(CastBallot))
        assert count == 1
        assert services.get_election(session, world.id).board_size == 1


def test_different_credentials_at_once_all_land_in_one_consistent_board(
    world: support.ElectionWorld, database: Database
) -> None:
    keys = world.keys()
    ballots = [
        client.ballot_bytes(
            client.make_ballot(keys, support.credential(world, f"voter{i}"), {"q1": ["yes"]})
        )
        for i in range(THREADS)
    ]
    results = _race(
        database,
        lambda session, slot: services.cast_ballot(
            session, world.settings, world.id, ballots[slot], now=world.voting
        ),
    )
    assert sorted(r.index for r in results) == list(range(THREADS)), results
    with database.session() as session:
        rows = session.execute(
            select(CastBallot.leaf_index, CastBallot.leaf_hash).order_by(CastBallot.leaf_index)
        ).all()
        tree = MerkleTree(bytes.fromhex(h) for _, h in rows)
        roots = dict(session.execute(select(Checkpoint.tree_size, Checkpoint.root)).all())
    assert sorted(roots) == list(range(THREADS + 1))
    for size, root in roots.items():
        assert tree.root(size).hex() == root


def test_one_member_asking_for_credentials_at_once_gets_one(
    world: support.ElectionWorld, database: Database
) -> None:
    keys = world.keys()
    requests = [client.request_credential(keys.issuer, str(world.id)) for _ in range(THREADS)]
    member = world.members["voter1"].id
    results = _race(
        database,
        lambda session, slot: services.issue_credential(
            session, world.settings, world.id, member, requests[slot].blinded_msg, now=world.voting
        ),
    )
    signatures = [r for r in results if isinstance(r, bytes)]
    assert len(signatures) == 1, results
    assert all(isinstance(r, CredentialAlreadyIssued) for r in results if r not in signatures)
    with database.session() as session:
        issued = session.scalar(
            select(func.count()).where(
                RollEntry.member_id == member, RollEntry.credential_issued_on.is_not(None)
            )
        )
    assert issued == 1
