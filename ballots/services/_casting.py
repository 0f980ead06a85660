"""Casting a ballot: check it, put it on the board, hand back the receipt.

No login: the ballot proves its right to be counted by itself (issuer signature on the
credential, credential signature on the ballot, proofs). The expensive checks run
before any lock is taken (`check_for_board`); only the board append (O(log n) hashes
and one Ed25519 signature per ballot, two inserts and an update per batch) runs under
the election's row lock (`append_to_board`), which serialises the board across all app
processes and makes "closed" final for every later cast. A web server hands the checked
ballots of many concurrent requests to one appender (`BoardSequencer`), so one lock,
one transaction and one commit serve many ballots (group commit).

One ballot per credential: the first valid ballot counts, later ones are refused
(``docs/protocol.md`` argues why). The UNIQUE constraint on (election, credential key)
decides races; the earlier lookups only give the common case a fast, clear answer. A
replayed ballot (its credential already on the board) is refused from the process's set
of the board's keys (`_BoardKeys`) *before* any signature or proof is checked, so replays
cost what junk costs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.core.settings import Settings
from ballots import board
from ballots.ballot_check import (
    BallotCheckFailed,
    CheckedBallot,
    ElectionKeys,
    check_ballot,
    parse_json,
)
from ballots.errors import AlreadyVoted, BallotRejected, VotingClosed
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus
from ballots.services._common import (
    ElectionState,
    board_note_signer,
    election_keys,
    election_state,
    get_election,
    locked_state,
    manifest_of,
    now_or,
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
    checked = check_for_board(session, election_id, ballot, now=now)
    (outcome,) = append_to_board(session, settings, election_id, [checked], now=now)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def check_for_board(
    session: Session,
    election_id: uuid.UUID,
    ballot: bytes | Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> CheckedBallot:
    """Every check of a ballot that needs no lock: window, format, signatures, proofs.

    The expensive part of casting; request threads run it in parallel before handing
    the ballot to `append_to_board`, which checks the window and the credential again
    under the lock and is the only judge of both. Once an election is open, its keys
    and window cannot change, so they are read from the database once per process.
    A credential already on the board is refused first (`_BoardKeys`), before
    any signature or proof is checked.

    Raises:
        VotingClosed, BallotRejected, AlreadyVoted (as `cast_ballot`).
    """
    moment = now_or(now)
    opened = _open_elections.get(election_id)
    if opened is None:
        election = election_state(session, election_id)
        if not _in_window(election, moment):
            raise VotingClosed
        opened = _OpenElection(
            election_keys(session, election), election.opens_at, election.closes_at
        )
        _open_elections[election_id] = opened
        session.rollback()  # end the read transaction: no snapshot held while checking
    elif not opened.opens_at <= moment < opened.closes_at:
        raise VotingClosed
    try:
        parsed = parse_json(ballot) if isinstance(ballot, bytes) else ballot
        if _already_on_board(session, election_id, parsed):
            raise AlreadyVoted
        proof_checks.add()
        return check_ballot(parsed, opened.keys)
    except BallotCheckFailed as failed:
        raise BallotRejected(failed.check, failed.reason) from failed


def _already_on_board(session: Session, election_id: uuid.UUID, parsed: Mapping[str, Any]) -> bool:
    """Is the ballot's credential key on the board already? (Replays end here, cheaply.)

    Reads the key without checking anything else: a false key is not found and the
    full checks run as usual; a key that is on the board can never be cast again,
    whatever the rest of the ballot says. The answer comes from this process's set of
    the board's keys (`_BoardKeys`), so an honest cast costs no database round trip.
    """
    credential = parsed.get("credential")
    key = credential.get("public_key") if isinstance(credential, Mapping) else None
    if not isinstance(key, str) or len(key) != 64:  # noqa: PLR2004 - 32 bytes, hex
        return False
    return _board_keys(election_id).contains(session, key)


class _BoardKeys:
    """The credential keys on one election's board, as far as this process knows.

    Extended by the ballots this process appends and, at most once per
    `REFRESH_SECONDS`, by the leaves other processes appended since (read by leaf
    index, so each refresh reads only new rows). A key in the set is surely on the
    board; a key not in it may have been appended by another process since the last
    refresh: such a replay goes on to the proofs and is refused under the lock by
    `append_to_board` (and the UNIQUE constraint), so the set is a shortcut, never the
    judge.
    """

    REFRESH_SECONDS = 1.0

    def __init__(self, election_id: uuid.UUID) -> None:
        self.election_id = election_id
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self._next_index = 0
        self._refreshed = float("-inf")

    def contains(self, session: Session, key: str) -> bool:
        with self._lock:
            if key in self._keys:
                return True
            if time.monotonic() - self._refreshed < self.REFRESH_SECONDS:
                return False
        self._refresh(session)
        with self._lock:
            return key in self._keys

    def add(self, keys: Sequence[str]) -> None:
        with self._lock:
            self._keys.update(keys)

    def _refresh(self, session: Session) -> None:
        ours = not session.in_transaction()
        with self._lock:
            start = self._next_index
        rows = session.execute(
            select(CastBallot.leaf_index, CastBallot.credential_key).where(
                CastBallot.election_id == self.election_id, CastBallot.leaf_index >= start
            )
        ).all()
        if ours:
            session.rollback()  # end our read transaction: no snapshot held while checking
        with self._lock:
            self._keys.update(key for _, key in rows)
            if rows:
                self._next_index = max(self._next_index, max(index for index, _ in rows) + 1)
            self._refreshed = time.monotonic()


_known_keys: dict[uuid.UUID, _BoardKeys] = {}
_known_keys_lock = threading.Lock()


def _board_keys(election_id: uuid.UUID) -> _BoardKeys:
    with _known_keys_lock:
        known = _known_keys.get(election_id)
        if known is None:
            known = _known_keys[election_id] = _BoardKeys(election_id)
        return known


class _Counter:
    """A thread-safe count of full ballot checks (signatures and proofs) in this process.

    Instrumentation for tests and operators: a replay must not move it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


