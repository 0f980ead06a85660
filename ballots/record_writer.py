"""Writing the election record (``docs/election-record.md``, format version 3).

Streams the board and the checkpoints from the database, so memory stays flat for any
number of ballots. Everything written is public: counts, salted roll entries, public
keys, proofs, ballots (ciphertexts), signed checkpoints and the result. Nothing links a
roll entry to a member or a ballot to a roll entry.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.errors import WrongState
from ballots.models import CastBallot, Checkpoint, Election, ElectionStatus, IssuerKey, RollEntry
from ballots.record import RECORD_FILES
from ballots.services import get_election, manifest_of
from crypto.blind_rsa import Variant
from crypto.canonical import JsonValue, canonical_json

_BATCH = 2000


def write_record(
    session: Session, election_id: uuid.UUID, directory: Path, *, make_zip: bool = True
) -> Path | None:
    """Write the record of a tallied election into ``directory`` (and ``<directory>.zip``).

    Returns:
        The zip's path, if one was made.
    """
    election = get_election(session, election_id)
    if election.status != ElectionStatus.TALLIED or election.tally is None:
        raise WrongState(election.status.value)
    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / "manifest.json", manifest_of(election).raw)
    _write_json(directory / "keys.json", keys_document(session, election))
    _write_json(directory / "roll.json", roll_document(session, election))
    _write_json(directory / "issuance.json", issuance_document(session, election))
    _write_lines(directory / "ballots.jsonl", _ballot_lines(session, election))
    _write_lines(directory / "checkpoints.jsonl", _checkpoint_lines(session, election))
    _write_json(directory / "tally.json", election.tally)
    if not make_zip:
        return None
    archive = directory.with_name(directory.name + ".zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name in RECORD_FILES:
            bundle.write(directory / name, arcname=name)
    return archive


def _write_json(path: Path, value: JsonValue) -> None:
    path.write_bytes(canonical_json(value))


def _write_lines(path: Path, lines: Iterable[bytes]) -> None:
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")


def keys_document(session: Session, election: Election) -> dict[str, JsonValue]:
    issuer = session.get(IssuerKey, election.id)
    if issuer is None or election.joint_public_key is None:
        raise WrongState(election.status.value)
    trustees: list[JsonValue] = [
        {"index": t.index, "commitments": t.commitments, "proof": t.proof}
        # §2.1: the signing key for the postal line (elections keyed since signed postal lines)
        | ({"signing_key": t.signing_public_key} if t.signing_public_key else {})
        for t in sorted(election.trustees, key=lambda t: t.index)
    ]
    document: dict[str, JsonValue] = {
        "manifest_hash": election.manifest_hash,
        "trustees": trustees,
        "joint_public_key": election.joint_public_key,
        "issuer": {
            "variant": Variant.PSS_RANDOMIZED.value,
            "public_key_spki": issuer.public_key_spki,
        },
        "board_public_key": election.board_public_key,
    }
    if election.fingerprint is not None:  # record v3 (§2); older elections write v2
        document["fingerprint"] = election.fingerprint
    return document


def roll_document(session: Session, election: Election) -> dict[str, JsonValue]:
    entries = list(
        session.scalars(
            select(RollEntry.entry)
            .where(RollEntry.election_id == election.id, RollEntry.postal.is_(False))
            .order_by(RollEntry.entry)
        )
    )
    entries.sort()  # byte order, whatever the database collation
    return {
        "cutoff_at": manifest_of(election).raw["cutoff_at"],
        "eligible": election.eligible_count,
        "postal": election.postal_count,
        "entries": entries,
        "commitment": election.roll_commitment,
    }


def issuance_document(session: Session, election: Election) -> dict[str, JsonValue]:
    entries = sorted(
        session.scalars(
            select(RollEntry.entry).where(
                RollEntry.election_id == election.id,
                RollEntry.credential_issued_on.is_not(None),
            )
        )
    )
    return {"issued": len(entries), "entries": entries}


def _ballot_lines(session: Session, election: Election) -> Iterable[bytes]:
    rows = session.scalars(
        select(CastBallot.line)
        .where(CastBallot.election_id == election.id)
        .order_by(CastBallot.leaf_index)
        .execution_options(yield_per=_BATCH)
    )
    for line in rows:
        yield line.encode()


def _checkpoint_lines(session: Session, election: Election) -> Iterable[bytes]:
    rows = session.scalars(
        select(Checkpoint.note)
        .where(Checkpoint.election_id == election.id)
        .order_by(Checkpoint.tree_size)
        .execution_options(yield_per=_BATCH)
    )
    for note in rows:
        yield canonical_json({"note": note})
