"""The server's check of a submitted ballot (pure: no database).

Protects the tally against ballots that were not made by a credential holder
(issuer signature), were altered or replayed into another election (ballot signature
and proof contexts bound to the manifest hash and credential), or encrypt anything but
an allowed vote (zero-one proofs per option, range proof per question). The checks are
the same the auditor's verifier repeats on the record (``docs/election-record.md`` §5);
they run cheapest first, so garbage costs the server microseconds, not milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ballots import ballot_format as fmt
from ballots.codec import (
    CodecError,
    ciphertext_from_json,
    disjunctive_from_json,
    exact_list,
    exact_object,
    hex32,
    hex_bytes,
)
from ballots.manifest import Manifest
from crypto.blind_rsa import BlindRsaPublicKey
from crypto.blind_rsa import verify as verify_rsa_pss
from crypto.canonical import CanonicalError, JsonValue
from crypto.elgamal import Ciphertext, PublicKey
from crypto.merkle import leaf_hash
from crypto.proofs import DisjunctiveProof, verify_range, verify_zero_one
from crypto.signing import SIGNATURE_SIZE, Ed25519PublicKey, SigningError
from crypto.signing import verify as verify_ed25519

MAX_BALLOT_BYTES: Final = 256 * 1024
PREFIX_BYTES: Final = 32


class BallotCheckFailed(ValueError):
    """A named check failed: ``format``, ``election``, ``credential_signature``,
    ``signature`` or ``proofs``."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ElectionKeys:
    """What checking a ballot of one election needs: its manifest and public keys."""

    manifest: Manifest
    joint_key: PublicKey
    issuer: BlindRsaPublicKey


@dataclass(frozen=True, slots=True)
class CheckedBallot:
    """A ballot that passed every check, ready for the board."""

    line: bytes
    """canonical JSON: the board leaf data and the ``ballots.jsonl`` line."""
    leaf_hash: bytes
    credential_key: str
    ciphertexts: tuple[tuple[Ciphertext, ...], ...]
    """per question, per option."""

    @property
    def ballot_hash(self) -> str:
        return self.leaf_hash.hex()


@dataclass(frozen=True, slots=True)
class _Answer:
    raw_ciphertexts: Sequence[Any]
    option_proofs: tuple[DisjunctiveProof, ...]
    selection_proof: DisjunctiveProof


def parse_json(data: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no floats, NaN or Infinity."""
    if len(data) > MAX_BALLOT_BYTES:
        raise BallotCheckFailed("format", "the ballot is too large")
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_float=_no_number,
            parse_constant=_no_number,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BallotCheckFailed("format", f"not valid JSON: {error}") from error


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_number(text: str) -> Any:
    raise ValueError(f"non-integer number {text}")


def check_ballot(ballot: Mapping[str, Any], keys: ElectionKeys) -> CheckedBallot:
    """Run every check of the record format on one ballot; raise `BallotCheckFailed`."""
    try:
        fields = exact_object(ballot, fmt.BALLOT_FIELDS)
        credential = exact_object(fields["credential"], fmt.CREDENTIAL_FIELDS)
        credential_key = hex32(credential["public_key"])
        prefix = hex_bytes(credential["prefix"], PREFIX_BYTES)
        issuer_signature = hex_bytes(credential["signature"], keys.issuer.modulus_len)
        signature = hex_bytes(fields["signature"], SIGNATURE_SIZE)
        answers = _parse_answers(fields["answers"], keys.manifest)
        line = fmt.ballot_line(ballot)
    except (CodecError, CanonicalError) as error:
        raise BallotCheckFailed("format", str(error)) from error
    manifest = keys.manifest
    if fields["election_id"] != manifest.election_id:
        raise BallotCheckFailed("election", "the ballot is for another election")
    if fields["manifest_hash"] != manifest.hash_hex:
        raise BallotCheckFailed("election", "the ballot is for another manifest")
    message = fmt.credential_message(manifest.election_id, credential["public_key"])
    if not verify_rsa_pss(keys.issuer, prefix + message, issuer_signature):
        raise BallotCheckFailed("credential_signature", "the issuer did not sign this credential")
    if not _signature_ok(credential_key, ballot, signature):
        raise BallotCheckFailed("signature", "the credential key did not sign this ballot")
    ciphertexts = _decode_ciphertexts(answers)
    _check_proofs(keys, credential["public_key"], answers, ciphertexts)
    return CheckedBallot(line, leaf_hash(line), credential["public_key"], ciphertexts)


def _parse_answers(value: object, manifest: Manifest) -> list[_Answer]:
    answers = exact_list(value, len(manifest.questions))
    parsed = []
    for question, raw in zip(manifest.questions, answers, strict=True):
        answer = exact_object(raw, fmt.ANSWER_FIELDS)
        if answer["question"] != question.id:
            raise CodecError(f"answers must follow the manifest's questions ({question.id})")
        count = len(question.option_ids)
        branches = question.max_selections - question.min_selections + 1
        option_proofs = tuple(
            disjunctive_from_json(proof, 2) for proof in exact_list(answer["option_proofs"], count)
        )
        parsed.append(
            _Answer(
                raw_ciphertexts=exact_list(answer["ciphertexts"], count),
                option_proofs=option_proofs,
                selection_proof=disjunctive_from_json(answer["selection_proof"], branches),
            )
        )
    return parsed


def _signature_ok(key: bytes, ballot: Mapping[str, JsonValue], signature: bytes) -> bool:
    try:
        public_key = Ed25519PublicKey(key)
    except SigningError:
        return False
    return verify_ed25519(public_key, fmt.BALLOT_LABEL, fmt.signing_payload(ballot), signature)


def _decode_ciphertexts(answers: Sequence[_Answer]) -> tuple[tuple[Ciphertext, ...], ...]:
    try:
        return tuple(
            tuple(ciphertext_from_json(raw) for raw in answer.raw_ciphertexts) for answer in answers
        )
    except CodecError as error:
        raise BallotCheckFailed("format", f"ciphertext: {error}") from error


def _check_proofs(
    keys: ElectionKeys,
    credential_hex: str,
    answers: Sequence[_Answer],
    ciphertexts: Sequence[Sequence[Ciphertext]],
) -> None:
    manifest_hash = keys.manifest.hash_hex
    for q, (question, answer) in enumerate(zip(keys.manifest.questions, answers, strict=True)):
        for o, (ciphertext, proof) in enumerate(
            zip(ciphertexts[q], answer.option_proofs, strict=True)
        ):
            context = fmt.proof_context(manifest_hash, credential_hex, q, o)
            if not verify_zero_one(keys.joint_key, ciphertext, proof, context):
                raise BallotCheckFailed("proofs", f"question {question.id}, option {o}")
        context = fmt.proof_context(manifest_hash, credential_hex, q, fmt.SELECTION)
        bounds = (question.min_selections, question.max_selections)
        if not verify_range(
            keys.joint_key, ciphertexts[q], bounds, answer.selection_proof, context
        ):
            raise BallotCheckFailed("proofs", f"question {question.id}, number of selections")