proof_checks = _Counter()


def closing_time(election_id: uuid.UUID) -> datetime | None:
    """The end of the window as `check_for_board` saw it (None before the first check)."""
    opened = _open_elections.get(election_id)
    return None if opened is None else opened.closes_at


@dataclass(frozen=True, slots=True)
class _OpenElection:
    """What `check_for_board` needs of an open election; immutable while it is open."""

    keys: ElectionKeys
    opens_at: datetime
    closes_at: datetime


_open_elections: dict[uuid.UUID, _OpenElection] = {}
"""Per process; a stale entry after closing only lets a ballot reach `append_to_board`,
which refuses it under the lock."""


def append_to_board(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    ballots: Sequence[CheckedBallot],
    *,
    now: datetime | None = None,
) -> list[board.Receipt | DomainError]:
    """Append checked ballots in order, under one row lock and one commit (group commit).

    Each ballot still gets its own index, its own signed checkpoint and its own receipt,
    exactly as if appended alone; only the database round trips are shared. A ballot
    whose credential is already on the board (or earlier in ``ballots``) gets
    `AlreadyVoted`, every ballot `VotingClosed` if the window has ended; the others are
    appended. Nothing is visible, and no receipt exists, before the commit.
    """
    moment = now_or(now)
    election = locked_state(session, election_id)
    if not _in_window(election, moment):
        session.rollback()
        return [VotingClosed() for _ in ballots]
    keys = election_keys(session, election)
    signer = board_note_signer(
        settings.security.secret_key, election.board_key_encrypted, keys.manifest.board_origin
    )
    taken = set(
        session.scalars(
            select(CastBallot.credential_key).where(
                CastBallot.election_id == election_id,
                CastBallot.credential_key.in_({b.credential_key for b in ballots}),
            )
        )
    )
    state = board.BoardState(election.board_size, election.board_frontier)
    outcomes: list[board.Receipt | DomainError] = []
    ballot_rows: list[dict[str, Any]] = []
    checkpoint_rows: list[dict[str, Any]] = []
    for checked in ballots:
        if checked.credential_key in taken:
            outcomes.append(AlreadyVoted())
            continue
        taken.add(checked.credential_key)
        appended = board.append(state, checked.leaf_hash, signer)
        state = appended.state
        ballot_rows.append(_ballot_row(election_id, checked, appended))
        checkpoint_rows.append(_checkpoint_row(election_id, appended))
        outcomes.append(_receipt(checked, appended))
    if ballot_rows:
        _store(session, election_id, ballot_rows, checkpoint_rows, state)
        _board_keys(election_id).add([row["credential_key"] for row in ballot_rows])
    else:
        session.rollback()
    return outcomes


