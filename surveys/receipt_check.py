"""A member's receipt checked against the published survey record (record §10), offline.

What it protects, and against whom: the record alone shows that its checkpoints are
consistent with its answers (record §5.1), but the operator holds the board key and
could rebuild the whole board in another order (or without an answer) and sign every
checkpoint again; such a record verifies. A receipt holds the signed checkpoint that was
current when its answer was boarded, signed *before* anyone could know how the board
would be rewritten. `ballots.board.check_receipt_on_board` checks it against the
record's answers; this module reads the receipt and names the checks:

1. ``receipt.format``: the receipt's fields, for this survey (id and fingerprint);
2. ``receipt.checkpoint``: its checkpoint is signed by the record's board key;
3. ``receipt.inclusion``: its inclusion path puts ``answer_hash`` at ``index`` under
   that checkpoint (RFC 9162 §2.1.3.2);
4. ``receipt.place``: line ``index`` of answers.jsonl is that answer;
5. ``receipt.consistency``: the record's board (all of answers.jsonl) is an append-only
   extension of the receipt's checkpoint (RFC 9162 §2.1.4 consistency proof).

A rewritten board fails 4 or 5 for every receipt whose checkpoint predates the rewrite,
so one member holding a receipt is enough to expose it. Pure: no database, no server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ballots.board import Receipt, check_receipt_on_board
from surveys import answer_format as fmt
from surveys.verifier import Report, answer_lines, board_verifier, read_setup

RECEIPT_KEYS: Final = frozenset(
    {"survey", "fingerprint", "answer_hash", "status", "index", "checkpoint", "inclusion_path"}
)
"""What ``GET /api/surveys/{id}/answers/{hash}`` gives for an answer on the board."""
_HEX = frozenset("0123456789abcdef")
_MESSAGES: Final = {
    "checkpoint": "the receipt's checkpoint is not signed by this survey's board key",
    "inclusion": "the receipt's path does not put its answer at its place in its checkpoint",
    "place": "answers.jsonl does not hold the receipt's answer at the receipt's place",
    "consistency": "the record's answers are not an append-only extension of the receipt's "
    "checkpoint: the board was rewritten after the receipt was given out",
}


def verify_receipt(files: Mapping[str, bytes], receipt: object) -> Report:
    """Every check of record §10 for one receipt (the JSON object the API gave)."""
    report = Report()
    setup = read_setup(files, Report())
    if setup is None:
        report.fail("receipt.format", "the record's survey.json does not verify")
        return report
    value: Any = receipt
    if isinstance(value, dict) and set(value) == {"receipt"}:
        value = value["receipt"]  # the API's answer as saved
    problem = _problem(value, setup.survey_id, setup.fingerprint)
    if not report.check("receipt.format", problem is None, str(problem)):
        return report
    parsed = Receipt(
        ballot_hash=value["answer_hash"],
        index=value["index"],
        checkpoint=value["checkpoint"],
        path=tuple(value["inclusion_path"]),
    )
    outcome = check_receipt_on_board(
        parsed,
        board_verifier(setup.origin, setup.board_key),
        origin=setup.origin,
        leaves=[fmt.answer_leaf(line) for line in answer_lines(files)],
    )
    for name, ok in outcome.items():
        if not report.check(f"receipt.{name}", ok, _MESSAGES[name]) and name == "checkpoint":
            break
    return report


def _problem(value: Any, survey_id: str, fingerprint: str) -> str | None:
    if not isinstance(value, dict) or set(value) != RECEIPT_KEYS:
        return "a receipt holds exactly " + ", ".join(sorted(RECEIPT_KEYS))
    if value["survey"] != survey_id or value["fingerprint"] != fingerprint:
        return "the receipt is for another survey (id or fingerprint differs)"
    path = value["inclusion_path"]
    shapes = (
        value["status"] == "on_board",
        _is_hex32(value["answer_hash"]),
        type(value["index"]) is int and value["index"] >= 0,
        isinstance(value["checkpoint"], str),
        isinstance(path, list) and all(_is_hex32(h) for h in path),
    )
    if not all(shapes):
        return "status on_board, answer_hash and path of 64 hex, index ≥ 0, checkpoint text"
    return None


def _is_hex32(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX  # noqa: PLR2004
