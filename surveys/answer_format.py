"""Byte formats of survey credentials and answers (``docs/surveys/record.md`` §3).

Pure and shared by the member's client (``surveys.client``), the server and the
verifier, so the three hash and sign the same bytes.

- The *credential message* the issuer signs blindly (RFC 9474) names the survey, the
  audience, the member's breakdown class if the survey has classes, and the credential's
  Ed25519 key. Each audience (and each class) has its own issuer key, so the audience
  and the class are proven by which key signed, never by who asked.
- A *credential name* is how server and client refer to one issuer key: ``members``,
  ``guests``, or ``members/c3`` for a member of class ``c3`` (record §8). In the signed
  bytes it is split into ``audience`` and ``class``.
- The *answer line* is the canonical JSON of the answer body plus the credential
  key's signature over it; its RFC 9162 leaf hash is the board leaf and the receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from crypto.canonical import JsonValue, domain_hash_hex
from crypto.merkle import leaf_hash
from crypto.signing import Ed25519SecretKey, labelled_message, sign
from surveys.canonical_fast import canonical

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
CLASS: Final = "class"
CLASS_SEPARATOR: Final = "/"
CLASSED_LINE_KEYS: Final = (*LINE_KEYS, CLASS)
ROLL_ENTRY_LABEL: Final = "stimmwerk/survey-roll-entry/v1"
ROLL_FORMAT: Final = "stimmwerk-survey-roll/1"


def split_name(name: str) -> tuple[str, str | None]:
    """``members/c3`` → (``members``, ``c3``); ``members`` → (``members``, None)."""
    audience, _, class_id = name.partition(CLASS_SEPARATOR)
    return audience, class_id or None


def credential_name(audience: str, class_id: str | None) -> str:
    """The issuer key's name: the audience, with the class if there is one."""
    return f"{audience}{CLASS_SEPARATOR}{class_id}" if class_id else audience


def line_name(line: Mapping[str, Any]) -> str:
    """The credential name an answer line claims (its audience and class)."""
    return credential_name(str(line["audience"]), line.get(CLASS))


def roll_entry(survey_id: str, salt_hex: str, membership_number: str, class_id: str) -> str:
    """One member's entry in the frozen list (record §9): a salted hash, so the published
    list reveals nobody; the member, told the salt, finds their own entry."""
    value = {"survey": survey_id, "salt": salt_hex, "member": membership_number, "class": class_id}
    return domain_hash_hex(ROLL_ENTRY_LABEL, value)


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
    breakdown: Mapping[str, Any] | None = None,
    roll: str | None = None,
) -> str:
    """The survey's fingerprint: everything fixed when it opens, in one hash.

    Every answer signs it, so changing the questions, the window, the unit, an issuer
    key, the board key, the frozen member count, the breakdown classes (with their
    eligible counts) or the commitment of the frozen list afterwards breaks every
    answer's signature. Shown on the survey page and in the invitation to compare with a
    copy published elsewhere. ``breakdown`` and ``roll`` enter only when present.
    """
    value: dict[str, Any] = {
        "survey": survey_id,
        "unit": unit,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "manifest_hash": manifest_hash,
        "issuers": dict(issuers),
        "eligible_members": eligible_members,
        "board": {"origin": origin, "public_key": board_public_key},
    }
    if breakdown is not None:
        value["breakdown"] = dict(breakdown)
    if roll is not None:
        value["roll"] = roll
    return domain_hash_hex(FINGERPRINT_LABEL, value)


def credential_message(survey_id: str, name: str, public_key_hex: str) -> bytes:
    """The RFC 9474 ``msg`` the issuer ``name`` (audience, or audience/class) signs
    blindly for one credential key."""
    audience, class_id = split_name(name)
    value: dict[str, JsonValue] = {
        "survey": survey_id,
        "audience": audience,
        "public_key": public_key_hex,
    }
    if class_id is not None:
        value[CLASS] = class_id
    return labelled_message(CREDENTIAL_LABEL, canonical(value))


def answer_body(
    survey_id: str,
    fingerprint_hex: str,
    name: str,
    credential: Mapping[str, str],
    answers: Mapping[str, JsonValue],
) -> dict[str, JsonValue]:
    """The body of an answer line; ``name`` is the credential name (``members/c3`` puts
    ``"class": "c3"`` into the line)."""
    audience, class_id = split_name(name)
    body: dict[str, JsonValue] = {
        "survey": survey_id,
        "fingerprint": fingerprint_hex,
        "audience": audience,
        "credential": dict(credential),
        "answers": dict(answers),
    }
    if class_id is not None:
        body[CLASS] = class_id
    return body


def signed_payload(line: Mapping[str, Any]) -> bytes:
    """What the credential key signs: the canonical body (the line without ``signature``)."""
    keys = (*BODY_KEYS, CLASS) if CLASS in line else BODY_KEYS
    return canonical({key: line[key] for key in keys})


def sign_answer(secret_key: Ed25519SecretKey, body: Mapping[str, JsonValue]) -> bytes:
    """The answer line, canonical JSON, signed with the credential key."""
    signature = sign(secret_key, ANSWER_LABEL, signed_payload(body))
    return canonical({**body, "signature": signature.hex()})


def answer_leaf(line: bytes) -> bytes:
    """The board leaf hash of an answer line (RFC 9162 ``leaf_hash``)."""
    return leaf_hash(line)