def _receipt(checked: CheckedBallot, appended: board.Appended) -> board.Receipt:
    return board.Receipt(
        ballot_hash=checked.ballot_hash,
        index=appended.index,
        checkpoint=appended.note,
        path=tuple(h.hex() for h in appended.path),
    )


def _ballot_row(
    election_id: uuid.UUID, checked: CheckedBallot, appended: board.Appended
) -> dict[str, Any]:
    return {
        "election_id": election_id,
        "leaf_index": appended.index,
        "leaf_hash": checked.ballot_hash,
        "credential_key": checked.credential_key,
        "line": checked.line.decode(),
    }


def _checkpoint_row(election_id: uuid.UUID, appended: board.Appended) -> dict[str, Any]:
    return {
        "election_id": election_id,
        "tree_size": appended.state.size,
        "root": appended.root.hex(),
        "note": appended.note,
    }


def _store(
    session: Session,
    election_id: uuid.UUID,
    ballot_rows: list[dict[str, Any]],
    checkpoint_rows: list[dict[str, Any]],
    state: board.BoardState,
) -> None:
    """Insert the ballots and their checkpoints, move the board on, commit.

    Under the row lock no other append can run, so the credential check above is
    final; the UNIQUE constraints stay as the last line of defence.
    """
    session.execute(insert(CastBallot), ballot_rows)
    session.execute(insert(Checkpoint), checkpoint_rows)
    session.execute(
        update(Election)
        .where(Election.id == election_id)
        .values(board_size=state.size, board_frontier=state.frontier)
        .execution_options(synchronize_session=False)
    )
    session.commit()


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

    Lets a voter check, later, that their ballot is still in the (grown) board. The
    board's Merkle tree is kept per process and only extended by the leaves added since
    the last lookup (the board is append-only and every reader sees a committed prefix
    of it), so a lookup on a 400,000-ballot board does not re-read 400,000 hashes.
    """
    election = get_election(session, election_id)
    manifest_of(election)  # the manifest must still be intact
    with _trees_lock:
        tree = _trees.setdefault(election_id, MerkleTree())
        for leaf in session.scalars(
            select(CastBallot.leaf_hash)
            .where(CastBallot.election_id == election_id, CastBallot.leaf_index >= tree.size)
            .order_by(CastBallot.leaf_index)
        ):
            tree.append(bytes.fromhex(leaf))
        size = tree.size
        if not 0 <= index < size:
            raise VotingClosed
        ballot_hash = tree.leaf_hash(index).hex()
        path = tuple(h.hex() for h in tree.inclusion_proof(index).path)
    note = session.scalar(
        select(Checkpoint.note).where(
            Checkpoint.election_id == election_id, Checkpoint.tree_size == size
        )
    )
    if note is None:
        raise VotingClosed
    return board.Receipt(ballot_hash=ballot_hash, index=index, checkpoint=note, path=path)


_trees: dict[uuid.UUID, MerkleTree] = {}
_trees_lock = threading.Lock()
