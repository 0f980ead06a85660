"""ballots.jsonl (record format §5): one cast ballot per line, in board order.

The parser is on the verifier's hot path (one call per ballot, 400,000 per election), so
it reads the fixed shape directly; every field is still checked for type, hex length
and known keys, and the line must be the canonical JSON of its object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ballots.record._document import unique_keys
from ballots.record._fields import (
    HASH_BYTES,
    POINT_BYTES,
    SCALAR_BYTES,
    Loc,
    as_hex,
    as_list,
    as_object,
    as_str,
    as_uuid,
)

FILE: Final = "ballots.jsonl"
MAX_BRANCHES: Final = 256
_BALLOT_KEYS: Final = ("election_id", "manifest_hash", "credential", "answers", "signature")
_CREDENTIAL_KEYS: Final = ("public_key", "prefix", "signature")
_ANSWER_KEYS: Final = ("question", "ciphertexts", "option_proofs", "selection_proof")
_MAX_RSA_SIGNATURE: Final = 1024  # 8192-bit modulus, the largest crypto.blind_rsa accepts
_ED25519_KEY: Final = 32
_ED25519_SIGNATURE: Final = 64
_PREFIX: Final = 32


def _reject(text: str) -> object:
    raise ValueError(f"{text} is not allowed in a ballot")


_DECODER: Final = json.JSONDecoder(
    parse_float=_reject, parse_int=_reject, parse_constant=_reject, object_pairs_hook=unique_keys
)
"""A ballot holds no numbers at all (§5): refusing them keeps the canonical check exact."""


@dataclass(frozen=True, slots=True)
class CiphertextData:
    """``(alpha, beta)`` as point encodings, not yet validated."""

    alpha: bytes
    beta: bytes


@dataclass(frozen=True, slots=True)
class DisjunctiveProofData:
    """``c_0..c_{k-1}`` and ``z_0..z_{k-1}`` as scalar encodings."""

    challenges: tuple[bytes, ...]
    responses: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    ciphertexts: tuple[CiphertextData, ...]
    option_proofs: tuple[DisjunctiveProofData, ...]
    selection_proof: DisjunctiveProofData


@dataclass(frozen=True, slots=True)
class Credential:
    """The voter's Ed25519 key with the issuer's RFC 9474 signature over it (§5)."""

    public_key: bytes
    prefix: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Ballot:
    """One line of ballots.jsonl. ``signed_payload`` is what the ballot signature covers."""

    line: int
    election_id: str
    manifest_hash: bytes
    credential: Credential
    answers: tuple[Answer, ...]
    signature: bytes
    signed_payload: bytes


def _proof(value: object, loc: Loc) -> DisjunctiveProofData:
    data = as_object(value, loc, ("challenges", "responses"))
    challenges = as_list(data["challenges"], loc.key("challenges"), min_len=1, max_len=MAX_BRANCHES)
    responses = as_list(data["responses"], loc.key("responses"), min_len=1, max_len=MAX_BRANCHES)
    if len(challenges) != len(responses):
        raise loc.error("as many challenges as responses are needed")
    return DisjunctiveProofData(
        tuple(
            as_hex(c, loc.key("challenges").index(i), SCALAR_BYTES)
            for i, c in enumerate(challenges)
        ),
        tuple(
            as_hex(z, loc.key("responses").index(i), SCALAR_BYTES) for i, z in enumerate(responses)
        ),
    )


def parse_ciphertext(value: object, loc: Loc) -> CiphertextData:
    """An ElGamal ciphertext {"alpha", "beta"} of two 32-byte points (spec §5, §7)."""
    data = as_object(value, loc, ("alpha", "beta"))
    return CiphertextData(
        as_hex(data["alpha"], loc.key("alpha"), POINT_BYTES),
        as_hex(data["beta"], loc.key("beta"), POINT_BYTES),
    )


def _answer(value: object, loc: Loc) -> Answer:
    data = as_object(value, loc, _ANSWER_KEYS)
    texts = as_list(data["ciphertexts"], loc.key("ciphertexts"), min_len=1, max_len=MAX_BRANCHES)
    proofs = as_list(
        data["option_proofs"], loc.key("option_proofs"), min_len=1, max_len=MAX_BRANCHES
    )
    return Answer(
        question=as_str(data["question"], loc.key("question")),
        ciphertexts=tuple(
            parse_ciphertext(c, loc.key("ciphertexts").index(i)) for i, c in enumerate(texts)
        ),
        option_proofs=tuple(
            _proof(p, loc.key("option_proofs").index(i)) for i, p in enumerate(proofs)
        ),
        selection_proof=_proof(data["selection_proof"], loc.key("selection_proof")),
    )


def _credential(value: object, loc: Loc) -> Credential:
    data = as_object(value, loc, _CREDENTIAL_KEYS)
    return Credential(
        public_key=as_hex(data["public_key"], loc.key("public_key"), _ED25519_KEY),
        prefix=as_hex(data["prefix"], loc.key("prefix"), _PREFIX),
        signature=as_hex(data["signature"], loc.key("signature"), max_size=_MAX_RSA_SIGNATURE),
    )


def canonical_ballot_json(value: Mapping[str, object]) -> bytes:
    """RFC 8785 encoding of a parsed ballot object (or of it without its signature).

    For this value domain, ``json.dumps`` with sorted keys, compact separators and raw
    UTF-8 produces exactly RFC 8785 (`crypto.canonical.canonical_json`) and is seven
    times faster: every key is one of the fixed ASCII names above (so code-point and
    UTF-16 order agree), every leaf is a string (no numbers, so no number formatting),
    and both escape the same characters in the same way (``\\"``, ``\\\\``, ``\\b \\f
    \\n \\r \\t``, other controls as lowercase ``\\u00xx``). Lone surrogates make the
    UTF-8 encoding fail. ``tests/unit/ballots/test_record_parsing.py`` compares both.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _decode_line(data: bytes, loc: Loc) -> dict[str, object]:
    try:
        value, end = _DECODER.raw_decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise loc.error(f"not a JSON ballot: {error}") from error
    if end != len(data) or not isinstance(value, dict):
        raise loc.error("a line holds exactly one JSON object")
    return value


def _payload(value: Mapping[str, object], data: bytes, top: Loc) -> bytes:
    """Check the line is canonical; return the canonical JSON without ``signature``."""
    try:
        if canonical_ballot_json(value) != data:
            raise top.error("the line is not the canonical JSON of its object (RFC 8785)")
        return canonical_ballot_json({k: v for k, v in value.items() if k != "signature"})
    except UnicodeEncodeError as error:
        raise top.error(f"not encodable as UTF-8: {error}") from error


def parse_ballot(line: int, data: bytes) -> Ballot:
    """Parse one line (without its newline) of ballots.jsonl; RecordError on any fault."""
    top = Loc(FILE, line)
    fields = as_object(_decode_line(data, top), top, _BALLOT_KEYS)
    answers = as_list(fields["answers"], top.key("answers"), min_len=1)
    election_id = as_uuid(fields["election_id"], top.key("election_id"))
    manifest_hash = as_hex(fields["manifest_hash"], top.key("manifest_hash"), HASH_BYTES)
    credential = _credential(fields["credential"], top.key("credential"))
    parsed = tuple(_answer(item, top.key("answers").index(i)) for i, item in enumerate(answers))
    signature = as_hex(fields["signature"], top.key("signature"), _ED25519_SIGNATURE)
    payload = _payload(fields, data, top)
    return Ballot(line, election_id, manifest_hash, credential, parsed, signature, payload)
