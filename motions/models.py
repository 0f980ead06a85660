"""Tables of the Mitgliederbegehren (issue 13): rules, initiatives, initiators, signatures.

Rules are data: one `InitiativeRules` row is a version of a unit's rules, valid from a
date; a unit without its own rows inherits the nearest ancestor's (``motions.rules``).
An initiative points at the version it started under, so a later change of the rules
never moves a running initiative's goalposts.

The live count is kept in counters, changed in the same transaction as the signature
row, so the public count page reads a few rows instead of counting 46,000: the
initiative's ``signature_count`` plus its `InitiativeCount` shards. Online signatures
change a shard picked at random, not the initiative's row: every signature changing
one row made that row the bottleneck (each update waits for the previous one, and
PostgreSQL walks the row's growing chain of versions; 3.4 ms of database CPU per
signature at 180 signatures a second). A signature row is unique per (initiative,
member): a double submission can never count twice, whatever the timing.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.core.db import Base, pending_mail_index, utcnow


class QuorumKind(enum.StrEnum):
    TURNOUT = "turnout"
    """Valid when at least this share of the members took part (SPD default: 20 %)."""
    APPROVAL = "approval"
    """Valid when the Ja votes reach this share of all eligible members."""


class InitiativeStatus(enum.StrEnum):
    DRAFT = "draft"  # collecting co-initiators' confirmations
    SUBMITTED = "submitted"  # waiting for staff's admissibility check
    REFUSED = "refused"  # not admissible (reason recorded)
    SIGNING = "signing"  # signatures are being collected
    FAILED = "failed"  # deadline passed below the threshold
    SUCCEEDED = "succeeded"  # threshold reached; the board's response period runs
    ADOPTED = "adopted"  # the board adopted the proposal
    REFERENDUM_DUE = "referendum_due"  # not adopted in time: the Entscheid is to be prepared
    REFERENDUM = "referendum"  # the Entscheid exists (``election_id``)


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class InitiativeRules(Base):
    """One version of a unit's rules for initiatives (valid from ``valid_from``)."""

    __tablename__ = "initiative_rules"
    __table_args__ = (UniqueConstraint("unit_id", "valid_from", name="uq_initiative_rules"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[date]
    threshold_percent: Mapped[int]
    """Signatures needed, as a whole percentage of the unit's members at the reference date."""
    signing_days: Mapped[int]
    min_initiators: Mapped[int]
    board_days: Mapped[int]
    quorum_kind: Mapped[QuorumKind] = mapped_column(_enum(QuorumKind))
    quorum_percent: Mapped[int]
    binding_months: Mapped[int]
    overturn_body: Mapped[str] = mapped_column(String(100))
    overturn_numerator: Mapped[int]
    overturn_denominator: Mapped[int]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


COUNT_SHARDS = 16
"""Counter rows per initiative: 200 signatures a second spread over 16 rows meet
rarely (each row's lock is held for one UPDATE and the commit)."""


class InitiativeCount(Base):
    """One shard of an initiative's live count: signatures added (or, negative,
    withdrawn) since signing opened. Made when signing opens; folded into the
    initiative's ``signature_count`` and deleted at the deadline's decision."""

    __tablename__ = "initiative_counts"

    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    signatures: Mapped[int] = mapped_column(default=0)


class Initiative(Base):
    __tablename__ = "initiatives"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    rules_id: Mapped[int] = mapped_column(ForeignKey("initiative_rules.id"))
    title: Mapped[str] = mapped_column(String(200))
    proposal: Mapped[str] = mapped_column(Text)
    """The proposed decision: becomes the Entscheid's question."""
    reasons: Mapped[str] = mapped_column(Text)
    arguments_for: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[InitiativeStatus] = mapped_column(
        _enum(InitiativeStatus), default=InitiativeStatus.DRAFT, index=True
    )
    started_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    checked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    reference_date: Mapped[date | None]
    member_count: Mapped[int | None]
    threshold: Mapped[int | None]
    signature_count: Mapped[int] = mapped_column(default=0)
    """The part of the count not in the shards: the final count after the decision
    (read `live_count` for the count now)."""
    live_count: Mapped[int] = column_property(
        signature_count
        + select(func.coalesce(func.sum(InitiativeCount.signatures), 0))
        .where(InitiativeCount.initiative_id == id)  # noqa: A003 - the column above
        .correlate_except(InitiativeCount)
        .scalar_subquery()
    )
    """Counted signatures now (online not withdrawn, or on paper): the counter and its
    shards, read with the initiative."""
    decided_at: Mapped[datetime | None]
    final_count: Mapped[int | None]
    commitment_root: Mapped[str | None] = mapped_column(String(64))
    board_deadline: Mapped[datetime | None] = mapped_column(index=True)
    board_decided_at: Mapped[datetime | None]
    board_answer: Mapped[str | None] = mapped_column(Text)
    election_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("elections.id", ondelete="SET NULL"), unique=True
    )


class Initiator(Base):
    """One of an initiative's initiators; co-initiators confirm (``confirmed_at``)."""

    __tablename__ = "initiative_initiators"
    __table_args__ = (UniqueConstraint("initiative_id", "member_id", name="uq_initiator"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    confirmed_at: Mapped[datetime | None]


class Signature(Base):
    """A member's signature: online, on paper, or both (then counted once).

    ``salt`` makes the published leaf (``motions.commitment``) unguessable from the
    membership number; the signer's receipt holds it.
    """

    __tablename__ = "initiative_signatures"
    __table_args__ = (
        UniqueConstraint("initiative_id", "member_id", name="uq_initiative_signature"),
        Index("ix_initiative_signatures_initiative", "initiative_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    salt: Mapped[str] = mapped_column(String(32))
    online_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    paper_at: Mapped[datetime | None]
    paper_entered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))

    @property
    def counts(self) -> bool:
        return self.paper_at is not None or (
            self.online_at is not None and self.withdrawn_at is None
        )


class InitiativeMailMarker(Base):
    """At most one mail of each kind per member and initiative: the UNIQUE constraint
    keeps two overlapping runs of the queuing from mailing anyone twice.

    Written with the member's chunk of mails (``motions.notifications``); ``done_at`` is
    set by the chunk task in the transaction of the member's mail (NULL: still to be
    sent), so a chunk that runs again sends nobody's mail twice, and a marker pending
    past ``app.core.mail_batches.LOST_AFTER`` lost its message and is queued again.
    The key's order (initiative, kind, member) lets the queuing read a chunk's markers
    as one range."""

    __tablename__ = "initiative_mail_markers"
    __table_args__ = (
        UniqueConstraint("initiative_id", "kind", "member_id", name="uq_initiative_mail"),
        pending_mail_index("initiative_mail_markers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    initiative_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class InitiativeNoticeOptOut(Base):
    """An account that does not want mails about new initiatives in its unit."""

    __tablename__ = "initiative_notice_opt_outs"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
