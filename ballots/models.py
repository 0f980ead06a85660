"""Tables of the ballot core.

What the server may hold, and what it must not:

- the link member → roll entry (`RollEntry.member_id`, its salt) stays here and never
  enters the record, which carries only the salted entry hashes;
- `RollEntry.credential_issued_on` says *that* a member got a credential, and on which
  day (never a finer time: with the board order it would link ballots to members);
  nothing says *which* key (the issuer signed it blindly), and `CastBallot` rows carry
  no time and follow the shuffled board order, not the order of arrival;
- trustee secrets are never here: key shares are stored only sealed to the receiving
  trustee's X25519 key (`KeyShare`), whose private key lives in the trustee's key file;
- the issuer's RSA key and the board's Ed25519 key are encrypted at rest
  (`app.core.secrets_box`, a key derived from the settings' secret key per purpose).

"Exactly one counted ballot per credential" is the UNIQUE constraint on
``(election_id, credential_key)`` of `CastBallot`, not a check in Python: two requests
racing with the same credential cannot both commit.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, UUIDPrimaryKey, utcnow


class ElectionStatus(enum.StrEnum):
    DRAFT = "draft"  # created; the key ceremony runs
    KEYS = "keys"  # the joint key exists
    ROLL_FROZEN = "roll_frozen"  # the voter roll is fixed; credentials may be issued
    OPEN = "open"  # ballots are accepted within the window
    CLOSED = "closed"  # no more ballots; trustees may decrypt the aggregate
    TALLIED = "tallied"  # the result is final


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Election(UUIDPrimaryKey, Base):
    __tablename__ = "elections"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ElectionStatus] = mapped_column(
        _enum(ElectionStatus), default=ElectionStatus.DRAFT
    )
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    manifest_hash: Mapped[str] = mapped_column(String(64))
    cutoff_at: Mapped[datetime]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    trustee_count: Mapped[int]
    threshold: Mapped[int]
    quorum_percent: Mapped[int | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ceremony_round: Mapped[int] = mapped_column(default=1)
    joint_public_key: Mapped[str | None] = mapped_column(String(64))
    board_key_encrypted: Mapped[str] = mapped_column(String(255))
    board_public_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    """Record v3 §2: H(manifest hash, issuer key, board key); the key ceremony's context.
    None for elections made before record version 3 (their context is the manifest hash)."""
    board_size: Mapped[int] = mapped_column(default=0)
    board_frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    eligible_count: Mapped[int | None]
    postal_count: Mapped[int | None]
    roll_commitment: Mapped[str | None] = mapped_column(String(64))
    roll_frozen_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    aggregate: Mapped[list[Any] | None] = mapped_column(JSON)
    """per question, per option: the product of all ciphertexts (computed at closing)."""
    outcome_statement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Record v3 §7: what every partial decryption is bound to; fixed once the roll,
    issuance, board and postal line are final (closed, postal line confirmed)."""
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """``tally.json`` of the record, once tallied."""
    tallied_at: Mapped[datetime | None]

    trustees: Mapped[list[Trustee]] = relationship(
        back_populates="election", order_by="Trustee.index"
    )
    issuer_key: Mapped[IssuerKey | None] = relationship(back_populates="election")

    @property
    def is_open(self) -> bool:
        return self.status == ElectionStatus.OPEN


class IssuerKey(Base):
    """The election's RFC 9474 issuer key; the private key only encrypted at rest."""

    __tablename__ = "election_issuer_keys"

    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    public_key_spki: Mapped[str] = mapped_column(Text)
    """SubjectPublicKeyInfo DER, hex."""
    key_id: Mapped[str] = mapped_column(String(64))
    private_key_encrypted: Mapped[str] = mapped_column(Text)

    election: Mapped[Election] = relationship(back_populates="issuer_key")


