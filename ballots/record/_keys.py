"""keys.json (record format §2): trustee commitments and proofs, joint key, issuer, board."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ballots.record._document import read_document
from ballots.record._fields import (
    HASH_BYTES,
    POINT_BYTES,
    SCALAR_BYTES,
    Loc,
    as_hex,
    as_int,
    as_list,
    as_object,
    as_str,
)
from ballots.record._source import RecordSource

FILE: Final = "keys.json"
_KEYS: Final = ("manifest_hash", "trustees", "joint_public_key", "issuer", "board_public_key")
_KEYS_V3: Final = (*_KEYS, "fingerprint")
_MAX_TRUSTEES: Final = 1000


@dataclass(frozen=True, slots=True)
class ChallengeResponse:
    """A compact Schnorr or Chaum–Pedersen proof ``(c, z)`` as scalar encodings (§0)."""

    challenge: bytes
    response: bytes


@dataclass(frozen=True, slots=True)
class TrusteeKeys:
    """Dealer ``index``'s Feldman commitments ``C_i0 .. C_i,t-1`` and proof for ``C_i0``."""

    index: int
    commitments: tuple[bytes, ...]
    proof: ChallengeResponse
    signing_key: bytes | None = None
    """§2.1: the trustee's Ed25519 key for the postal line; None in a record made before
    signed confirmations (then no trustee has one)."""


@dataclass(frozen=True, slots=True)
class IssuerKey:
    variant: str
    public_key_spki: bytes


@dataclass(frozen=True, slots=True)
class Keys:
    manifest_hash: bytes
    trustees: tuple[TrusteeKeys, ...]
    joint_public_key: bytes
    issuer: IssuerKey
    board_public_key: bytes
    fingerprint: bytes | None = None
    """v3: the election fingerprint (§2); None in a version-2 record."""


def parse_challenge_response(value: object, loc: Loc) -> ChallengeResponse:
    data = as_object(value, loc, ("challenge", "response"))
    return ChallengeResponse(
        as_hex(data["challenge"], loc.key("challenge"), SCALAR_BYTES),
        as_hex(data["response"], loc.key("response"), SCALAR_BYTES),
    )


def _trustee(value: object, loc: Loc) -> TrusteeKeys:
    keys = ("index", "commitments", "proof")
    signed = isinstance(value, dict) and "signing_key" in value
    data = as_object(value, loc, (*keys, "signing_key") if signed else keys)
    points = as_list(data["commitments"], loc.key("commitments"), min_len=1, max_len=_MAX_TRUSTEES)
    return TrusteeKeys(
        index=as_int(data["index"], loc.key("index")),
        commitments=tuple(
            as_hex(point, loc.key("commitments").index(i), POINT_BYTES)
            for i, point in enumerate(points)
        ),
        proof=parse_challenge_response(data["proof"], loc.key("proof")),
        signing_key=as_hex(data["signing_key"], loc.key("signing_key"), 32) if signed else None,
    )


def _issuer(value: object, loc: Loc) -> IssuerKey:
    data = as_object(value, loc, ("variant", "public_key_spki"))
    return IssuerKey(
        as_str(data["variant"], loc.key("variant")),
        as_hex(data["public_key_spki"], loc.key("public_key_spki")),
    )


def parse_keys(value: object, loc: Loc, version: int = 3) -> Keys:
    """Parse the keys object; the cryptographic checks are the verifier's (§2, §8)."""
    data = as_object(value, loc, _KEYS_V3 if version >= 3 else _KEYS)  # noqa: PLR2004
    trustees = as_list(data["trustees"], loc.key("trustees"), min_len=1, max_len=_MAX_TRUSTEES)
    return Keys(
        manifest_hash=as_hex(data["manifest_hash"], loc.key("manifest_hash"), HASH_BYTES),
        trustees=tuple(
            _trustee(item, loc.key("trustees").index(i)) for i, item in enumerate(trustees)
        ),
        joint_public_key=as_hex(data["joint_public_key"], loc.key("joint_public_key"), POINT_BYTES),
        issuer=_issuer(data["issuer"], loc.key("issuer")),
        board_public_key=as_hex(data["board_public_key"], loc.key("board_public_key"), 32),
        fingerprint=(
            as_hex(data["fingerprint"], loc.key("fingerprint"), HASH_BYTES)
            if "fingerprint" in data
            else None
        ),
    )


def read_keys(source: RecordSource, version: int = 3) -> Keys:
    value, loc = read_document(source, FILE)
    return parse_keys(value, loc, version)
