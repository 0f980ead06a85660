"""The trustees' key ceremony (joint-Feldman DKG, t of n), server side.

The server is only the post office and the referee: it stores each trustee's X25519
sealing key and Ed25519 signing key (record §2.1: the key that signs the postal line;
every dealer's proof is bound to all of them through the ceremony context, and each
trustee's tool checks its own key is listed before dealing), each dealer's public
commitments and proof (checked on arrival), and the
shares sealed to their recipients, which it cannot open. Each trustee opens and checks
their shares on their own machine (``ballots.commands`` with the key file) and either
confirms or complains with evidence that the server checks (`verify_complaint`).

Policy on complaints: an upheld complaint disqualifies the dealer, and because the
record format lists all n trustees as qualified, the ceremony restarts from fresh
dealings (round + 1; sealing keys stay). A complaint whose evidence proves nothing is
stored and refused; the commission then asks the dealer to reveal the share.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nacl.public import PublicKey as SealingPublicKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.i18n import N_
from ballots.codec import (
    commitments_from_json,
    point_json,
    scalar_json,
)
from ballots.errors import CeremonyFailed, ComplaintNotProven, NotAllowed
from ballots.models import Election, ElectionStatus, KeyShare, Trustee
from ballots.models import ShareComplaint as ComplaintRow
from ballots.record import ceremony_context
from ballots.services._common import (
    get_election,
    lock_election,
    now_or,
    record_election_event,
    require_role,
    require_status,
    threshold_parameters,
)
from crypto.signing import is_strict_public_key
from crypto.threshold import (
    DealerCommitments,
    EncryptedShare,
    ShareComplaint,
    ThresholdParameters,
    joint_public_key,
    verification_key,
    verify_commitments,
    verify_complaint,
)

_SEALING_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class CeremonyState:
    """The public state of the ceremony, as a trustee's tool needs it."""

    election_id: uuid.UUID
    params: ThresholdParameters
    round: int
    sealing_keys: Mapping[int, bytes]
    commitments: Mapping[int, DealerCommitments]
    verified: frozenset[int]
    signing_keys: Mapping[int, bytes] = field(default_factory=dict)

    @property
    def all_registered(self) -> bool:
        return len(self.sealing_keys) == self.params.trustees

    @property
    def all_dealt(self) -> bool:
        return len(self.commitments) == self.params.trustees


@dataclass(frozen=True, slots=True)
class ReceivedShare:
    commitments: DealerCommitments
    encrypted: EncryptedShare


@dataclass(frozen=True, slots=True)
class ShareCheckOutcome:
    keys_ready: bool
    restarted: bool


def ceremony_parameters(election: Election) -> ThresholdParameters:
    """t of n with the ceremony context (record §0.3, §2.1).

    With signing keys (every trustee registers one, v3): ``DH("stimmwerk/ceremony-context
    /v3", {fingerprint, signing_keys})`` over all n keys in index order; elections keyed
    before signing keys keep the fingerprint (or, before v3, the manifest hash).
    """
    base = threshold_parameters(election)
    keys = signing_keys_of(election)
    if not keys or election.fingerprint is None:
        return base
    listed = [keys[i].hex() for i in sorted(keys)]
    if len(listed) != base.trustees:
        return base  # still registering: nothing is bound to the context yet
    context = ceremony_context(election.fingerprint, listed)
    return ThresholdParameters(base.threshold, base.trustees, context)


def signing_keys_of(election: Election) -> dict[int, bytes]:
    """Trustee index → registered Ed25519 signing key (empty for elections keyed before)."""
    return {
        t.index: bytes.fromhex(t.signing_public_key)
        for t in election.trustees
        if t.signing_public_key
    }


def ceremony_state(session: Session, election_id: uuid.UUID) -> CeremonyState:
    election = get_election(session, election_id)
    params = ceremony_parameters(election)
    trustees = list(election.trustees)
    return CeremonyState(
        election_id=election.id,
        params=params,
        round=election.ceremony_round,
        sealing_keys={
            t.index: bytes.fromhex(t.sealing_public_key) for t in trustees if t.sealing_public_key
        },
        commitments={t.index: _commitments(t, params) for t in trustees if t.commitments},
        verified=frozenset(t.index for t in trustees if t.shares_verified_at),
        signing_keys=signing_keys_of(election),
    )


