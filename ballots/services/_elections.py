"""Creating, changing (before the key ceremony), opening and closing an election."""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.i18n import N_
from app.core.secrets_box import encrypt_field
from app.core.settings import Settings
from app.organisations.models import Unit
from ballots import board, tally
from ballots.ballot_size import MAX_BALLOT_BYTES, ballot_bytes
from ballots.codec import trusted_ciphertext
from ballots.errors import ManifestInvalid, NotAllowed, TooEarly, VotingClosed, WrongState
from ballots.manifest import (
    ElectionDraft,
    Manifest,
    ManifestError,
    build_manifest,
    format_time,
)
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus, IssuerKey, Trustee
from ballots.services._common import (
    BOARD_KEY_PURPOSE,
    ISSUER_KEY_PURPOSE,
    board_note_signer,
    compute_fingerprint,
    election_unit,
    has_role,
    lock_election,
    manifest_of,
    now_or,
    record_election_event,
    require_role,
    require_status,
)
from ballots.services._credentials import blur_issuance_order, issued_count
from crypto.blind_rsa import BlindRsaPrivateKey
from crypto.merkle import EMPTY_ROOT
from crypto.signing import Ed25519SecretKey


def create_election(
    session: Session,
    settings: Settings,
    actor: Account,
    draft: ElectionDraft,
    trustee_account_ids: Sequence[uuid.UUID],
    *,
    now: datetime | None = None,
    issuer_key: BlindRsaPrivateKey | None = None,
    commit: bool = True,
) -> Election:
    """Create an election of ``draft.unit_code`` run by staff ``actor``.

    The trustees (in index order 1..n) must hold the commission role on the unit or
    above it. A fresh 3072-bit issuer key and a board key are made here and stored
    encrypted; ``issuer_key`` lets tests reuse one. ``commit=False`` leaves the
    transaction open (flushed) for a caller that adds its own rows and commits all of
    them together.

    Raises:
        ManifestInvalid: the definition breaks a rule (message per field).
        NotAllowed: ``actor`` is not staff of the unit.
    """
    unit = session.scalar(select(Unit).where(Unit.code == draft.unit_code.strip()))
    if unit is None:
        raise ManifestInvalid({"unit": N_("There is no unit with this code.")})
    _require_staff(session, actor, unit)
    election_id = uuid.uuid4()
    manifest = _checked_manifest(
        session, unit, draft, trustee_account_ids, election_id=election_id, now=now
    )
    election = _new_election(settings, election_id, unit=unit, actor=actor)
    _set_definition(election, manifest, draft)
    issuer = _issuer_row(settings, election_id, issuer_key or BlindRsaPrivateKey.generate())
    election.fingerprint = compute_fingerprint(election, issuer.public_key_spki)
    session.add(election)
    session.flush()
    session.add(issuer)
    _add_trustees(session, election_id, trustee_account_ids)
    record_election_event(
        session,
        "election:created",
        election_id,
        actor,
        manifest_hash=manifest.hash_hex,
        fingerprint=election.fingerprint,
        trustees=draft.trustees,
        threshold=draft.threshold,
    )
    if commit:
        session.commit()
    else:
        session.flush()
    return election


def update_election(  # noqa: PLR0917 - the order of create_election, plus the id
    session: Session,
    settings: Settings,
    actor: Account,
    election_id: uuid.UUID,
    draft: ElectionDraft,
    trustee_account_ids: Sequence[uuid.UUID],
    *,
    now: datetime | None = None,
) -> Election:
    """Replace the definition of an election that nothing is bound to yet.

    Allowed only in the first state: status ``draft`` and no trustee has registered a
    sealing key (so no dealing, share or ballot exists, and the roll is not frozen).
    The rules are those of `create_election`; the unit stays. The manifest is rebuilt
    for the same election id (a new manifest hash); the trustee seats are replaced;
    the issuer key and the board key stay.

    Raises:
        ManifestInvalid: the definition breaks a rule (message per field).
        NotAllowed: ``actor`` is not staff of the election's unit.
        WrongState: a trustee has registered a key, or the election is further on.
    """
    del settings  # the keys stay: nothing to make or to decrypt
    election = lock_election(session, election_id)
    unit = election_unit(session, election)
    _require_staff(session, actor, unit)
    _require_changeable(session, election)
    if draft.unit_code.strip() != unit.code:
        raise ManifestInvalid({"unit": N_("The unit of an election cannot change.")})
    manifest = _checked_manifest(
        session, unit, draft, trustee_account_ids, election_id=election.id, now=now
    )
    previous = election.manifest_hash
    _set_definition(election, manifest, draft)
    issuer = session.get(IssuerKey, election.id)
    if issuer is not None and election.fingerprint is not None:
        election.fingerprint = compute_fingerprint(election, issuer.public_key_spki)
    _replace_trustees(session, election, trustee_account_ids)
    record_election_event(
        session,
        "election:updated",
        election.id,
        actor,
        manifest_hash=manifest.hash_hex,
        previous_manifest_hash=previous,
        trustees=draft.trustees,
        threshold=draft.threshold,
    )
    session.commit()
    return election


