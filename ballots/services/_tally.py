"""After closing: the postal line, the outcome statement, partial decryptions, the result.

Record v3 (docs/election-record.md §7): once the ballot box is closed and the postal
line is confirmed (or there are no postal voters), the server fixes the **outcome
statement**: the election fingerprint, the joint election key, the roll commitment and
counts, the issuance list's Merkle root and count, the final board checkpoint and the
postal line with its two confirmations. Every partial decryption's proof is bound to
its hash, so none of these can change afterwards without breaking the trustees'
proofs. The trustees' tools recompute the statement from public data before they
decrypt (`statement_evidence`; ``ballots.trustee_tool.check_statement``, ``trustee.js``).

The postal line (record §7.3) is entered by one trustee and confirmed by a second,
different one, each with an Ed25519 signature by the signing key registered at the key
ceremony (made in their browser or with their key file; the server only checks and
stores it). So the operator, who holds no trustee key, can neither enter nor confirm a
line. Elections keyed before signing keys keep the unsigned confirmations by any two
commission members (the verifier warns).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.i18n import N_
from ballots import tally
from ballots.codec import ciphertext_from_json, partial_from_json, partial_json, point_from_json
from ballots.errors import (
    DecryptionRejected,
    NotEnoughDecryptions,
    PostalMismatch,
    PostalNeedsTrustee,
    PostalResultInvalid,
    PostalSignatureInvalid,
    SameCommissionMember,
    WrongState,
)
from ballots.models import (
    Checkpoint,
    Election,
    ElectionStatus,
    IssuerKey,
    PostalResult,
    RollEntry,
    TallyShare,
    Trustee,
)
from ballots.record import (
    POSTAL_LINE_LABEL,
    StatementInput,
    commission_member_tag,
    postal_line_payload,
    statement_document,
    statement_hash,
)
from ballots.services._ceremony import signing_keys_of, trustee_of
from ballots.services._common import (
    get_election,
    lock_election,
    manifest_of,
    now_or,
    record_election_event,
    require_role,
    require_status,
    threshold_parameters,
)
from crypto.canonical import JsonValue
from crypto.elgamal import Ciphertext
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.signing import Ed25519PublicKey, verify
from crypto.threshold import (
    PartialDecryption,
    ThresholdParameters,
    decrypt,
    verify_partial_decryption,
)


@dataclass(frozen=True, slots=True)
class DecryptionTask:
    """What a trustee decrypts: the aggregate, per question and option.

    ``params.context`` is ``H(statement)`` (v3) or the manifest hash (older elections);
    ``statement`` is the outcome statement the proofs bind (None before v3).
    """

    params: ThresholdParameters
    trustee: int
    aggregate: tuple[tuple[Ciphertext, ...], ...]
    statement: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StatementEvidence:
    """The public data a trustee recomputes the outcome statement from (record v3 §7)."""

    manifest: dict[str, Any]
    issuer_spki: str
    board_public_key: str
    dealings: tuple[dict[str, Any], ...]
    """Per trustee 1..n: ``{"index", "commitments", "proof"[, "signing_key"]}`` as in
    keys.json."""
    roll_entries: tuple[str, ...]
    eligible: int
    postal: int
    roll_commitment: str
    issued_entries: tuple[str, ...]
    final_checkpoint: str
    """The signed note of the board's last checkpoint."""
    statement: dict[str, Any]


def _issued_entries(session: Session, election: Election) -> list[str]:
    """The roll entries that got a credential, in byte order (as issuance.json lists them)."""
    return sorted(
        session.scalars(
            select(RollEntry.entry).where(
                RollEntry.election_id == election.id,
                RollEntry.credential_issued_on.is_not(None),
            )
        )
    )


def _online_roll(session: Session, election: Election) -> list[str]:
    return sorted(
        session.scalars(
            select(RollEntry.entry).where(
                RollEntry.election_id == election.id, RollEntry.postal.is_(False)
            )
        )
    )


def _final_checkpoint(session: Session, election: Election) -> Checkpoint:
    checkpoint = session.scalar(
        select(Checkpoint)
        .where(Checkpoint.election_id == election.id)
        .order_by(Checkpoint.tree_size.desc())
        .limit(1)
    )
    if checkpoint is None or checkpoint.tree_size != election.board_size:
        raise WrongState(election.status.value, N_("The board has no final checkpoint yet."))
    return checkpoint