def _commitments(trustee: Trustee, params: ThresholdParameters) -> DealerCommitments:
    raw = {"index": trustee.index, "commitments": trustee.commitments, "proof": trustee.proof}
    return commitments_from_json(raw, params.threshold)


def trustee_of(session: Session, election: Election, actor: Account) -> Trustee:
    """The actor's trustee seat; they must still be on the commission."""
    trustee = session.scalar(
        select(Trustee).where(Trustee.election_id == election.id, Trustee.account_id == actor.id)
    )
    if trustee is None:
        raise NotAllowed
    require_role(session, actor, Role.COMMISSION, election)
    return trustee


def register_sealing_key(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    public_key: bytes,
    signing_key: bytes | None = None,
) -> Trustee:
    """Record the X25519 key the other trustees will seal this trustee's shares to, and
    the Ed25519 key this trustee signs the postal line with (record §2.1).

    A v3 election (with a fingerprint) needs the signing key; it must be a valid Ed25519
    key no other trustee of the election registered.
    """
    election = lock_election(session, election_id)
    require_status(election, ElectionStatus.DRAFT)
    trustee = trustee_of(session, election, actor)
    if len(public_key) != _SEALING_KEY_BYTES:
        raise CeremonyFailed(reason=N_("a sealing key has 32 bytes"))
    if election.fingerprint is not None and signing_key is None:
        raise CeremonyFailed(reason=N_("a signing key is needed with the sealing key"))
    if signing_key is not None:
        _check_signing_key(election, trustee, signing_key)
    if any(t.dealt_at is not None for t in election.trustees):
        raise CeremonyFailed(reason=N_("dealing has begun; keys can no longer change"))
    trustee.sealing_public_key = public_key.hex()
    trustee.signing_public_key = None if signing_key is None else signing_key.hex()
    record_election_event(
        session, "ceremony:key_registered", election.id, actor, trustee=trustee.index
    )
    session.commit()
    return trustee


def _check_signing_key(election: Election, trustee: Trustee, key: bytes) -> None:
    if len(key) != _SEALING_KEY_BYTES or not is_strict_public_key(key):
        raise CeremonyFailed(reason=N_("a signing key is a valid 32-byte Ed25519 key"))
    if any(t.signing_public_key == key.hex() for t in election.trustees if t is not trustee):
        raise CeremonyFailed(reason=N_("another trustee registered this signing key"))


def submit_dealing(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    commitments: DealerCommitments,
    sealed: Mapping[int, bytes],
    *,
    now: datetime | None = None,
) -> Trustee:
    """Accept dealer i's commitments with proof and the n shares sealed to the trustees."""
    election = lock_election(session, election_id)
    require_status(election, ElectionStatus.DRAFT)
    trustee = trustee_of(session, election, actor)
    params = ceremony_parameters(election)
    if any(t.sealing_public_key is None for t in election.trustees):
        raise CeremonyFailed(reason=N_("not every trustee has registered a sealing key yet"))
    signing = signing_keys_of(election)
    if signing and len(signing) != params.trustees:
        raise CeremonyFailed(reason=N_("not every trustee has registered a signing key yet"))
    if trustee.dealt_at is not None:
        raise CeremonyFailed(reason=N_("this trustee has already dealt in this round"))
    if commitments.dealer != trustee.index or not verify_commitments(params, commitments):
        raise CeremonyFailed(reason=N_("the commitments or their proof do not verify"))
    if set(sealed) != set(range(1, params.trustees + 1)):
        raise CeremonyFailed(reason=N_("there must be one sealed share for every trustee"))
    for recipient, box in sorted(sealed.items()):
        session.add(
            KeyShare(election_id=election.id, dealer=trustee.index, recipient=recipient, sealed=box)
        )
    trustee.commitments = [point_json(p) for p in commitments.coefficients]
    trustee.proof = {
        "challenge": scalar_json(commitments.proof.challenge),
        "response": scalar_json(commitments.proof.response),
    }
    trustee.dealt_at = now_or(now)
    record_election_event(
        session,
        "ceremony:dealt",
        election.id,
        actor,
        trustee=trustee.index,
        round=election.ceremony_round,
    )
    session.commit()
    return trustee


