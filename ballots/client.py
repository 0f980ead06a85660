"""The voter's side of the protocol, as a Python library (tests, CLI, benchmarks).

Pure: no database, no network. Steps, as a member's client runs them:

1. `request_credential`: a fresh Ed25519 credential key; its credential message is
   blinded (RFC 9474 Prepare + Blind) for the issuer; the blinded bytes go to the
   server with the member's login.
2. `finish_credential`: unblind the issuer's answer (Finalize, which verifies it).
3. `encrypt_ballot`: one ElGamal ciphertext per option with zero-one proofs and one
   range proof per question, contexts bound to the manifest and the credential key.
   Optionally `spoil` it (Benaloh cast-or-audit): reveal its nonces, check them on
   another device with `verify_audit`, throw it away and encrypt again.
4. `sign_ballot`: sign with the credential key; send the ballot *without* the login.
5. `check_receipt`: the ballot hash and the inclusion proof against the signed
   checkpoint.

Secrets (credential key, blinding inverse, nonces) never leave this module's objects
except as the protocol says; their ``repr`` hides them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ballots import ballot_format as fmt
from ballots.ballot_check import ElectionKeys
from ballots.board import Receipt, note_verifier
from ballots.board import check_receipt as _check_receipt
from ballots.codec import (
    ciphertext_from_json,
    ciphertext_json,
    disjunctive_json,
    point_from_json,
)
from ballots.manifest import Manifest, Question, read_manifest
from crypto import blind_rsa, elgamal
from crypto.blind_rsa import BlindedMessage, BlindRsaPublicKey
from crypto.canonical import JsonValue
from crypto.elgamal import Ciphertext, Nonce, PublicKey
from crypto.group import Scalar
from crypto.proofs import prove_range, prove_zero_one, verify_opening
from crypto.signing import Ed25519SecretKey, sign


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """Client state between blinding and the issuer's answer. Keep secret."""

    election_id: str
    secret_key: Ed25519SecretKey = field(repr=False)
    state: BlindedMessage = field(repr=False)

    @property
    def blinded_msg(self) -> bytes:
        """What the server signs (reveals nothing about the key)."""
        return self.state.blinded_msg


@dataclass(frozen=True, slots=True)
class Credential:
    """A finished credential: the key pair and the issuer's signature on its message."""

    election_id: str
    secret_key: Ed25519SecretKey = field(repr=False)
    prefix: bytes
    signature: bytes

    @property
    def public_key_hex(self) -> str:
        return self.secret_key.public_key.hex()


@dataclass(frozen=True, slots=True)
class SealedBallot:
    """An encrypted, not yet signed ballot, with its openings (for a Benaloh audit)."""

    body: Mapping[str, JsonValue]
    openings: tuple[tuple[tuple[int, Nonce], ...], ...] = field(repr=False)


def election_keys_from_record(manifest: Mapping[str, Any], keys: Mapping[str, Any]) -> ElectionKeys:
    """The public election data a client needs, from ``manifest.json`` and ``keys.json``."""
    checked = read_manifest(manifest)
    if keys["manifest_hash"] != checked.hash_hex:
        raise ValueError("keys.json belongs to another manifest")
    joint = PublicKey(point_from_json(keys["joint_public_key"]))
    issuer = BlindRsaPublicKey.from_der(bytes.fromhex(keys["issuer"]["public_key_spki"]))
    return ElectionKeys(checked, joint, issuer)


def request_credential(issuer: BlindRsaPublicKey, election_id: str) -> CredentialRequest:
    """Make a fresh credential key and blind its credential message for the issuer."""
    secret_key = Ed25519SecretKey.generate()
    message = fmt.credential_message(election_id, secret_key.public_key.hex())
    prepared = blind_rsa.prepare(issuer, message)
    return CredentialRequest(election_id, secret_key, blind_rsa.blind(issuer, prepared))


def finish_credential(
    issuer: BlindRsaPublicKey, request: CredentialRequest, blind_signature: bytes
) -> Credential:
    """Unblind and verify the issuer's answer (raises if it does not verify)."""
    signed = blind_rsa.finalize(issuer, request.state, blind_signature)
    return Credential(
        request.election_id, request.secret_key, signed.prepared.msg_prefix, signed.sig
    )


def _selection(question: Question, chosen: Collection[str]) -> list[int]:
    unknown = set(chosen) - set(question.option_ids)
    if unknown or len(set(chosen)) != len(chosen):
        raise ValueError(f"question {question.id}: unknown or repeated options")
    if not question.min_selections <= len(chosen) <= question.max_selections:
        raise ValueError(f"question {question.id}: choose between the allowed number of options")
    return [int(option in chosen) for option in question.option_ids]


