"""A member checks their own roll entry and whether a credential was issued for it.

This is how the operator's one remaining forgery against the roll becomes visible
(docs/protocol.md §3.2): the issuer key could mint credentials for members who never
ask for one and cast ballots for them. The record then shows those members' entries in
the issuance list. Each member can look up, logged in, their own entry (with the salt
and membership number it is the hash of), its inclusion proof against the published
roll commitment, and whether the issuance list holds it; a member who did not vote and
finds their entry issued has evidence of ballot stuffing. Nobody sees anyone else's
entry: the page answers only for the logged-in member's own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.models import Election, RollEntry
from ballots.services._common import get_election
from crypto.merkle import InclusionProof, inclusion_proof, leaf_hash, root_from_leaf_hashes


class RollStatus(StrEnum):
    NOT_FROZEN = "not_frozen"
    NOT_ON_ROLL = "not_on_roll"
    POSTAL = "postal"
    ONLINE = "online"


@dataclass(frozen=True, slots=True)
class RollCheck:
    """What the member sees about their own entry (nothing about anyone else's)."""

    status: RollStatus
    entry: str | None = None
    salt: str | None = None
    roll_root: str | None = None
    roll_proof: InclusionProof | None = None
    credential_issued: bool = False
    issuance_root: str | None = None
    """The issuance list's root as bound by the outcome statement (once it is fixed)."""
    issuance_proof: InclusionProof | None = None


def _sorted_entries(session: Session, election: Election, *, issued: bool) -> list[bytes]:
    query = select(RollEntry.entry).where(
        RollEntry.election_id == election.id, RollEntry.postal.is_(False)
    )
    if issued:
        query = query.where(RollEntry.credential_issued_on.is_not(None))
    return sorted(bytes.fromhex(e) for e in session.scalars(query))


def _proof(entries: list[bytes], entry: bytes) -> tuple[str, InclusionProof]:
    leaves = [leaf_hash(e) for e in entries]
    return root_from_leaf_hashes(leaves).hex(), inclusion_proof(leaves, entries.index(entry))


def roll_check(session: Session, election_id: uuid.UUID, member_id: int | None) -> RollCheck:
    """The member's own roll entry, its inclusion proof and its issuance status."""
    election = get_election(session, election_id)
    if election.roll_commitment is None:
        return RollCheck(RollStatus.NOT_FROZEN)
    row = (
        None
        if member_id is None
        else session.scalar(
            select(RollEntry).where(
                RollEntry.election_id == election.id, RollEntry.member_id == member_id
            )
        )
    )
    if row is None:
        return RollCheck(RollStatus.NOT_ON_ROLL)
    if row.postal:
        return RollCheck(RollStatus.POSTAL, entry=row.entry, salt=row.salt)
    entry = bytes.fromhex(row.entry)
    root, proof = _proof(_sorted_entries(session, election, issued=False), entry)
    issued = row.credential_issued_on is not None
    issuance_root = issuance_proof = None
    if issued and election.outcome_statement is not None:
        issuance_root, issuance_proof = _proof(
            _sorted_entries(session, election, issued=True), entry
        )
    return RollCheck(
        RollStatus.ONLINE,
        entry=row.entry,
        salt=row.salt,
        roll_root=root,
        roll_proof=proof,
        credential_issued=issued,
        issuance_root=issuance_root,
        issuance_proof=issuance_proof,
    )