def _confirmations(
    election: Election, row: PostalResult | None
) -> tuple[tuple[str, str], ...] | tuple[tuple[str, int, str], ...]:
    if row is None or row.confirmed_by_id is None:
        return ()
    if row.entered_signature is not None:  # §7.3: signed by two trustees
        assert row.entered_by_trustee is not None
        assert row.confirmed_by_trustee is not None
        assert row.confirmed_signature is not None
        return (
            ("entered", row.entered_by_trustee, row.entered_signature),
            ("confirmed", row.confirmed_by_trustee, row.confirmed_signature),
        )
    election_id = str(election.id)
    return (
        ("entered", commission_member_tag(election_id, str(row.entered_by_id))),
        ("confirmed", commission_member_tag(election_id, str(row.confirmed_by_id))),
    )


def freeze_statement(session: Session, election: Election) -> dict[str, Any] | None:
    """Fix the outcome statement once everything it binds is final (caller commits).

    Returns None for an election made before record v3 (no fingerprint).

    Raises:
        WrongState: not closed yet, or postal voters whose line is not confirmed.
    """
    if election.fingerprint is None:
        return None
    if election.outcome_statement is not None:
        return election.outcome_statement
    require_status(election, ElectionStatus.CLOSED)
    row = _postal(session, election)
    line = _confirmed_postal(session, election)
    issued = _issued_entries(session, election)
    checkpoint = _final_checkpoint(session, election)
    document = statement_document(
        StatementInput(
            fingerprint_hex=election.fingerprint,
            roll_commitment_hex=election.roll_commitment or "",
            eligible=election.eligible_count or 0,
            postal=election.postal_count or 0,
            issuance_root_hex=root_from_leaf_hashes(
                leaf_hash(bytes.fromhex(e)) for e in issued
            ).hex(),
            issued=len(issued),
            board_size=checkpoint.tree_size,
            board_root_hex=checkpoint.root,
            envelopes=line.envelopes,
            postal_questions=tuple(zip(line.counts, line.invalid, strict=True)),
            confirmations=_confirmations(election, row),
            # Bound since signed postal lines: the key every ballot was encrypted to.
            joint_public_key_hex=election.joint_public_key if signing_keys_of(election) else None,
        )
    )
    election.outcome_statement = dict(document)
    record_election_event(
        session, "tally:statement_fixed", election.id, statement_hash=statement_hash(document).hex()
    )
    return election.outcome_statement


def decryption_parameters(election: Election) -> ThresholdParameters:
    """t of n for the partial decryptions: bound to ``H(statement)`` (v3) or the manifest."""
    if election.fingerprint is None:
        return threshold_parameters(election)
    if election.outcome_statement is None:
        raise WrongState(
            election.status.value,
            N_("The postal result must be entered and confirmed before the trustees decrypt."),
        )
    context = statement_hash(cast("JsonValue", election.outcome_statement))
    return ThresholdParameters(election.threshold, election.trustee_count, context)


def statement_evidence(
    session: Session, election_id: uuid.UUID, actor: Account
) -> StatementEvidence:
    """Everything trustee ``actor`` needs to recompute and check the statement."""
    task = decryption_task(session, election_id, actor)
    election = get_election(session, election_id)
    issuer = session.get(IssuerKey, election.id)
    if task.statement is None or issuer is None:
        raise WrongState(election.status.value)
    checkpoint = _final_checkpoint(session, election)
    return StatementEvidence(
        manifest=dict(election.manifest),
        issuer_spki=issuer.public_key_spki,
        board_public_key=election.board_public_key,
        dealings=tuple(
            {"index": t.index, "commitments": t.commitments, "proof": t.proof}
            | ({"signing_key": t.signing_public_key} if t.signing_public_key else {})
            for t in sorted(election.trustees, key=lambda t: t.index)
        ),
        roll_entries=tuple(_online_roll(session, election)),
        eligible=election.eligible_count or 0,
        postal=election.postal_count or 0,
        roll_commitment=election.roll_commitment or "",
        issued_entries=tuple(_issued_entries(session, election)),
        final_checkpoint=checkpoint.note,
        statement=task.statement,
    )


def _aggregate(election: Election) -> tuple[tuple[Ciphertext, ...], ...]:
    assert election.aggregate is not None
    return tuple(
        tuple(ciphertext_from_json(c, allow_identity=True) for c in row)
        for row in election.aggregate
    )


def decryption_task(session: Session, election_id: uuid.UUID, actor: Account) -> DecryptionTask:
    """The aggregate for trustee ``actor``; refused before the election is closed.

    For a v3 election also refused until the postal line is confirmed (or there are no
    postal voters): the first call fixes the outcome statement the proofs bind.
    """
    election = get_election(session, election_id)
    trustee = trustee_of(session, election, actor)
    require_status(election, ElectionStatus.CLOSED)
    if election.fingerprint is not None and election.outcome_statement is None:
        election = lock_election(session, election_id)
        require_status(election, ElectionStatus.CLOSED)
        freeze_statement(session, election)
        session.commit()
    return DecryptionTask(
        decryption_parameters(election),
        trustee.index,
        _aggregate(election),
        election.outcome_statement,
    )


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
    record_election_event(
        session, "tally:partial_decryption", election.id, actor, trustee=trustee.index
    )
    session.commit()
    return row