class Trustee(Base):
    """A commission member holding one key share (index 1..n)."""

    __tablename__ = "election_trustees"
    __table_args__ = (
        UniqueConstraint("election_id", "index", name="uq_election_trustees_index"),
        UniqueConstraint("election_id", "account_id", name="uq_election_trustees_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    index: Mapped[int]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    sealing_public_key: Mapped[str | None] = mapped_column(String(64))
    """X25519, hex: the key the other trustees seal this trustee's shares to."""
    signing_public_key: Mapped[str | None] = mapped_column(String(64))
    """Ed25519, hex (record §2.1): signs the postal line; registered with the sealing key
    and bound by every dealer's proof. None for trustees keyed before migration 0015."""
    commitments: Mapped[list[str] | None] = mapped_column(JSON)
    proof: Mapped[dict[str, str] | None] = mapped_column(JSON)
    dealt_at: Mapped[datetime | None]
    shares_verified_at: Mapped[datetime | None]
    verification_key: Mapped[str | None] = mapped_column(String(64))
    """X_j = g^{x_j}, from the public commitments."""

    election: Mapped[Election] = relationship(back_populates="trustees")


class KeyShare(Base):
    """Dealer i's share for trustee j, sealed to j's X25519 key (opaque to the server)."""

    __tablename__ = "election_key_shares"
    __table_args__ = (
        UniqueConstraint("election_id", "dealer", "recipient", name="uq_election_key_shares_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    dealer: Mapped[int]
    recipient: Mapped[int]
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ShareComplaint(Base):
    """A trustee's complaint about a share, with its evidence and the server's finding."""

    __tablename__ = "election_share_complaints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    ceremony_round: Mapped[int]
    dealer: Mapped[int]
    recipient: Mapped[int]
    box_key: Mapped[str | None] = mapped_column(String(64))
    upheld: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RollEntry(Base):
    """One eligible member on the frozen roll. Server-side only: ``member_id`` and
    ``salt`` never leave the database; the record shows ``entry`` (online voters only)."""

    __tablename__ = "roll_entries"
    __table_args__ = (
        UniqueConstraint("election_id", "member_id", name="uq_roll_entries_member"),
        UniqueConstraint("election_id", "entry", name="uq_roll_entries_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    salt: Mapped[str] = mapped_column(String(64))
    entry: Mapped[str] = mapped_column(String(64))
    postal: Mapped[bool] = mapped_column(default=False)
    credential_issued_on: Mapped[date | None]
    """The UTC day the credential was issued (day precision on purpose, docs/protocol.md §2.4)."""
    blinded_request_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the blinded request that was signed, so a lost answer can be re-sent."""
    blind_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The blind signature sent (reveals nothing about the credential key)."""


class CastBallot(Base):
    """A ballot on the board. No timestamp and no link to a member, on purpose."""

    __tablename__ = "cast_ballots"
    __table_args__ = (
        UniqueConstraint("election_id", "credential_key", name="uq_cast_ballots_credential"),
        UniqueConstraint("election_id", "leaf_index", name="uq_cast_ballots_leaf"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    leaf_index: Mapped[int]
    leaf_hash: Mapped[str] = mapped_column(String(64))
    credential_key: Mapped[str] = mapped_column(String(64))
    line: Mapped[str] = mapped_column(Text)
    """The canonical JSON of the ballot: the board leaf and the ``ballots.jsonl`` line."""


class Checkpoint(Base):
    """A signed tree head of the board (C2SP signed note)."""

    __tablename__ = "board_checkpoints"
    __table_args__ = (
        UniqueConstraint("election_id", "tree_size", name="uq_board_checkpoints_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    tree_size: Mapped[int]
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


class TallyShare(Base):
    """Trustee j's partial decryptions of the aggregate, with proofs (checked on entry)."""

    __tablename__ = "election_tally_shares"
    __table_args__ = (
        UniqueConstraint("election_id", "trustee_index", name="uq_election_tally_shares_trustee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    trustee_index: Mapped[int]
    shares: Mapped[list[Any]] = mapped_column(JSON)
    """per question, per option: {"value": point, "proof": {...}}."""
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostalResult(Base):
    """The postal-vote counts: entered by one commission member, confirmed by another.

    The CHECK constraint makes the four-eyes rule hold even against a bug in a service.
    """

    __tablename__ = "election_postal_results"
    __table_args__ = (
        CheckConstraint(
            "confirmed_by_id IS NULL OR confirmed_by_id <> entered_by_id", name="four_eyes"
        ),
        Index("ix_election_postal_results_election", "election_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    counts: Mapped[list[list[int]]] = mapped_column(JSON)
    invalid: Mapped[list[int]] = mapped_column(JSON)
    envelopes: Mapped[int]
    entered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[datetime | None]
    entered_by_trustee: Mapped[int | None]
    """Record §7.3: the entering trustee's index and Ed25519 signature of the line (hex);
    None where the trustees have no signing keys (elections keyed before 0015)."""
    entered_signature: Mapped[str | None] = mapped_column(String(128))
    confirmed_by_trustee: Mapped[int | None]
    confirmed_signature: Mapped[str | None] = mapped_column(String(128))

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_by_id is not None
