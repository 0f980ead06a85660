"""Read-only queries for the bulletin board and the voter's page (paged in SQL)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from ballots import services
from ballots.board import Receipt
from ballots.errors import VotingClosed, WrongState
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus, IssuerKey, RollEntry
from ballots.record_writer import keys_document
from crypto.blind_rsa import Variant
from crypto.canonical import JsonValue

PAGE_SIZE = 100
_HASH_RE = re.compile(r"[0-9a-f]{64}")


def keys_so_far(session: Session, election: Election) -> dict[str, JsonValue] | None:
    """``keys.json`` of the record as far as it exists (no joint key before the ceremony)."""
    try:
        return keys_document(session, election)
    except WrongState:
        issuer = session.get(IssuerKey, election.id)
        if issuer is None:
            return None
        return {
            "manifest_hash": election.manifest_hash,
            "trustees": [],
            "joint_public_key": None,
            "issuer": {
                "variant": Variant.PSS_RANDOMIZED.value,
                "public_key_spki": issuer.public_key_spki,
            },
            "board_public_key": election.board_public_key,
        }


def normalise_hash(text: str) -> str | None:
    """A ballot hash as the board shows it (64 lowercase hex digits), else None."""
    value = text.strip().lower()
    return value if _HASH_RE.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class BoardPage:
    entries: list[tuple[int, str]]
    """(index, ballot hash) in board order."""
    page: int
    pages: int
    size: int
    eligible: int | None
    checkpoint: str | None


def board_page(session: Session, election: Election, page: int) -> BoardPage:
    size = election.board_size
    pages = max(1, -(-size // PAGE_SIZE))
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_SIZE
    # Leaf indexes are dense (0..size-1, UNIQUE per election): a range on the index
    # reads exactly one page, however large the board.
    rows = session.execute(
        select(CastBallot.leaf_index, CastBallot.leaf_hash)
        .where(
            CastBallot.election_id == election.id,
            CastBallot.leaf_index >= first,
            CastBallot.leaf_index < first + PAGE_SIZE,
        )
        .order_by(CastBallot.leaf_index)
    ).all()
    return BoardPage(
        entries=[(row.leaf_index, row.leaf_hash) for row in rows],
        page=page,
        pages=pages,
        size=size,
        eligible=election.eligible_count,
        checkpoint=latest_note(session, election.id),
    )


def latest_note(session: Session, election_id: uuid.UUID) -> str | None:
    return session.scalar(
        select(Checkpoint.note)
        .where(Checkpoint.election_id == election_id)
        .order_by(Checkpoint.tree_size.desc())
        .limit(1)
    )


def lookup(session: Session, election_id: uuid.UUID, ballot_hash: str) -> Receipt | None:
    """The current receipt of the ballot with ``ballot_hash`` (None if not on the board)."""
    wanted = normalise_hash(ballot_hash)
    if wanted is None:
        return None
    index = session.scalar(
        select(CastBallot.leaf_index).where(
            CastBallot.election_id == election_id, CastBallot.leaf_hash == wanted
        )
    )
    if index is None:
        return None
    try:
        return services.current_receipt(session, election_id, index)
    except VotingClosed:  # a checkpoint for the current size is being written right now
        return None


def voting_open(election: Election, moment: datetime | None = None) -> bool:
    now = moment or utcnow()
    return election.status == ElectionStatus.OPEN and election.opens_at <= now < election.closes_at


def voting_over(election: Election, moment: datetime | None = None) -> bool:
    now = moment or utcnow()
    return election.status in {ElectionStatus.CLOSED, ElectionStatus.TALLIED} or (
        now >= election.closes_at
    )


def situation(session: Session, election: Election, member_id: int | None) -> str:
    """What the vote page tells this member: ``not_member``, ``closed``, ``not_open``,
    ``not_on_roll``, ``postal``, ``issued`` (credential fetched already) or ``ready``."""
    if member_id is None:
        return "not_member"
    if voting_over(election):
        return "closed"
    if election.status in {ElectionStatus.DRAFT, ElectionStatus.KEYS}:
        return "not_open"  # no roll yet
    entry = session.execute(
        select(RollEntry.postal, RollEntry.credential_issued_on).where(
            RollEntry.election_id == election.id, RollEntry.member_id == member_id
        )
    ).one_or_none()
    if entry is None:
        return "not_on_roll"
    checks = (
        (entry.postal, "postal"),
        (not voting_open(election), "not_open"),
        (entry.credential_issued_on is not None, "issued"),
    )
    return next((state for hit, state in checks if hit), "ready")
