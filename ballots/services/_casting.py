"""Casting a ballot: check it, put it on the board, hand back the receipt.

No login: the ballot proves its right to be counted by itself (issuer signature on the
credential, credential signature on the ballot, proofs). The expensive checks run
before any lock is taken; only the board append (O(log n) hashes, one Ed25519
signature, two inserts) runs under the election's row lock, which serialises the board
across all app processes and makes "closed" final for every later cast.

One ballot per credential: the first valid ballot counts, later ones are refused
(``docs/protocol.md`` argues why). The UNIQUE constraint on (election, credential key)
decides races; the earlier lookup only gives the common case a fast, clear answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import board
from ballots.ballot_check import BallotCheckFailed, CheckedBallot, check_ballot, parse_json
from ballots.errors import AlreadyVoted, BallotRejected, VotingClosed
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus
from ballots.services._common import (
    ElectionState,
    board_note_signer,
    election_keys,
    election_state,
    get_election,
    manifest_of,
    now_or,
    take_lock,
)
from crypto.merkle import MerkleTree


def _in_window(election: ElectionState, moment: datetime) -> bool:
    return election.status == ElectionStatus.OPEN and (
        election.opens_at <= moment < election.closes_at
    )


def cast_ballot(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    ballot: bytes | Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> board.Receipt:
    """Check ``ballot`` (raw JSON bytes or a parsed object) and append it to the board.

    Returns:
        The receipt: ballot hash, board index, signed checkpoint and inclusion path.

    Raises:
        VotingClosed: outside the window or after closing.
        BallotRejected: a check failed (``check`` names it).
        AlreadyVoted: this credential has a ballot on the board already.
    """
    moment = now_or(now)
    election = election_state(session, election_id)
    if not _in_window(election, moment):
        raise VotingClosed
    keys = election_keys(session, election)
    try:
        parsed = parse_json(ballot) if isinstance(ballot, bytes) else ballot
        checked = check_ballot(parsed, keys)
    except BallotCheckFailed as failed:
        raise BallotRejected(failed.check, failed.reason) from failed
    if _has_ballot(session, election_id, checked.credential_key):
        raise AlreadyVoted
    signer = board_note_signer(
        settings.security.secret_key, election.board_key_encrypted, keys.manifest.board_origin
    )
    take_lock(session, election_id)
    election = election_state(session, election_id)
    if not _in_window(election, moment):
        session.rollback()
        raise VotingClosed
    state = board.BoardState(election.board_size, election.board_frontier)
    appended = board.append(state, checked.leaf_hash, signer)
    try:
        _store(session, election_id, checked, appended)
    except IntegrityError as error:
        session.rollback()
        if _has_ballot(session, election_id, checked.credential_key):
            raise AlreadyVoted from error
        raise
    return board.Receipt(
        ballot_hash=checked.ballot_hash,
        index=appended.index,
        checkpoint=appended.note,
        path=tuple(h.hex() for h in appended.path),
    )


def _store(
    session: Session, election_id: uuid.UUID, checked: CheckedBallot, appended: board.Appended
) -> None:
    """Insert the ballot and its checkpoint, move the board on, commit.

    The UNIQUE constraint on (election, credential key) fails here for the loser of a
    race between two ballots of one credential (at the flush or the commit).
    """
    session.add(
        CastBallot(
            election_id=election_id,
            leaf_index=appended.index,
            leaf_hash=checked.ballot_hash,
            credential_key=checked.credential_key,
            line=checked.line.decode(),
        )
    )
    session.add(
        Checkpoint(
            election_id=election_id,
            tree_size=appended.state.size,
            root=appended.root.hex(),
            note=appended.note,
        )
    )
    session.flush()
    session.execute(
        update(Election)
        .where(Election.id == election_id)
        .values(board_size=appended.state.size, board_frontier=appended.state.frontier)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _has_ballot(session: Session, election_id: uuid.UUID, credential_key: str) -> bool:
    found = session.scalar(
        select(CastBallot.id).where(
            CastBallot.election_id == election_id, CastBallot.credential_key == credential_key
        )
    )
    return found is not None


def board_lines(session: Session, election_id: uuid.UUID) -> list[str]:
    """Every ballot line in board order (for small boards, tests and the simulator)."""
    return list(
        session.scalars(
            select(CastBallot.line)
            .where(CastBallot.election_id == election_id)
            .order_by(CastBallot.leaf_index)
        )
    )


def latest_checkpoint(session: Session, election_id: uuid.UUID) -> str:
    note = session.scalar(
        select(Checkpoint.note)
        .where(Checkpoint.election_id == election_id)
        .order_by(Checkpoint.tree_size.desc())
        .limit(1)
    )
    if note is None:
        raise VotingClosed
    return note


def current_receipt(session: Session, election_id: uuid.UUID, index: int) -> board.Receipt:
    """A fresh receipt for the ballot at ``index`` against the latest checkpoint.

    Lets a voter check, later, that their ballot is still in the (grown) board.
    """
    election = get_election(session, election_id)
    manifest_of(election)  # the manifest must still be intact
    hashes = session.scalars(
        select(CastBallot.leaf_hash)
        .where(CastBallot.election_id == election_id)
        .order_by(CastBallot.leaf_index)
    )
    tree = MerkleTree(bytes.fromhex(h) for h in hashes)
    note = session.scalar(
        select(Checkpoint.note).where(
            Checkpoint.election_id == election_id, Checkpoint.tree_size == tree.size
        )
    )
    if note is None or not 0 <= index < tree.size:
        raise VotingClosed
    proof = tree.inclusion_proof(index)
    return board.Receipt(
        ballot_hash=tree.leaf_hash(index).hex(),
        index=index,
        checkpoint=note,
        path=tuple(h.hex() for h in proof.path),
    )
