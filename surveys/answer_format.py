"""Byte formats of survey credentials and answers (``docs/surveys/record.md`` §3).

Pure and shared by the member's client (``surveys.client``), the server and the
verifier, so the three hash and sign the same bytes.

- The *credential message* the issuer signs blindly (RFC 9474) names the survey, the
  audience and the credential's Ed25519 key. Each audience has its own issuer key, so
  the audience (the only class a credential carries) is proven by which key signed,
  never by who asked.
- The *answer line* is the canonical JSON of the answer body plus the credential
  key's signature over it; its RFC 9162 leaf hash is the board leaf and the receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from crypto.canonical import JsonValue, canonical_json, domain_hash_hex
from crypto.merkle import leaf_hash
from crypto.signing import Ed25519SecretKey, labelled_message, sign

CREDENTIAL_LABEL: Final = "stimmwerk/survey-credential/v1"
FINGERPRINT_LABEL: Final = "stimmwerk/survey-fingerprint/v1"
ANSWER_LABEL: Final = "stimmwerk/survey-answer/v1"
MEMBERS: Final = "members"
GUESTS: Final = "guests"
PAPER: Final = "paper"
"""Key of the paper line in results.json and survey.json (record §6); not an audience."""
AUDIENCES: Final = (MEMBERS, GUESTS)
BODY_KEYS: Final = ("survey", "fingerprint", "audience", "credential", "answers")
LINE_KEYS: Final = (*BODY_KEYS, "signature")
CREDENTIAL_KEYS: Final = ("public_key", "prefix", "signature")


def fingerprint(
    *,
    survey_id: str,
    unit: str,
    opens_at: str,
    closes_at: str,
    manifest_hash: str,
    issuers: Mapping[str, str],
    eligible_members: int,
    origin: str,
    board_public_key: str,
) -> str:
    """The survey's fingerprint: everything fixed when it opens, in one hash.

    Every answer signs it, so changing the questions, the window, the unit, an issuer
    key, the board key or the frozen member count afterwards breaks every answer's
    signature. Shown on the survey page and in the invitation to compare with a copy
    published elsewhere.
    """
    return domain_hash_hex(
        FINGERPRINT_LABEL,
        {
            "survey": survey_id,
            "unit": unit,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "manifest_hash": manifest_hash,
            "issuers": dict(issuers),
            "eligible_members": eligible_members,
            "board": {"origin": origin, "public_key": board_public_key},
        },
    )


def credential_message(survey_id: str, audience: str, public_key_hex: str) -> bytes:
    """The RFC 9474 ``msg`` the audience's issuer signs blindly for one credential key."""
    payload = canonical_json(
        {"survey": survey_id, "audience": audience, "public_key": public_key_hex}
    )
    return labelled_message(CREDENTIAL_LABEL, payload)


def answer_body(
    survey_id: str,
    fingerprint_hex: str,
    audience: str,
    credential: Mapping[str, str],
    answers: Mapping[str, JsonValue],
) -> dict[str, JsonValue]:
    return {
        "survey": survey_id,
        "fingerprint": fingerprint_hex,
        "audience": audience,
        "credential": dict(credential),
        "answers": dict(answers),
    }


def signed_payload(line: Mapping[str, Any]) -> bytes:
    """What the credential key signs: the canonical body (the line without ``signature``)."""
    return canonical_json({key: line[key] for key in BODY_KEYS})


def sign_answer(secret_key: Ed25519SecretKey, body: Mapping[str, JsonValue]) -> bytes:
    """The answer line, canonical JSON, signed with the credential key."""
    signature = sign(secret_key, ANSWER_LABEL, signed_payload(body))
    return canonical_json({**body, "signature": signature.hex()})


def answer_leaf(line: bytes) -> bytes:
    """The board leaf hash of an answer line (RFC 9162 ``leaf_hash``)."""
    return leaf_hash(line)