def _check_partials(
    election: Election, trustee: Trustee, partials: Sequence[Sequence[PartialDecryption]]
) -> None:
    aggregate = _aggregate(election)
    params = decryption_parameters(election)
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
    signature: bytes | None = None,
    now: datetime | None = None,
) -> PostalResult:
    """A trustee enters the counted postal votes, signed (to be confirmed by another).

    With signing keys (record §7.3) the actor must hold a trustee seat and ``signature``
    must be their signature of the line (step ``entered``); in elections keyed before,
    any commission member enters it unsigned.
    """
    election = lock_election(session, election_id)
    require_role(session, actor, Role.COMMISSION, election)
    require_status(election, ElectionStatus.CLOSED)
    if election.outcome_statement is not None:
        raise WrongState(
            election.status.value,
            N_("The trustees have already bound the result; the postal line is fixed."),
        )
    existing = _postal(session, election)
    if existing is not None:
        raise WrongState(election.status.value, N_("The postal result was already entered."))
    _check_postal(election, line)
    signer = _postal_signer(election, actor, line, "entered", signature)
    row = PostalResult(
        election_id=election.id,
        counts=[list(c) for c in line.counts],
        invalid=list(line.invalid),
        envelopes=line.envelopes,
        entered_by_id=actor.id,
        entered_at=now_or(now),
        entered_by_trustee=None if signer is None else signer[0],
        entered_signature=None if signer is None else signer[1],
    )
    session.add(row)
    record_election_event(
        session, "tally:postal_entered", election.id, actor, envelopes=line.envelopes
    )
    session.commit()
    return row


def postal_signing_payload(election: Election, line: tally.PostalLine, step: str) -> bytes:
    """What a trustee signs (label ``stimmwerk/postal-line/v3``) to enter or confirm."""
    assert election.fingerprint is not None
    questions = tuple(zip(line.counts, line.invalid, strict=True))
    return postal_line_payload(election.fingerprint, step, line.envelopes, questions)


def _postal_signer(
    election: Election,
    actor: Account,
    line: tally.PostalLine,
    step: str,
    signature: bytes | None,
) -> tuple[int, str] | None:
    """(trustee index, signature hex) of a correctly signed line; None for an election
    keyed before signing keys. Refused: no trustee seat, or no valid signature."""
    keys = signing_keys_of(election)
    if not keys:
        return None
    seat = next((t for t in election.trustees if t.account_id == actor.id), None)
    if seat is None or seat.index not in keys:
        raise PostalNeedsTrustee
    payload = postal_signing_payload(election, line, step)
    if signature is None or not verify(
        Ed25519PublicKey(keys[seat.index]), POSTAL_LINE_LABEL, payload, signature
    ):
        raise PostalSignatureInvalid
    return seat.index, signature.hex()


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
    signature: bytes | None = None,
    now: datetime | None = None,
) -> PostalResult:
    """A second commission member re-enters the figures; equal figures confirm them.

    With signing keys (record §7.3) the second member is a different trustee who signs
    the figures (step ``confirmed``). Different figures discard the entry (both must
    count again).
    """
    election = lock_election(session, election_id)
    require_role(session, actor, Role.COMMISSION, election)
    require_status(election, ElectionStatus.CLOSED)
    row = _postal(session, election)
    if row is None or row.is_confirmed:
        raise WrongState(election.status.value, N_("There is no postal result to confirm."))
    if row.entered_by_id == actor.id:
        raise SameCommissionMember
    signer = _postal_signer(election, actor, line, "confirmed", signature)
    entered = tally.PostalLine(
        tuple(tuple(c) for c in row.counts), tuple(row.invalid), row.envelopes
    )
    if entered != line:
        session.execute(delete(PostalResult).where(PostalResult.id == row.id))
        record_election_event(session, "tally:postal_mismatch", election.id, actor)
        session.commit()
        raise PostalMismatch
    row.confirmed_by_id = actor.id
    row.confirmed_at = now_or(now)
    if signer is not None:
        row.confirmed_by_trustee, row.confirmed_signature = signer
    record_election_event(session, "tally:postal_confirmed", election.id, actor)
    session.flush()
    freeze_statement(session, election)
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
    partials = _partials(session, election)
    if len(partials) < election.threshold:
        raise NotEnoughDecryptions(threshold=election.threshold)
    params = decryption_parameters(election)
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
            statement=election.outcome_statement,
        )
    )
    election.status = ElectionStatus.TALLIED
    election.tallied_at = now_or(now)
    record_election_event(
        session, "election:tallied", election.id, actor, binding=election.tally["binding"]
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
