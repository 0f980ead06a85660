"""tally.json (record format §7): aggregates, partial decryptions, postal lines, result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ballots.record._ballots import CiphertextData, parse_ciphertext
from ballots.record._document import read_document
from ballots.record._fields import (
    POINT_BYTES,
    Loc,
    as_bool,
    as_hex,
    as_int,
    as_list,
    as_object,
    as_str,
    int_list,
)
from ballots.record._keys import ChallengeResponse, parse_challenge_response
from ballots.record._source import RecordSource
from ballots.record._statement import Statement, parse_statement

FILE: Final = "tally.json"
_KEYS: Final = ("ballots_counted", "questions", "turnout", "quorum_met", "binding")
_KEYS_V3: Final = (*_KEYS, "statement")
_QUESTION_KEYS: Final = (
    "question",
    "aggregate",
    "partial_decryptions",
    "online",
    "postal",
    "result",
)
_TURNOUT_KEYS: Final = (
    "eligible",
    "online_ballots",
    "postal_envelopes",
    "participants",
    "percent_x100",
)


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """``M_j = alpha^{x_j}`` for one option, with its Chaum–Pedersen proof."""

    value: bytes
    proof: ChallengeResponse


@dataclass(frozen=True, slots=True)
class PartialDecryptionData:
    trustee: int
    shares: tuple[DecryptionShare, ...]


@dataclass(frozen=True, slots=True)
class PostalLine:
    counts: tuple[int, ...]
    invalid: int
    envelopes: int


@dataclass(frozen=True, slots=True)
class QuestionTally:
    question: str
    aggregate: tuple[CiphertextData, ...]
    partial_decryptions: tuple[PartialDecryptionData, ...]
    online: tuple[int, ...]
    postal: PostalLine
    result: tuple[int, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Turnout:
    eligible: int
    online_ballots: int
    postal_envelopes: int
    participants: int
    percent_x100: int


@dataclass(frozen=True, slots=True)
class Tally:
    ballots_counted: int
    questions: tuple[QuestionTally, ...]
    turnout: Turnout
    quorum_met: bool
    binding: bool
    loc: Loc
    statement: Statement | None = None
    """v3: the outcome statement the decryption proofs are bound to; None in version 2."""


def _share(value: object, loc: Loc) -> DecryptionShare:
    data = as_object(value, loc, ("value", "proof"))
    return DecryptionShare(
        as_hex(data["value"], loc.key("value"), POINT_BYTES),
        parse_challenge_response(data["proof"], loc.key("proof")),
    )


def _partial(value: object, loc: Loc) -> PartialDecryptionData:
    data = as_object(value, loc, ("trustee", "shares"))
    shares = as_list(data["shares"], loc.key("shares"), min_len=1)
    return PartialDecryptionData(
        as_int(data["trustee"], loc.key("trustee")),
        tuple(_share(item, loc.key("shares").index(i)) for i, item in enumerate(shares)),
    )


def _postal(value: object, loc: Loc) -> PostalLine:
    data = as_object(value, loc, ("counts", "invalid", "envelopes"))
    return PostalLine(
        int_list(data["counts"], loc.key("counts")),
        as_int(data["invalid"], loc.key("invalid")),
        as_int(data["envelopes"], loc.key("envelopes")),
    )


def _question(value: object, loc: Loc) -> QuestionTally:
    data = as_object(value, loc, _QUESTION_KEYS)
    aggregate = as_list(data["aggregate"], loc.key("aggregate"), min_len=1)
    partials = as_list(data["partial_decryptions"], loc.key("partial_decryptions"))
    return QuestionTally(
        question=as_str(data["question"], loc.key("question")),
        aggregate=tuple(
            parse_ciphertext(c, loc.key("aggregate").index(i)) for i, c in enumerate(aggregate)
        ),
        partial_decryptions=tuple(
            _partial(p, loc.key("partial_decryptions").index(i)) for i, p in enumerate(partials)
        ),
        online=int_list(data["online"], loc.key("online")),
        postal=_postal(data["postal"], loc.key("postal")),
        result=int_list(data["result"], loc.key("result")),
        loc=loc,
    )


def _turnout(value: object, loc: Loc) -> Turnout:
    data = as_object(value, loc, _TURNOUT_KEYS)
    numbers = [as_int(data[key], loc.key(key)) for key in _TURNOUT_KEYS]
    return Turnout(*numbers)


def parse_tally(value: object, loc: Loc, version: int = 3) -> Tally:
    """Parse the tally object; the arithmetic and proofs are the verifier's (§7, §8)."""
    data = as_object(value, loc, _KEYS_V3 if version >= 3 else _KEYS)  # noqa: PLR2004
    questions = as_list(data["questions"], loc.key("questions"), min_len=1)
    return Tally(
        ballots_counted=as_int(data["ballots_counted"], loc.key("ballots_counted")),
        questions=tuple(
            _question(q, loc.key("questions").index(i)) for i, q in enumerate(questions)
        ),
        turnout=_turnout(data["turnout"], loc.key("turnout")),
        quorum_met=as_bool(data["quorum_met"], loc.key("quorum_met")),
        binding=as_bool(data["binding"], loc.key("binding")),
        loc=loc,
        statement=(
            parse_statement(data["statement"], loc.key("statement"))
            if "statement" in data
            else None
        ),
    )


def read_tally(source: RecordSource, version: int = 3) -> Tally:
    value, loc = read_document(source, FILE)
    return parse_tally(value, loc, version)
