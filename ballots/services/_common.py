"""Shared helpers of the ballot services: loading, locking, permissions, key caches."""

from __future__ import annotations

import functools
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.secrets_box import decrypt_field
from app.organisations import policies
from app.organisations.models import Unit
from ballots.ballot_check import ElectionKeys
from ballots.board import signer as board_signer
from ballots.errors import ElectionNotFound, NotAllowed, WrongState
from ballots.manifest import Manifest, read_manifest
from ballots.models import Election, ElectionStatus, IssuerKey
from ballots.record import election_fingerprint
from crypto.blind_rsa import BlindRsaPrivateKey, BlindRsaPublicKey, Variant
from crypto.checkpoints import NoteSigner
from crypto.elgamal import PublicKey
from crypto.group import Point
from crypto.threshold import ThresholdParameters

ISSUER_KEY_PURPOSE = "ballots/issuer-key"
BOARD_KEY_PURPOSE = "ballots/board-key"


def now_or(now: datetime | None) -> datetime:
    return utcnow() if now is None else now


def record_election_event(
    session: Session,
    action: str,
    election_id: uuid.UUID,
    /,
    actor: Account | None = None,
    **details: Any,
) -> None:
    """An audit event on the election (ids, counts and hashes; never who voted how), in
    the caller's transaction. No ``actor`` for what the scheduler or the ceremony does."""
    record_event(
        session,
        action,
        actor_id=actor.id if actor is not None else None,
        object_type="election",
        object_id=election_id,
        **details,
    )


def get_election(session: Session, election_id: uuid.UUID) -> Election:
    # populate_existing: sessions keep objects across commits (expire_on_commit=False),
    # and a stale status must never pass for the current one.
    election = session.get(Election, election_id, populate_existing=True)
    if election is None:
        raise ElectionNotFound
    return election


@dataclass(frozen=True, slots=True)
class ElectionState:
    """The columns the hot paths (issuing, casting) need, read without the ORM object.

    Issuing and casting run hundreds of times a second; loading the full row (with its
    JSON manifest) into an ORM object costs more than the rest of their SQL together.
    """

    id: uuid.UUID
    status: ElectionStatus
    opens_at: datetime
    closes_at: datetime
    manifest_hash: str
    joint_public_key: str | None
    board_key_encrypted: str
    board_public_key: str
    board_size: int
    board_frontier: bytes


_STATE_COLUMNS = (
    Election.id,
    Election.status,
    Election.opens_at,
    Election.closes_at,
    Election.manifest_hash,
    Election.joint_public_key,
    Election.board_key_encrypted,
    Election.board_public_key,
    Election.board_size,
    Election.board_frontier,
)


def election_state(session: Session, election_id: uuid.UUID) -> ElectionState:
    row = session.execute(select(*_STATE_COLUMNS).where(Election.id == election_id)).one_or_none()
    if row is None:
        raise ElectionNotFound
    return ElectionState(**row._asdict())


