"""The byte strings a ballot's signatures and proofs are bound to (record format §5).

Shared by the voter client (which makes them) and the server (which checks them), so
the two cannot drift apart. Each value is domain-separated by its own label:

- credential message: ``"stimmwerk/credential/v1" || 0x00 ||
  canonical_json({"election": id, "public_key": hex})``, the message the issuer signs
  blindly (RFC 9474 ``msg``); it ties the credential to one election and one key;
- proof context ``context(q, o) = H("stimmwerk/ballot-context/v1", {"manifest_hash",
  "credential", "question": q, "option": o})``: q is the question's index in the
  manifest, o the option's index, ``-1`` for the selection proof. Binding the election,
  the credential key and the position stops a proof from being copied into another
  ballot (Cortier–Smyth ballot copying) or another election;
- ballot signature: Ed25519 by the credential key, label ``"stimmwerk/ballot/v1"``, over
  ``canonical_json(ballot without "signature")``;
- board leaf: ``canonical_json(ballot)``; the voter's ballot hash is its RFC 9162 leaf hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crypto.canonical import JsonValue, canonical_json, domain_hash
from crypto.merkle import leaf_hash
from crypto.signing import labelled_message

CREDENTIAL_LABEL: Final = "stimmwerk/credential/v1"
BALLOT_LABEL: Final = "stimmwerk/ballot/v1"
CONTEXT_LABEL: Final = "stimmwerk/ballot-context/v1"
SELECTION: Final = -1
"""The option index of a question's selection (range) proof in its context."""
BALLOT_FIELDS: Final = ("election_id", "manifest_hash", "credential", "answers", "signature")
CREDENTIAL_FIELDS: Final = ("public_key", "prefix", "signature")
ANSWER_FIELDS: Final = ("question", "ciphertexts", "option_proofs", "selection_proof")


def credential_message(election_id: str, public_key_hex: str) -> bytes:
    """The RFC 9474 ``msg`` the issuer signs blindly for one credential key."""
    payload = canonical_json({"election": election_id, "public_key": public_key_hex})
    return labelled_message(CREDENTIAL_LABEL, payload)


def proof_context(manifest_hash_hex: str, credential_hex: str, question: int, option: int) -> bytes:
    """``context(q, o)`` as 32 raw bytes."""
    return domain_hash(
        CONTEXT_LABEL,
        {
            "manifest_hash": manifest_hash_hex,
            "credential": credential_hex,
            "question": question,
            "option": option,
        },
    )


def signing_payload(ballot: Mapping[str, JsonValue]) -> bytes:
    """What the credential key signs: the canonical ballot without its signature."""
    return canonical_json({key: value for key, value in ballot.items() if key != "signature"})


def ballot_line(ballot: Mapping[str, JsonValue]) -> bytes:
    """The board leaf data (and the ``ballots.jsonl`` line without its newline)."""
    return canonical_json(ballot)


def ballot_hash(line: bytes) -> str:
    """The voter's receipt hash: RFC 9162 leaf hash ``SHA-256(0x00 || line)`` in hex."""
    return leaf_hash(line).hex()
