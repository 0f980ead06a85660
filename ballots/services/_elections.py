"""Creating, opening and closing an election."""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import record_event
from app.core.i18n import N_
from app.core.secrets_box import encrypt_field
from app.core.settings import Settings
from app.organisations.models import Unit
from ballots import board, tally
from ballots.codec import trusted_ciphertext
from ballots.errors import ManifestInvalid, NotAllowed, TooEarly, VotingClosed
from ballots.manifest import ElectionDraft, ManifestError, build_manifest, format_time
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus, IssuerKey, Trustee
from ballots.services._common import (
    BOARD_KEY_PURPOSE,
    ISSUER_KEY_PURPOSE,
    board_note_signer,
    has_role,
    lock_election,
    manifest_of,
    now_or,
    require_role,
    require_status,
)
from crypto.blind_rsa import BlindRsaPrivateKey
from crypto.merkle import EMPTY_ROOT
from crypto.signing import Ed25519SecretKey

_ELECTION = "election"


def create_election(
    session: Session,
    settings: Settings,
    actor: Account,
    draft: ElectionDraft,
    trustee_account_ids: Sequence[uuid.UUID],
    *,
    now: datetime | None = None,
    issuer_key: BlindRsaPrivateKey | None = None,
) -> Election:
    """Create an election of ``draft.unit_code`` run by staff ``actor``.

    The trustees (in index order 1..n) must hold the commission role on the unit or
    above it. A fresh 3072-bit issuer key and a board key are made here and stored
    encrypted; ``issuer_key`` lets tests reuse one.

    Raises:
        ManifestInvalid: the definition breaks a rule (message per field).
        NotAllowed: ``actor`` is not staff of the unit.
    """
    unit = session.scalar(select(Unit).where(Unit.code == draft.unit_code.strip()))
    if unit is None:
        raise ManifestInvalid({"unit": N_("There is no unit with this code.")})
    if not has_role(session, actor, Role.STAFF, unit):
        raise NotAllowed
    _check_trustees(session, unit, draft, trustee_account_ids)
    if draft.closes_at <= now_or(now):
        raise ManifestInvalid({"window": N_("The election must close in the future.")})
    election_id = uuid.uuid4()
    try:
        manifest = build_manifest(
            dataclasses.replace(draft, unit_code=unit.code, unit_name=unit.name), str(election_id)
        )
    except ManifestError as error:
        raise ManifestInvalid(error.errors) from error
    election = _new_election(
        settings, election_id, unit=unit, actor=actor, manifest=manifest.raw, draft=draft
    )
    election.manifest_hash = manifest.hash_hex
    session.add(election)
    session.flush()
    session.add(_issuer_row(settings, election_id, issuer_key or BlindRsaPrivateKey.generate()))
    for index, account_id in enumerate(trustee_account_ids, start=1):
        session.add(Trustee(election_id=election_id, index=index, account_id=account_id))
    record_event(
        session,
        "election:created",
        actor_id=actor.id,
        object_type=_ELECTION,
        object_id=election_id,
        manifest_hash=manifest.hash_hex,
        trustees=draft.trustees,
        threshold=draft.threshold,
    )
    session.commit()
    return election


def _check_trustees(
    session: Session, unit: Unit, draft: ElectionDraft, account_ids: Sequence[uuid.UUID]
) -> None:
    if len(account_ids) != draft.trustees or len(set(account_ids)) != len(account_ids):
        raise ManifestInvalid({"trustees": N_("Name as many different trustees as there are.")})
    for account_id in account_ids:
        account = session.get(Account, account_id)
        if account is None or not has_role(session, account, Role.COMMISSION, unit):
            raise ManifestInvalid(
                {"trustees": N_("Every trustee must be on the election commission of the unit.")}
            )