def locked_state(session: Session, election_id: uuid.UUID) -> ElectionState:
    """Take the election's row lock and read its hot-path columns in one round trip.

    The no-op UPDATE of `take_lock` with RETURNING: the values are those after every
    earlier writer of the row committed (PostgreSQL re-reads the row after waiting;
    SQLite holds the database write lock). The board append runs under this lock, so
    each round trip saved shortens the time every other cast waits.
    """
    row = session.execute(
        update(Election)
        .where(Election.id == election_id)
        .values(board_size=Election.board_size)
        .returning(*_STATE_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        raise ElectionNotFound
    return ElectionState(**row._asdict())


def take_lock(session: Session, election_id: uuid.UUID) -> None:
    """Take the election's row lock for the rest of the transaction (see `lock_election`)."""
    session.execute(
        update(Election)
        .where(Election.id == election_id)
        .values(board_size=Election.board_size)
        .execution_options(synchronize_session=False)
    )


def lock_election(session: Session, election_id: uuid.UUID) -> Election:
    """Take the election's row lock for the rest of the transaction, then reload it.

    A no-op UPDATE is the one statement that locks a row on both backends: on
    PostgreSQL it waits for concurrent writers of the row, on SQLite it takes the
    database's write lock (waiting up to ``busy_timeout``). Everything read after it
    is current, so casting, closing and issuing see each other's committed changes.
    """
    take_lock(session, election_id)
    election = session.scalar(
        select(Election).where(Election.id == election_id).execution_options(populate_existing=True)
    )
    if election is None:
        raise ElectionNotFound
    return election


def require_status(election: Election, *allowed: ElectionStatus) -> None:
    if election.status not in allowed:
        raise WrongState(election.status.value)


def election_unit(session: Session, election: Election) -> Unit:
    unit = session.get(Unit, election.unit_id)
    assert unit is not None  # a foreign key
    return unit


def has_role(session: Session, account: Account, role: Role, unit: Unit) -> bool:
    if account.is_disabled:
        return False
    return policies.covers(policies.scope_paths(session, account.id, {role}), unit)


def require_role(session: Session, actor: Account, role: Role, election: Election) -> None:
    if not has_role(session, actor, role, election_unit(session, election)):
        raise NotAllowed


def manifest_of(election: Election) -> Manifest:
    return _manifest(election.id, election.manifest_hash, election)


_manifest_cache: dict[tuple[uuid.UUID, str], Manifest] = {}
_cache_lock = threading.Lock()


def _manifest(election_id: uuid.UUID, manifest_hash: str, election: Election) -> Manifest:
    key = (election_id, manifest_hash)
    cached = _manifest_cache.get(key)
    if cached is None:
        cached = read_manifest(election.manifest)
        if cached.hash_hex != manifest_hash:  # the stored manifest was altered
            raise WrongState(election.status.value)
        with _cache_lock:
            _manifest_cache[key] = cached
    return cached


def threshold_parameters(election: Election) -> ThresholdParameters:
    """t of n for the key ceremony (record format §0, "the threshold contexts").

    Bound to the election fingerprint (v3: manifest hash, issuer key, board key), or to
    the manifest hash for an election made before record version 3.
    """
    context = election.fingerprint or election.manifest_hash
    return ThresholdParameters(election.threshold, election.trustee_count, bytes.fromhex(context))


def compute_fingerprint(election: Election, issuer_spki_hex: str) -> str:
    """Record v3 §2: the election fingerprint, fixed when the election is defined."""
    return election_fingerprint(
        election.manifest_hash,
        Variant.PSS_RANDOMIZED.value,
        issuer_spki_hex,
        election.board_public_key,
    ).hex()


def issuer_public_key(issuer: IssuerKey) -> BlindRsaPublicKey:
    return _issuer_public(issuer.public_key_spki)


@functools.lru_cache(maxsize=64)
def _issuer_public(spki_hex: str) -> BlindRsaPublicKey:
    return BlindRsaPublicKey.from_der(bytes.fromhex(spki_hex))


@functools.lru_cache(maxsize=16)
def issuer_private_key(secret_key: str, encrypted: str) -> BlindRsaPrivateKey:
    """Decrypt and load the issuer key once per process (loading costs ~0.2 s)."""
    pem = decrypt_field(secret_key, ISSUER_KEY_PURPOSE, encrypted)
    return BlindRsaPrivateKey.from_pem(pem.encode())


@functools.lru_cache(maxsize=64)
def board_note_signer(secret_key: str, encrypted: str, origin: str) -> NoteSigner:
    seed = bytes.fromhex(decrypt_field(secret_key, BOARD_KEY_PURPOSE, encrypted))
    return board_signer(origin, seed)


def election_keys(session: Session, election: Election | ElectionState) -> ElectionKeys:
    """What checking a ballot needs; cached per process once the joint key exists."""
    if election.joint_public_key is None:
        raise WrongState(election.status.value)
    key = (election.id, election.manifest_hash, election.joint_public_key)
    cached = _keys_cache.get(key)
    if cached is None:
        full = election if isinstance(election, Election) else get_election(session, election.id)
        issuer = session.get(IssuerKey, election.id)
        assert issuer is not None
        joint = PublicKey(Point.decode(bytes.fromhex(election.joint_public_key)))
        cached = ElectionKeys(manifest_of(full), joint, issuer_public_key(issuer))
        with _cache_lock:
            _keys_cache[key] = cached
    return cached


_keys_cache: dict[tuple[uuid.UUID, str, str], ElectionKeys] = {}


def issuer_signing_key(
    session: Session, secret_key: str, election_id: uuid.UUID
) -> BlindRsaPrivateKey:
    """The election's issuer key, decrypted and loaded once per process."""
    encrypted = _issuer_blobs.get(election_id)
    if encrypted is None:
        issuer = session.get(IssuerKey, election_id)
        if issuer is None:
            raise ElectionNotFound
        encrypted = issuer.private_key_encrypted
        with _cache_lock:
            _issuer_blobs[election_id] = encrypted
    return issuer_private_key(secret_key, encrypted)


_issuer_blobs: dict[uuid.UUID, str] = {}