def encrypt_ballot(
    keys: ElectionKeys, credential: Credential, choices: Mapping[str, Collection[str]]
) -> SealedBallot:
    """Encrypt ``choices`` (question id → chosen option ids) with all proofs."""
    manifest = keys.manifest
    answers: list[JsonValue] = []
    openings: list[tuple[tuple[int, Nonce], ...]] = []
    for q, question in enumerate(manifest.questions):
        plain = _selection(question, choices.get(question.id, ()))
        opened = tuple((m, elgamal.fresh_nonce()) for m in plain)
        answers.append(_answer(keys, credential, q, question, opened))
        openings.append(opened)
    body: dict[str, JsonValue] = {
        "election_id": manifest.election_id,
        "manifest_hash": manifest.hash_hex,
        "credential": {
            "public_key": credential.public_key_hex,
            "prefix": credential.prefix.hex(),
            "signature": credential.signature.hex(),
        },
        "answers": answers,
    }
    return SealedBallot(body, tuple(openings))


def _answer(
    keys: ElectionKeys,
    credential: Credential,
    q: int,
    question: Question,
    opened: Sequence[tuple[int, Nonce]],
) -> JsonValue:
    manifest_hash = keys.manifest.hash_hex
    credential_hex = credential.public_key_hex
    ciphertexts = [elgamal.encrypt(keys.joint_key, m, r) for m, r in opened]
    option_proofs = [
        prove_zero_one(
            keys.joint_key, c, m, r, fmt.proof_context(manifest_hash, credential_hex, q, o)
        )
        for o, (c, (m, r)) in enumerate(zip(ciphertexts, opened, strict=True))
    ]
    selection = prove_range(
        keys.joint_key,
        ciphertexts,
        opened,
        (question.min_selections, question.max_selections),
        fmt.proof_context(manifest_hash, credential_hex, q, fmt.SELECTION),
    )
    return {
        "question": question.id,
        "ciphertexts": [ciphertext_json(c) for c in ciphertexts],
        "option_proofs": [disjunctive_json(p) for p in option_proofs],
        "selection_proof": disjunctive_json(selection),
    }


def sign_ballot(sealed: SealedBallot, credential: Credential) -> dict[str, JsonValue]:
    """The ballot to cast: the sealed body signed with the credential key."""
    body = dict(sealed.body)
    signature = sign(credential.secret_key, fmt.BALLOT_LABEL, fmt.signing_payload(body))
    body["signature"] = signature.hex()
    return body


def make_ballot(
    keys: ElectionKeys, credential: Credential, choices: Mapping[str, Collection[str]]
) -> dict[str, JsonValue]:
    """`encrypt_ballot` then `sign_ballot`."""
    return sign_ballot(encrypt_ballot(keys, credential, choices), credential)


def ballot_bytes(ballot: Mapping[str, JsonValue]) -> bytes:
    """The canonical bytes to send (and the board leaf)."""
    return fmt.ballot_line(ballot)


def check_receipt(
    receipt: Receipt, ballot: Mapping[str, JsonValue], board_public_key: str, manifest: Manifest
) -> bool:
    """Is my ballot on the board: right hash, index and proof under a signed checkpoint?"""
    verifier = note_verifier(manifest.board_origin, board_public_key)
    return _check_receipt(receipt, fmt.ballot_line(ballot), verifier, origin=manifest.board_origin)


@dataclass(frozen=True, slots=True)
class AuditReveal:
    """A spoiled ballot and its openings (plaintexts and nonces), to check elsewhere."""

    body: Mapping[str, JsonValue]
    openings: tuple[tuple[tuple[int, str], ...], ...]
    """per question, per option: (m, r as hex)."""


def spoil(sealed: SealedBallot) -> AuditReveal:
    """Benaloh challenge: reveal the openings. This ballot must never be cast."""
    return AuditReveal(
        sealed.body,
        tuple(tuple((m, r.encoded.hex()) for m, r in row) for row in sealed.openings),
    )


def verify_audit(keys: ElectionKeys, reveal: AuditReveal) -> dict[str, tuple[str, ...]] | None:
    """Check a spoiled ballot's openings; return the choices it encrypted, or None.

    The voter compares the returned choices with what they selected: a client that
    encrypted anything else is caught.
    """
    try:
        answers: Sequence[Mapping[str, Any]] = reveal.body["answers"]  # type: ignore[assignment]
        choices: dict[str, tuple[str, ...]] = {}
        for question, answer, row in zip(
            keys.manifest.questions, answers, reveal.openings, strict=True
        ):
            ciphertexts: list[Ciphertext] = [ciphertext_from_json(c) for c in answer["ciphertexts"]]
            for ciphertext, (m, r_hex) in zip(ciphertexts, row, strict=True):
                nonce = Nonce(Scalar.decode(bytes.fromhex(r_hex)))
                if m not in {0, 1} or not verify_opening(keys.joint_key, ciphertext, m, nonce):
                    return None
            choices[question.id] = tuple(
                option for option, (m, _) in zip(question.option_ids, row, strict=True) if m
            )
    except (KeyError, TypeError, ValueError):
        return None
    return choices
