"""Check an opened ballot (Benaloh cast-or-audit) from the vote page, offline.

The vote page's "Stimmzettel prüfen" writes the check data of an opened ballot
(``docs/browser-client.md``, "Checking an opened ballot"):

    {"format": "stimmwerk/ballot-audit/v1", "election_id", "ballot_hash",
     "ballot": <the encrypted ballot, unsigned>, "openings": [[[m, r hex], ...], ...],
     "choices": {question id: [option ids]}, "manifest": {...}, "keys": {...}}

`check_audit` redoes every encryption from the revealed (m, r) with this package's
Python code (`ballots.client.verify_audit`), not with the browser code that made the
ballot, and returns what the ballot contains. The election's public data should come
from elsewhere than the file (the server's ``client-data``, or the published record):
a file could carry a made-up election key under which other numbers "open" the same
ciphertexts. Without it, the copy in the file is used and the result says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ballots import ballot_format as fmt
from ballots.ballot_check import ElectionKeys
from ballots.client import AuditReveal, election_keys_from_record, verify_audit
from ballots.record import election_fingerprint

AUDIT_FORMAT = "stimmwerk/ballot-audit/v1"


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """The verdict; ``choices`` (question id → option ids) is what the ballot contains."""

    ok: bool
    problems: tuple[str, ...]
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ballot_hash: str = ""
    fingerprint: str = ""
    labels: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    """question id → (question text, option id → label), from the manifest used."""


def _fail(*problems: str) -> AuditOutcome:
    return AuditOutcome(ok=False, problems=problems)


def _reveal(document: Mapping[str, Any]) -> AuditReveal:
    openings = tuple(
        tuple((int(m), str(r)) for m, r in row)  # rows of [m, r hex]
        for row in document["openings"]
    )
    return AuditReveal(document["ballot"], openings)


def _labels(manifest: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, str]]]:
    return {
        str(q["id"]): (str(q["text"]), {str(o["id"]): str(o["label"]) for o in q["options"]})
        for q in manifest["questions"]
    }


def _fingerprint(keys: Mapping[str, Any]) -> str:
    if not keys.get("board_public_key"):
        return ""
    issuer = keys["issuer"]
    return election_fingerprint(
        keys["manifest_hash"],
        issuer["variant"],
        issuer["public_key_spki"],
        keys["board_public_key"],
    ).hex()


def _election_problem(document: Mapping[str, Any], keys: ElectionKeys) -> str | None:
    election_id = keys.manifest.election_id
    ballot = document["ballot"]
    if str(ballot.get("election_id")) != election_id or str(document.get("election_id")) != (
        election_id
    ):
        return "the check data belongs to another election"
    if ballot.get("manifest_hash") != keys.manifest.hash_hex:
        return "the ballot was made for another manifest"
    return None


def _choice_problems(
    document: Mapping[str, Any], keys: ElectionKeys, choices: Mapping[str, tuple[str, ...]]
) -> list[str]:
    problems = []
    claimed = document.get("choices")
    for question in keys.manifest.questions:
        found = choices[question.id]
        if isinstance(claimed, Mapping):
            said = sorted(str(o) for o in claimed.get(question.id, ()))
            if said != sorted(found):
                problems.append(f"question {question.id}: the listed choice differs")
        if not question.min_selections <= len(found) <= question.max_selections:
            problems.append(f"question {question.id}: number of choices not allowed")
    return problems


def check_audit(
    document: Mapping[str, Any], client_data: Mapping[str, Any] | None = None
) -> AuditOutcome:
    """Check the opened ballot ``document`` against the election data ``client_data``.

    ``client_data`` is ``{"manifest", "keys"}`` as ``GET /api/elections/{id}/client-data``
    answers; None uses the copy inside ``document``. Never raises on bad input.
    """
    if not isinstance(document, Mapping) or document.get("format") != AUDIT_FORMAT:
        return _fail("not check data of an opened ballot (format)")
    source = client_data if client_data is not None else document
    try:
        keys = election_keys_from_record(source["manifest"], source["keys"])
        ballot_hash = fmt.ballot_hash(fmt.ballot_line(document["ballot"]))
        wrong_election = _election_problem(document, keys)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return _fail(f"unreadable check data or election data ({type(error).__name__})")
    if wrong_election:
        return _fail(wrong_election)
    problems: list[str] = []
    if document.get("ballot_hash") not in (None, ballot_hash):
        problems.append("the ballot hash in the file is not that of its ballot")
    try:
        choices = verify_audit(keys, _reveal(document))
    except (KeyError, TypeError, ValueError):
        choices = None
    if choices is None:
        return _fail(*problems, "an encryption does not match its revealed numbers")
    problems.extend(_choice_problems(document, keys, choices))
    return AuditOutcome(
        ok=not problems,
        problems=tuple(problems),
        choices=choices,
        ballot_hash=ballot_hash,
        fingerprint=_fingerprint(source["keys"]),
        labels=_labels(source["manifest"]),
    )


def describe(outcome: AuditOutcome) -> list[str]:
    """The choices in words, one line per question (for the command line)."""
    lines = []
    for number, (question_id, (text, options)) in enumerate(outcome.labels.items(), start=1):
        chosen = [options.get(o, o) for o in outcome.choices.get(question_id, ())]
        lines.append(f"  {number}. {text}: {', '.join(chosen) if chosen else '(none: abstention)'}")
    return lines
