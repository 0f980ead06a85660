"""How many bytes a member's encrypted ballot will have, before the referendum exists.

The voter API refuses a ballot body over `MAX_BALLOT_BYTES` (64 KiB: it bounds the work a
stranger can make the server do per request). The ballot
core's own limits (20 questions, 64 options each) allow questions whose ballots are far
bigger: each option is an ElGamal ciphertext with a 0/1 proof (about 450 bytes), and an
"up to k" question adds a range proof of k + 1 branches. A referendum whose ballots do
not fit could be prepared, but nobody could vote in it. The core therefore refuses to
define it (`ballots.services` checks every definition), and the create form says so at once.

The size is exact, not estimated: every field of a ballot (record format §5,
`ballots.client.encrypt_ballot`) is fixed-length hex except the question ids, so a ballot
of the right shape filled with dummy values has the very length a real one will have
(`tests/unit/referendums/test_ballot_size.py` compares it with a real ballot).
"""

from __future__ import annotations

from typing import Final

from ballots.manifest import ElectionDraft
from crypto.canonical import JsonValue, canonical_json

_POINT: Final = "0" * 64
"""A ristretto255 element or scalar as hex (32 bytes)."""
_ELECTION_ID: Final = "0" * 36
"""A UUID in its text form."""
_RSA_SIGNATURE: Final = "0" * 768
"""The issuer's RSA-3072 signature on the credential (384 bytes)."""
_ED25519_SIGNATURE: Final = "0" * 128

MAX_BALLOT_BYTES: Final = 64 * 1024
"""The largest ballot body the voter API accepts, and so the largest ballot a definition
may imply (20 questions of 10 options is about 90 KiB: the question limits alone do not
keep a ballot castable)."""


def _proof(branches: int) -> JsonValue:
    return {"challenges": [_POINT] * branches, "responses": [_POINT] * branches}


def _answer(question_id: str, options: int, branches: int) -> JsonValue:
    return {
        "question": question_id,
        "ciphertexts": [{"alpha": _POINT, "beta": _POINT}] * options,
        "option_proofs": [_proof(2)] * options,
        "selection_proof": _proof(branches),
    }


def _shape(method: str, options: int, k: int | None) -> tuple[int, int]:
    """(options on the ballot, branches of the selection proof) of one question."""
    if method == "yes_no_abstain":
        return 3, 1  # exactly one of Ja / Nein / Enthaltung
    if method == "up_to":
        return options, (k or 0) + 1  # 0 … k ticks
    return options, 1  # exactly one


def ballot_bytes(draft: ElectionDraft) -> int:
    """The length of a cast ballot of ``draft`` (canonical JSON, as sent and stored)."""
    answers: list[JsonValue] = []
    for question in draft.questions:
        count, branches = _shape(question.method, len(question.options), question.max_selections)
        answers.append(_answer(question.id, count, branches))
    ballot: JsonValue = {
        "election_id": _ELECTION_ID,
        "manifest_hash": _POINT,
        "credential": {"public_key": _POINT, "prefix": _POINT, "signature": _RSA_SIGNATURE},
        "answers": answers,
        "signature": _ED25519_SIGNATURE,
    }
    return len(canonical_json(ballot))


def fits_ballot(draft: ElectionDraft) -> bool:
    """Whether members will be able to cast a ballot of ``draft``."""
    return ballot_bytes(draft) <= MAX_BALLOT_BYTES
