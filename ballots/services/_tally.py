"""After closing: partial decryptions, the postal line, the result."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import record_event
from app.core.i18n import N_
from ballots import tally
from ballots.codec import ciphertext_from_json, partial_from_json, partial_json, point_from_json
from ballots.errors import (
    DecryptionRejected,
    NotEnoughDecryptions,
    PostalMismatch,
    PostalResultInvalid,
    SameCommissionMember,
    WrongState,
)
from ballots.models import Election, ElectionStatus, PostalResult, TallyShare, Trustee
from ballots.services._ceremony import trustee_of
from ballots.services._common import (
    get_election,
    lock_election,
    manifest_of,
    now_or,
    require_role,
    require_status,
    threshold_parameters,
)
from crypto.elgamal import Ciphertext
from crypto.threshold import (
    PartialDecryption,
    ThresholdParameters,
    decrypt,
    verify_partial_decryption,
)

_ELECTION = "election"


@dataclass(frozen=True, slots=True)
class DecryptionTask:
    """What a trustee decrypts: the aggregate, per question and option."""

    params: ThresholdParameters
    trustee: int
    aggregate: tuple[tuple[Ciphertext, ...], ...]


def _aggregate(election: Election) -> tuple[tuple[Ciphertext, ...], ...]:
    assert election.aggregate is not None
    return tuple(
        tuple(ciphertext_from_json(c, allow_identity=True) for c in row)
        for row in election.aggregate
    )


def decryption_task(session: Session, election_id: uuid.UUID, actor: Account) -> DecryptionTask:
    """The aggregate for trustee ``actor``; refused before the election is closed."""
    election = get_election(session, election_id)
    trustee = trustee_of(session, election, actor)
    require_status(election, ElectionStatus.CLOSED)
    return DecryptionTask(threshold_parameters(election), trustee.index, _aggregate(election))


def submit_partial_decryption(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    partials: Sequence[Sequence[PartialDecryption]],
) -> TallyShare:
    """Accept trustee j's partial decryptions of the aggregate, each proof checked."""
    election = lock_election(session, election_id)
    trustee = trustee_of(session, election, actor)
    require_status(election, ElectionStatus.CLOSED)
    _check_partials(election, trustee, partials)
    if session.scalar(
        select(TallyShare.id).where(
            TallyShare.election_id == election.id, TallyShare.trustee_index == trustee.index
        )
    ):
        raise DecryptionRejected(reason=N_("this trustee has already decrypted"))
    row = TallyShare(
        election_id=election.id,
        trustee_index=trustee.index,
        shares=[[partial_json(p) for p in question] for question in partials],
    )
    session.add(row)
    record_event(
        session,
        "tally:partial_decryption",
        actor_id=actor.id,
        object_type=_ELECTION,
        object_id=election.id,
        trustee=trustee.index,
    )
    session.commit()
    return row


def _check_partials(
    election: Election, trustee: Trustee, partials: Sequence[Sequence[PartialDecryption]]
) -> None:
    aggregate = _aggregate(election)
    params = threshold_parameters(election)
    assert trustee.verification_key is not None
    key = point_from_json(trustee.verification_key)
    if [len(row) for row in partials] != [len(row) for row in aggregate]:
        raise DecryptionRejected(reason=N_("one partial decryption per option is needed"))
    for row, ciphertexts in zip(partials, aggregate, strict=True):
        for partial, ciphertext in zip(row, ciphertexts, strict=True):
            if partial.trustee != trustee.index or not verify_partial_decryption(
                params, partial, ciphertext, key
            ):
                raise DecryptionRejected(reason=N_("a proof does not verify"))


def enter_postal_result(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    line: tally.PostalLine,
    *,
    now: datetime | None = None,
) -> PostalResult:
    """A commission member enters the counted postal votes (to be confirmed by another)."""
    election = lock_election(session, election_id)
    require_role(session, actor, Role.COMMISSION, election)
    require_status(election, ElectionStatus.CLOSED)
    _check_postal(election, line)
    existing = _postal(session, election)
    if existing is not None:
        raise WrongState(election.status.value, N_("The postal result was already entered."))
    row = PostalResult(
        election_id=election.id,
        counts=[list(c) for c in line.counts],
        invalid=list(line.invalid),
        envelopes=line.envelopes,
        entered_by_id=actor.id,
        entered_at=now_or(now),
    )
    session.add(row)
    record_event(
        session,
        "tally:postal_entered",
        actor_id=actor.id,
        object_type=_ELECTION,
        object_id=election.id,
        envelopes=line.envelopes,
    )
    session.commit()
    return row