def _require_staff(session: Session, actor: Account, unit: Unit) -> None:
    if not has_role(session, actor, Role.STAFF, unit):
        raise NotAllowed


def _require_changeable(session: Session, election: Election) -> None:
    """The first state: a draft whose trustees have not registered any key yet."""
    registered = session.scalar(
        select(func.count())
        .select_from(Trustee)
        .where(Trustee.election_id == election.id, Trustee.sealing_public_key.is_not(None))
    )
    if election.status != ElectionStatus.DRAFT or registered:
        raise WrongState(
            election.status.value,
            N_("This election can no longer be changed: its trustees have begun the key ceremony."),
        )


def _checked_manifest(
    session: Session,
    unit: Unit,
    draft: ElectionDraft,
    trustee_account_ids: Sequence[uuid.UUID],
    *,
    election_id: uuid.UUID,
    now: datetime | None,
) -> Manifest:
    """The manifest of ``draft`` for election ``election_id`` of ``unit``, if every
    rule of a definition holds (trustees, closing in the future, the manifest's own)."""
    _check_trustees(session, unit, draft, trustee_account_ids)
    if ballot_bytes(draft) > MAX_BALLOT_BYTES:
        raise ManifestInvalid(
            {"questions": N_("The ballot would be too big to cast online: fewer options.")}
        )
    if draft.closes_at <= now_or(now):
        raise ManifestInvalid({"window": N_("The election must close in the future.")})
    try:
        return build_manifest(
            dataclasses.replace(draft, unit_code=unit.code, unit_name=unit.name), str(election_id)
        )
    except ManifestError as error:
        raise ManifestInvalid(error.errors) from error


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


def _add_trustees(
    session: Session, election_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
) -> None:
    for index, account_id in enumerate(account_ids, start=1):
        session.add(Trustee(election_id=election_id, index=index, account_id=account_id))


def _replace_trustees(
    session: Session, election: Election, account_ids: Sequence[uuid.UUID]
) -> None:
    """New seats 1..n; only before any key is registered (a seat holds no key material)."""
    seats = session.scalars(select(Trustee).where(Trustee.election_id == election.id)).all()
    for seat in seats:
        session.delete(seat)
    session.flush()
    _add_trustees(session, election.id, account_ids)
    session.flush()
    session.expire(election, ["trustees"])


def _set_definition(election: Election, manifest: Manifest, draft: ElectionDraft) -> None:
    """The columns that mirror the manifest."""
    election.title = draft.title.strip()
    election.manifest = dict(manifest.raw)
    election.manifest_hash = manifest.hash_hex
    election.cutoff_at = draft.cutoff_at
    election.opens_at = draft.opens_at
    election.closes_at = draft.closes_at
    election.trustee_count = draft.trustees
    election.threshold = draft.threshold
    election.quorum_percent = draft.quorum_percent


def _new_election(
    settings: Settings, election_id: uuid.UUID, *, unit: Unit, actor: Account
) -> Election:
    """A draft election with fresh board keys; `_set_definition` fills in the rest."""
    board_seed = secrets.token_bytes(32)
    return Election(
        id=election_id,
        unit_id=unit.id,
        status=ElectionStatus.DRAFT,
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
    record_election_event(session, "election:opened", election.id, actor)
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
    blur_issuance_order(session, election.id)
    record_election_event(
        session,
        "election:closed",
        election.id,
        actor,
        early=early,
        ballots=election.board_size,
        credentials_issued=issued_count(session, election.id),  # no per-member events
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
