"""The tally's arithmetic and ``tally.json`` (pure; record format §7).

Protects the result against a wrong count on any side: the aggregate is the
homomorphic product of the board's ciphertexts (anyone recomputes it), the online
counts come only from partial decryptions with Chaum–Pedersen proofs, the postal line
is added as its own line, and turnout and quorum follow integer rules the verifier
repeats exactly (no floats: ``percent_x100 = floor(10000 · participants / eligible)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.core.i18n import N_
from ballots.codec import ciphertext_json, partial_json
from ballots.manifest import Manifest
from crypto.canonical import JsonValue
from crypto.elgamal import ZERO_CIPHERTEXT, Ciphertext
from crypto.threshold import PartialDecryption


@dataclass(frozen=True, slots=True)
class PostalLine:
    """Postal counts per question and option, invalid votes per question, envelopes."""

    counts: tuple[tuple[int, ...], ...]
    invalid: tuple[int, ...]
    envelopes: int

    @classmethod
    def zeros(cls, manifest: Manifest) -> PostalLine:
        counts = tuple(tuple(0 for _ in q.option_ids) for q in manifest.questions)
        return cls(counts, tuple(0 for _ in manifest.questions), 0)


def postal_errors(manifest: Manifest, line: PostalLine, postal_on_roll: int) -> dict[str, str]:
    """The consistency rules of a postal line; empty if it is fine.

    Every envelope holds one paper ballot; per question it is either valid or invalid.
    For "exactly one" questions the valid votes and the invalid ones add up to the
    envelopes; for "up to k" each envelope adds at most k crosses.
    """
    errors: dict[str, str] = {}
    if not 0 <= line.envelopes <= postal_on_roll:
        errors["envelopes"] = N_("There cannot be more envelopes than postal voters on the roll.")
    if len(line.counts) != len(manifest.questions) or len(line.invalid) != len(line.counts):
        errors["counts"] = N_("Enter counts for every question.")
        return errors
    for question, counts, invalid in zip(
        manifest.questions, line.counts, line.invalid, strict=True
    ):
        where = f"counts.{question.id}"
        valid = line.envelopes - invalid
        if len(counts) != len(question.option_ids) or min((*counts, invalid)) < 0 or valid < 0:
            errors[where] = N_("Enter a non-negative count for every option.")
        elif question.min_selections == question.max_selections == 1 and sum(counts) != valid:
            errors[where] = N_("Valid and invalid votes must add up to the envelopes.")
        elif sum(counts) > question.max_selections * valid or max(counts) > valid:
            errors[where] = N_("There are more votes than valid ballots allow.")
    return errors


@dataclass(frozen=True, slots=True)
class Turnout:
    eligible: int
    online_ballots: int
    postal_envelopes: int

    @property
    def participants(self) -> int:
        return self.online_ballots + self.postal_envelopes

    @property
    def percent_x100(self) -> int:
        """floor(10000 · participants / eligible); 0 for an empty roll."""
        return 0 if self.eligible == 0 else 10_000 * self.participants // self.eligible

    def quorum_met(self, min_percent: int | None) -> bool:
        return min_percent is None or self.percent_x100 >= 100 * min_percent

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "eligible": self.eligible,
            "online_ballots": self.online_ballots,
            "postal_envelopes": self.postal_envelopes,
            "participants": self.participants,
            "percent_x100": self.percent_x100,
        }


def empty_aggregate(manifest: Manifest) -> list[list[Ciphertext]]:
    return [[ZERO_CIPHERTEXT for _ in q.option_ids] for q in manifest.questions]


def add_ballot(
    aggregate: list[list[Ciphertext]], ciphertexts: Sequence[Sequence[Ciphertext]]
) -> None:
    """Multiply one ballot's ciphertexts into the running aggregate (in place)."""
    for row, ballot_row in zip(aggregate, ciphertexts, strict=True):
        for option, ciphertext in enumerate(ballot_row):
            row[option] = row[option] + ciphertext


def aggregate_json(aggregate: Sequence[Sequence[Ciphertext]]) -> list[JsonValue]:
    return [[ciphertext_json(c) for c in row] for row in aggregate]


@dataclass(frozen=True, slots=True)
class TallyInput:
    """Everything ``tally.json`` is made of, already checked by the services."""

    manifest: Manifest
    ballots_counted: int
    aggregate: Sequence[Sequence[Ciphertext]]
    partials: Mapping[int, Sequence[Sequence[PartialDecryption]]]
    """trustee index -> per question, per option."""
    online: Sequence[Sequence[int]]
    postal: PostalLine
    eligible: int
    statement: Mapping[str, JsonValue] | None = None
    """Record v3: the outcome statement the partial decryptions are bound to."""


def tally_document(data: TallyInput) -> dict[str, JsonValue]:
    """The ``tally.json`` object."""
    turnout = Turnout(data.eligible, data.ballots_counted, data.postal.envelopes)
    quorum_met = turnout.quorum_met(data.manifest.quorum_percent)
    questions: list[JsonValue] = []
    for q, question in enumerate(data.manifest.questions):
        online = list(data.online[q])
        postal_counts = list(data.postal.counts[q])
        questions.append(
            {
                "question": question.id,
                "aggregate": [ciphertext_json(c) for c in data.aggregate[q]],
                "partial_decryptions": [
                    {"trustee": trustee, "shares": [partial_json(p) for p in rows[q]]}
                    for trustee, rows in sorted(data.partials.items())
                ],
                "online": online,
                "postal": {
                    "counts": postal_counts,
                    "invalid": data.postal.invalid[q],
                    "envelopes": data.postal.envelopes,
                },
                "result": [a + b for a, b in zip(online, postal_counts, strict=True)],
            }
        )
    document: dict[str, JsonValue] = {
        "ballots_counted": data.ballots_counted,
        "questions": questions,
        "turnout": turnout.to_json(),
        "quorum_met": quorum_met,
        "binding": quorum_met,
    }
    if data.statement is not None:
        document["statement"] = dict(data.statement)
    return document