def _check_postal(election: Election, line: tally.PostalLine) -> None:
    errors = tally.postal_errors(manifest_of(election), line, election.postal_count or 0)
    if errors:
        raise PostalResultInvalid(errors)


def _postal(session: Session, election: Election) -> PostalResult | None:
    return session.scalar(select(PostalResult).where(PostalResult.election_id == election.id))


def confirm_postal_result(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    line: tally.PostalLine,
    *,
    now: datetime | None = None,
) -> PostalResult:
    """A second commission member re-enters the figures; equal figures confirm them.

    Different figures discard the entry (both must count again).
    """
    election = lock_election(session, election_id)
    require_role(session, actor, Role.COMMISSION, election)
    require_status(election, ElectionStatus.CLOSED)
    row = _postal(session, election)
    if row is None or row.is_confirmed:
        raise WrongState(election.status.value, N_("There is no postal result to confirm."))
    if row.entered_by_id == actor.id:
        raise SameCommissionMember
    entered = tally.PostalLine(
        tuple(tuple(c) for c in row.counts), tuple(row.invalid), row.envelopes
    )
    if entered != line:
        session.execute(delete(PostalResult).where(PostalResult.id == row.id))
        record_event(
            session,
            "tally:postal_mismatch",
            actor_id=actor.id,
            object_type=_ELECTION,
            object_id=election.id,
        )
        session.commit()
        raise PostalMismatch
    row.confirmed_by_id = actor.id
    row.confirmed_at = now_or(now)
    record_event(
        session,
        "tally:postal_confirmed",
        actor_id=actor.id,
        object_type=_ELECTION,
        object_id=election.id,
    )
    session.commit()
    return row


def tally_election(
    session: Session,
    election_id: uuid.UUID,
    actor: Account | None,
    *,
    now: datetime | None = None,
) -> Election:
    """Combine at least t verified partial decryptions, add the postal line, decide quorum."""
    election = lock_election(session, election_id)
    if actor is not None:
        require_role(session, actor, Role.COMMISSION, election)
    require_status(election, ElectionStatus.CLOSED)
    manifest = manifest_of(election)
    params = threshold_parameters(election)
    partials = _partials(session, election)
    if len(partials) < params.threshold:
        raise NotEnoughDecryptions(threshold=params.threshold)
    postal = _confirmed_postal(session, election)
    aggregate = _aggregate(election)
    online = [
        [
            _decrypt(params, ciphertext, [partials[j][q][o] for j in sorted(partials)], election)
            for o, ciphertext in enumerate(row)
        ]
        for q, row in enumerate(aggregate)
    ]
    election.tally = tally.tally_document(
        tally.TallyInput(
            manifest=manifest,
            ballots_counted=election.board_size,
            aggregate=aggregate,
            partials=partials,
            online=online,
            postal=postal,
            eligible=election.eligible_count or 0,
        )
    )
    election.status = ElectionStatus.TALLIED
    election.tallied_at = now_or(now)
    record_event(
        session,
        "election:tallied",
        actor_id=actor.id if actor else None,
        object_type=_ELECTION,
        object_id=election.id,
        binding=election.tally["binding"],
    )
    session.commit()
    return election


def _partials(session: Session, election: Election) -> dict[int, list[list[PartialDecryption]]]:
    rows = session.scalars(
        select(TallyShare)
        .where(TallyShare.election_id == election.id)
        .order_by(TallyShare.trustee_index)
    )
    return {
        row.trustee_index: [
            [partial_from_json(row.trustee_index, p) for p in q] for q in row.shares
        ]
        for row in rows
    }


def _confirmed_postal(session: Session, election: Election) -> tally.PostalLine:
    row = _postal(session, election)
    if row is None and not election.postal_count:
        return tally.PostalLine.zeros(manifest_of(election))
    if row is None or not row.is_confirmed:
        raise WrongState(
            election.status.value, N_("The postal result must be entered and confirmed first.")
        )
    return tally.PostalLine(tuple(tuple(c) for c in row.counts), tuple(row.invalid), row.envelopes)


def _decrypt(
    params: ThresholdParameters,
    ciphertext: Ciphertext,
    partials: list[PartialDecryption],
    election: Election,
) -> int:
    value = decrypt(params, ciphertext, partials, bound=max(election.board_size, 1))
    if value is None:  # verified partials that do not decrypt to a count: never expected
        raise DecryptionRejected(reason=N_("the partial decryptions do not combine to a count"))
    return value
