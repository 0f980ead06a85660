"""Record format v3 (§2.1, §7.3): the trustees' signing keys and the signed postal line.

The commission's two confirmations of the postal line are Ed25519 signatures by two
different trustees. Each trustee registers a signing key with their sealing key at the
key ceremony; the ceremony context every dealer's proof of knowledge is bound to is
``DH("stimmwerk/ceremony-context/v3", {"fingerprint", "signing_keys"})``, so no signing
key can be swapped after a trustee dealt without breaking that trustee's proof, and each
trustee's tool checks that its own key is listed before it deals. The operator holds
none of these keys, so it can neither enter nor confirm a postal line itself.

Used by the verifier, the engine, the trustees' tools and (byte for byte)
``frontend/src/trustee.js``; the formulas are §2.1 and §7.3 of docs/election-record.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from crypto.canonical import JsonValue, canonical_json, domain_hash

CEREMONY_LABEL: Final = "stimmwerk/ceremony-context/v3"
POSTAL_LINE_LABEL: Final = "stimmwerk/postal-line/v3"


def ceremony_context(fingerprint_hex: str, signing_keys_hex: Sequence[str]) -> bytes:
    """The 32-byte context of the dealers' proofs when trustees registered signing keys."""
    return domain_hash(
        CEREMONY_LABEL, {"fingerprint": fingerprint_hex, "signing_keys": list(signing_keys_hex)}
    )


def postal_line_document(
    fingerprint_hex: str,
    step: str,
    envelopes: int,
    questions: Sequence[tuple[Sequence[int], int]],
) -> dict[str, JsonValue]:
    """What a trustee signs to enter (``step = "entered"``) or confirm a postal line."""
    return {
        "fingerprint": fingerprint_hex,
        "step": step,
        "envelopes": envelopes,
        "questions": [
            {"counts": list(counts), "invalid": invalid} for counts, invalid in questions
        ],
    }


def postal_line_payload(
    fingerprint_hex: str,
    step: str,
    envelopes: int,
    questions: Sequence[tuple[Sequence[int], int]],
) -> bytes:
    """The payload signed under the label ``stimmwerk/postal-line/v3`` (CB §1.3)."""
    return canonical_json(postal_line_document(fingerprint_hex, step, envelopes, questions))