def _new_election(
    settings: Settings,
    election_id: uuid.UUID,
    *,
    unit: Unit,
    actor: Account,
    manifest: object,
    draft: ElectionDraft,
) -> Election:
    board_seed = secrets.token_bytes(32)
    return Election(
        id=election_id,
        unit_id=unit.id,
        title=draft.title.strip(),
        status=ElectionStatus.DRAFT,
        manifest=manifest,
        cutoff_at=draft.cutoff_at,
        opens_at=draft.opens_at,
        closes_at=draft.closes_at,
        trustee_count=draft.trustees,
        threshold=draft.threshold,
        quorum_percent=draft.quorum_percent,
        created_by_id=actor.id,
        board_key_encrypted=encrypt_field(
            settings.security.secret_key, BOARD_KEY_PURPOSE, board_seed.hex()
        ),
        board_public_key=Ed25519SecretKey(board_seed).public_key.hex(),
        board_size=0,
        board_frontier=b"",
    )


def _issuer_row(settings: Settings, election_id: uuid.UUID, key: BlindRsaPrivateKey) -> IssuerKey:
    pem = key.to_pem().decode()
    return IssuerKey(
        election_id=election_id,
        public_key_spki=key.public_key.to_der().hex(),
        key_id=key.public_key.key_id().hex(),
        private_key_encrypted=encrypt_field(settings.security.secret_key, ISSUER_KEY_PURPOSE, pem),
    )


def _require_runner(session: Session, actor: Account | None, election: Election) -> None:
    """Staff or commission of the unit; ``None`` is the operator (CLI, scheduled task)."""
    if actor is None:
        return
    try:
        require_role(session, actor, Role.STAFF, election)
    except NotAllowed:
        require_role(session, actor, Role.COMMISSION, election)


def open_election(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    actor: Account | None,
    *,
    now: datetime | None = None,
) -> Election:
    """Open the ballot box at or after ``opens_at``: sign the empty board's checkpoint."""
    moment = now_or(now)
    election = lock_election(session, election_id)
    _require_runner(session, actor, election)
    require_status(election, ElectionStatus.ROLL_FROZEN)
    if moment < election.opens_at:
        raise TooEarly(when=format_time(election.opens_at))
    if moment >= election.closes_at:
        raise VotingClosed
    manifest = manifest_of(election)
    signer = board_note_signer(
        settings.security.secret_key, election.board_key_encrypted, manifest.board_origin
    )
    note = board.sign_empty(signer)
    session.add(Checkpoint(election_id=election.id, tree_size=0, root=_empty_root(), note=note))
    election.status = ElectionStatus.OPEN
    election.opened_at = moment
    record_event(
        session,
        "election:opened",
        actor_id=actor.id if actor else None,
        object_type=_ELECTION,
        object_id=election.id,
    )
    session.commit()
    return election


def _empty_root() -> str:
    return EMPTY_ROOT.hex()


def close_election(
    session: Session,
    election_id: uuid.UUID,
    actor: Account | None,
    *,
    now: datetime | None = None,
) -> Election:
    """Close the ballot box and compute the aggregate the trustees will decrypt.

    Anyone (the scheduler, staff) may close once ``closes_at`` has passed; before that
    only a member of the election commission may (an emergency stop, logged).
    """
    moment = now_or(now)
    election = lock_election(session, election_id)
    require_status(election, ElectionStatus.OPEN)
    early = moment < election.closes_at
    if early:
        if actor is None:
            raise TooEarly(when=format_time(election.closes_at))
        require_role(session, actor, Role.COMMISSION, election)
    elif actor is not None:
        _require_runner(session, actor, election)
    election.status = ElectionStatus.CLOSED
    election.closed_at = moment
    election.aggregate = _aggregate(session, election)
    record_event(
        session,
        "election:closed",
        actor_id=actor.id if actor else None,
        object_type=_ELECTION,
        object_id=election.id,
        early=early,
        ballots=election.board_size,
    )
    session.commit()
    return election


def _aggregate(session: Session, election: Election) -> list[Any]:
    """The product of every board ballot's ciphertexts, per question and option."""
    manifest = manifest_of(election)
    running = tally.empty_aggregate(manifest)
    lines = session.scalars(
        select(CastBallot.line)
        .where(CastBallot.election_id == election.id)
        .order_by(CastBallot.leaf_index)
        .execution_options(yield_per=2000)
    )
    for line in lines:
        answers = json.loads(line)["answers"]
        tally.add_ballot(
            running, [[trusted_ciphertext(c) for c in a["ciphertexts"]] for a in answers]
        )
    return tally.aggregate_json(running)
