"""Tables of the Mitgliederbefragung.

What the server may hold, and what it must not (as in ``ballots.models``):

- `SurveyRollEntry` links a member to the survey's frozen audience and says *that* a
  credential was issued and on which *day*; never which key (blind signature), never a
  finer time. Guests get `SurveyGuestEntry` rows, the same way.
- `SurveyAnswer` rows carry no account, no address and no time. Their primary key is
  random; they wait (``leaf_index`` NULL) until a batch is shuffled onto the board, so the
  board order is not the order of arrival.
- The issuer keys (one per audience, or one per breakdown class) and the board key are
  encrypted at rest. The member's class (``SurveyRollEntry.class_id``) is fixed when
  the survey opens, from the sub-unit and age band, merged so every class has at least
  the threshold of eligible members (``surveys.breakdown``).

"One answer per credential" is the UNIQUE constraint on ``(survey_id, credential_key)``.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UUIDPrimaryKey, pending_mail_index, utcnow


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"  # questions may change
    OPEN = "open"  # frozen; credentials and answers accepted within the window
    CLOSED = "closed"  # the record is built; results are final


class Survey(UUIDPrimaryKey, Base):
    __tablename__ = "surveys"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    """The canonical manifest JSON (``surveys.definition``); frozen from opening on."""
    status: Mapped[SurveyStatus] = mapped_column(
        Enum(
            SurveyStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=SurveyStatus.DRAFT,
    )
    guests_allowed: Mapped[bool] = mapped_column(default=False)
    results_live: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    copied_from: Mapped[uuid.UUID | None]
    # Fixed when the survey opens:
    manifest_hash: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    eligible_members: Mapped[int | None]
    member_issuer_spki: Mapped[str | None] = mapped_column(Text)
    member_issuer_encrypted: Mapped[str | None] = mapped_column(Text)
    guest_issuer_spki: Mapped[str | None] = mapped_column(Text)
    guest_issuer_encrypted: Mapped[str | None] = mapped_column(Text)
    board_public_key: Mapped[str | None] = mapped_column(String(64))
    board_key_encrypted: Mapped[str | None] = mapped_column(Text)
    board_size: Mapped[int] = mapped_column(default=0)
    board_frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    checkpoint: Mapped[str | None] = mapped_column(Text)
    """The latest signed checkpoint; every one is also a `SurveyCheckpoint` row."""
    breakdown: Mapped[str | None] = mapped_column(Text)
    """``{"by": [...], "threshold": k}`` (``surveys.breakdown.Spec``) or NULL: none."""
    classes: Mapped[str | None] = mapped_column(Text)
    """Fixed when opened with a breakdown: ``{class id: {unit, unit_name, band, eligible,
    issuer_spki}}`` (canonical JSON; record §8)."""
    class_keys_encrypted: Mapped[str | None] = mapped_column(Text)
    """``{class id: encrypted issuer key}`` (JSON)."""
    roll_commitment: Mapped[str | None] = mapped_column(String(64))
    roll_key_encrypted: Mapped[str | None] = mapped_column(Text)
    """Derives each member's secret salt for the frozen list's entries (record §9)."""
    live_tallies: Mapped[str | None] = mapped_column(Text)
    """Running tallies of what is on the board (members, guests, per class), updated
    with each batch, so live results never scan the answers."""
    # Built once when the survey closes, served as a stored file:
    results: Mapped[str | None] = mapped_column(Text)
    record_zip: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """Loaded only when used (the record download, the close): with 100,000 answers it
    is tens of megabytes, and every results request reads the survey row."""
    record_etag: Mapped[str | None] = mapped_column(String(64))


class SurveyRollEntry(Base):
    """A member of the frozen audience; credential issued on a day (or not)."""

    __tablename__ = "survey_roll_entries"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", name="uq_survey_roll_entries_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    class_id: Mapped[str | None] = mapped_column(String(8))
    credential_issued_on: Mapped[date | None]
    blinded_request_hash: Mapped[str | None] = mapped_column(String(64))
    blind_signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class SurveyGuestEntry(Base):
    """A guest who obtained a guest credential (guests are not frozen: anyone registered).

    The row is written when the credential is issued, so it has no counter of its own:
    an autoincrement id would number the guests in the order they asked, a finer time
    than the day (and the close's `blur_issuance_order` could not blur it). Its key is
    the survey and the guest's account (a random UUID).
    """

    __tablename__ = "survey_guest_entries"

    survey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    credential_issued_on: Mapped[date]
    blinded_request_hash: Mapped[str] = mapped_column(String(64))
    blind_signature: Mapped[bytes] = mapped_column(LargeBinary)


class SurveyAnswer(UUIDPrimaryKey, Base):
    """One anonymous answer line; no account, address or time."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "credential_key", name="uq_survey_answers_credential"),
        Index("ix_survey_answers_board", "survey_id", "leaf_index"),
        # A receipt look-up finds its answer by hash (``answer_receipt``).
        Index("ix_survey_answers_leaf", "survey_id", "leaf_hash"),
    )

    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    credential_key: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(16))
    leaf_hash: Mapped[str] = mapped_column(String(64))
    line: Mapped[str] = mapped_column(Text)
    leaf_index: Mapped[int | None]


class SurveyCheckpoint(Base):
    """A signed checkpoint of the board: one when the survey opens (size 0) and one per
    batch. All of them go into the record in order (``checkpoints.jsonl``), and a
    receipt names the one its answer was boarded under, so a board rewritten later (in
    another order, with an answer less) contradicts signed notes already handed out."""

    __tablename__ = "survey_checkpoints"
    __table_args__ = (
        UniqueConstraint("survey_id", "tree_size", name="uq_survey_checkpoints_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    tree_size: Mapped[int]
    note: Mapped[str] = mapped_column(Text)


class SurveyPaperLine(Base):
    """The counted paper questionnaires of a survey, one line, aggregates per question.

    Entered by one staff member and confirmed by a different one who counted again and
    entered the same figures (as the referendum postal line); only a confirmed line goes
    into the results and the record. ``line`` is the canonical JSON of
    ``surveys.definition.check_paper_line``.
    """

    __tablename__ = "survey_paper_lines"

    survey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[datetime | None]


class SurveyMailMarker(Base):
    """One invitation and one reminder per member and survey (UNIQUE holds it when two
    schedule runs overlap); written in the transaction that queues the member's chunk.
    ``done_at`` is set by the chunk task in the transaction of the member's mail (NULL:
    the mail is still to be sent), so a chunk that runs again sends nobody's mail twice
    (``app.core.mail_batches``)."""

    __tablename__ = "survey_mail_markers"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", "kind", name="uq_survey_mail_markers"),
        pending_mail_index("survey_mail_markers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
