"""Credential issuance: one blind signature per eligible online member.

The member's client sends a blinded RFC 9474 request for its fresh credential key; the
server checks the roll, marks the entry with a conditional UPDATE (``… WHERE
credential_issued_on IS NULL``) and returns the blind signature. Two concurrent requests
of one member cannot both win the UPDATE, so at most one credential exists per entry.
The server keeps the blinded request's hash and the blind signature so that a retry of
the *same* request (a lost response, or the member's second device re-deriving the
request from their recovery code, ``ballots.client.recover_credential``) gets the same
answer; neither reveals the key.

Unlinkability (docs/protocol.md §2.4): the entry keeps only the *day* of issuance, and
no audit event is written per issuance; a fine time next to the board order would link
ballots to members. The number of credentials issued is in the ``election:closed``
event and in the record's ``issuance.json``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import issuance
from ballots.errors import (
    CredentialAlreadyIssued,
    CredentialRequestInvalid,
    NotOnRoll,
    PostalVoter,
    VotingClosed,
)
from ballots.models import ElectionStatus, RollEntry
from ballots.services._common import election_state, issuer_signing_key, now_or
from crypto.blind_rsa import BlindRsaError, blind_sign


def issue_credential(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    member_id: int,
    blinded_msg: bytes,
    *,
    now: datetime | None = None,
) -> bytes:
    """Blind-sign the member's credential request; at most once per roll entry.

    ``member_id`` is the logged-in member (the handler resolves it from the session).

    Raises:
        NotOnRoll, PostalVoter, CredentialAlreadyIssued, VotingClosed.
    """
    moment = now_or(now)
    election = election_state(session, election_id)
    if election.status not in {ElectionStatus.ROLL_FROZEN, ElectionStatus.OPEN}:
        raise VotingClosed
    if moment >= election.closes_at:
        raise VotingClosed
    entry = _entry(session, election_id, member_id)
    if entry is None:
        raise NotOnRoll
    if entry.postal:
        raise PostalVoter
    request_hash = hashlib.sha256(blinded_msg).hexdigest()
    if entry.credential_issued_on is not None:
        return _repeat(entry, request_hash)
    signature = _sign(session, settings, election_id, blinded_msg)
    won = session.execute(
        update(RollEntry)
        .where(RollEntry.id == entry.id, RollEntry.credential_issued_on.is_(None))
        .values(
            credential_issued_on=moment.date(),
            blinded_request_hash=request_hash,
            blind_signature=signature,
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()  # another request of this member won; answer as to a retry
        again = _entry(session, election_id, member_id)
        assert again is not None
        return _repeat(again, request_hash)
    session.commit()
    return signature


@dataclass(frozen=True, slots=True)
class _Entry:
    id: int
    postal: bool
    credential_issued_on: date | None
    blinded_request_hash: str | None
    blind_signature: bytes | None


def _entry(session: Session, election_id: uuid.UUID, member_id: int) -> _Entry | None:
    """The member's roll entry, as plain columns (no ORM object on the hot path)."""
    row = session.execute(
        select(
            RollEntry.id,
            RollEntry.postal,
            RollEntry.credential_issued_on,
            RollEntry.blinded_request_hash,
            RollEntry.blind_signature,
        ).where(RollEntry.election_id == election_id, RollEntry.member_id == member_id)
    ).one_or_none()
    return None if row is None else _Entry(**row._asdict())


def _repeat(entry: _Entry, request_hash: str) -> bytes:
    """A retry of the request that was answered gets the same answer; nothing else does."""
    if entry.blinded_request_hash == request_hash and entry.blind_signature is not None:
        return entry.blind_signature
    raise CredentialAlreadyIssued


def _sign(
    session: Session, settings: Settings, election_id: uuid.UUID, blinded_msg: bytes
) -> bytes:
    key = issuer_signing_key(session, settings.security.secret_key, election_id)
    try:
        return blind_sign(key, blinded_msg)
    except BlindRsaError as error:
        raise CredentialRequestInvalid from error


def issued_count(session: Session, election_id: uuid.UUID) -> int:
    """How many credentials were issued (the aggregate the audit log may show)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(RollEntry)
            .where(
                RollEntry.election_id == election_id, RollEntry.credential_issued_on.is_not(None)
            )
        )
        or 0
    )


def blur_issuance_order(session: Session, election_id: uuid.UUID) -> None:
    """Rewrite every roll entry of the election in one statement (caller commits).

    PostgreSQL keeps, per row, the id of the transaction that last wrote it (``xmin``)
    and places updated rows at the end of the table: read after the vote, both would
    still give the order of issuance. One UPDATE of all entries gives them the same
    transaction and a fresh place (the old row versions go with the next VACUUM). The
    rule is shared with surveys (``ballots.issuance``).
    """
    issuance.blur_issuance_order(session, RollEntry, RollEntry.election_id == election_id)