def shares_for(session: Session, election_id: uuid.UUID, actor: Account) -> list[ReceivedShare]:
    """The sealed shares dealt to the actor, with each dealer's commitments."""
    election = get_election(session, election_id)
    require_status(election, ElectionStatus.DRAFT)
    trustee = trustee_of(session, election, actor)
    state = ceremony_state(session, election_id)
    if not state.all_dealt:
        raise CeremonyFailed(reason=N_("not every trustee has dealt yet"))
    rows = session.scalars(
        select(KeyShare)
        .where(KeyShare.election_id == election.id, KeyShare.recipient == trustee.index)
        .order_by(KeyShare.dealer)
    )
    return [
        ReceivedShare(
            state.commitments[row.dealer], EncryptedShare(row.dealer, row.recipient, row.sealed)
        )
        for row in rows
    ]


def submit_share_check(
    session: Session,
    election_id: uuid.UUID,
    actor: Account,
    complaints: Sequence[ShareComplaint],
    *,
    now: datetime | None = None,
) -> ShareCheckOutcome:
    """A trustee's verdict on the shares received: confirmed, or complaints with evidence.

    The last confirmation completes the ceremony: the joint key and every trustee's
    verification key are computed from the public commitments, and the election moves
    to ``keys``.

    Raises:
        ComplaintNotProven: a complaint's evidence does not show a bad share (it is kept).
    """
    election = lock_election(session, election_id)
    require_status(election, ElectionStatus.DRAFT)
    trustee = trustee_of(session, election, actor)
    state = ceremony_state(session, election_id)
    if not state.all_dealt:
        raise CeremonyFailed(reason=N_("not every trustee has dealt yet"))
    if complaints:
        return _judge_complaints(session, election, trustee, state, complaints)
    trustee.shares_verified_at = now_or(now)
    record_election_event(
        session, "ceremony:shares_verified", election.id, actor, trustee=trustee.index
    )
    ready = all(t.shares_verified_at is not None for t in election.trustees)
    if ready:
        _finish(session, election, state)
    session.commit()
    return ShareCheckOutcome(keys_ready=ready, restarted=False)


def _judge_complaints(
    session: Session,
    election: Election,
    trustee: Trustee,
    state: CeremonyState,
    complaints: Sequence[ShareComplaint],
) -> ShareCheckOutcome:
    recipient_key = SealingPublicKey(state.sealing_keys[trustee.index])
    upheld: list[int] = []
    for complaint in complaints:
        box = session.scalar(
            select(KeyShare).where(
                KeyShare.election_id == election.id,
                KeyShare.dealer == complaint.dealer,
                KeyShare.recipient == trustee.index,
            )
        )
        commitments = state.commitments.get(complaint.dealer)
        justified = (
            box is not None
            and commitments is not None
            and complaint.recipient == trustee.index
            and verify_complaint(
                state.params,
                complaint,
                EncryptedShare(box.dealer, box.recipient, box.sealed),
                recipient_key,
                commitments,
            )
        )
        session.add(
            ComplaintRow(
                election_id=election.id,
                ceremony_round=election.ceremony_round,
                dealer=complaint.dealer,
                recipient=trustee.index,
                box_key=None if complaint.box_key is None else complaint.box_key.hex(),
                upheld=justified,
            )
        )
        if justified:
            upheld.append(complaint.dealer)
    if not upheld:
        record_election_event(
            session, "ceremony:complaint_refused", election.id, trustee=trustee.index
        )
        session.commit()
        raise ComplaintNotProven
    _restart(session, election, upheld)
    session.commit()
    return ShareCheckOutcome(keys_ready=False, restarted=True)


def _restart(session: Session, election: Election, dealers: Sequence[int]) -> None:
    record_election_event(
        session,
        "ceremony:restarted",
        election.id,
        disqualified=sorted(dealers),
        round=election.ceremony_round,
    )
    session.execute(delete(KeyShare).where(KeyShare.election_id == election.id))
    for trustee in election.trustees:
        trustee.commitments = None
        trustee.proof = None
        trustee.dealt_at = None
        trustee.shares_verified_at = None
    election.ceremony_round += 1


def _finish(session: Session, election: Election, state: CeremonyState) -> None:
    qualified = [state.commitments[i] for i in sorted(state.commitments)]
    election.joint_public_key = point_json(joint_public_key(qualified))
    for trustee in election.trustees:
        trustee.verification_key = point_json(verification_key(qualified, trustee.index))
    election.status = ElectionStatus.KEYS
    # The sealed shares did their job; each trustee now keeps x_j in their key file.
    session.execute(delete(KeyShare).where(KeyShare.election_id == election.id))
    record_election_event(
        session, "election:keys_ready", election.id, joint_public_key=election.joint_public_key
    )
