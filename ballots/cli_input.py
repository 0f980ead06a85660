"""Reading the CLI's input files: an election definition and postal figures (pure).

An election definition (JSON or TOML)::

    title = "Mitgliederentscheid Satzung"
    description = "…"
    unit = "LV-NW"                       # unit code; sub-units are included
    cutoff_at = "2026-11-01T00:00:00Z"
    opens_at = "2026-11-10T08:00:00Z"
    closes_at = "2026-11-24T18:00:00Z"
    quorum_percent = 20                  # optional; omit for no quorum
    threshold = 2
    trustees = ["a@example.org", "b@example.org", "c@example.org"]   # commission accounts

    [[questions]]
    id = "q1"
    text = "Soll die Satzung geändert werden?"
    method = "yes_no_abstain"

    [[questions]]
    id = "q2"
    text = "Wer soll …?"
    method = "up_to"                     # or "one_of"
    max_selections = 2
    options = [{id = "a", label = "Alpha"}, {id = "b", label = "Beta"}, {id = "c", label = "Gamma"}]

Postal figures (JSON or TOML), per question the counts by option id and the invalid
votes, and the number of envelopes::

    envelopes = 55
    [questions.q1]
    counts = {yes = 30, no = 20, abstain = 3}
    invalid = 2
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ballots.manifest import ElectionDraft, Manifest, OptionDraft, QuestionDraft
from ballots.tally import PostalLine


class InputError(ValueError):
    """The input file is unreadable or misses a field (the message says which)."""


def load_document(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            return tomllib.loads(text)
        value = json.loads(text)
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: {error}") from error
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected an object")
    return value


def _time(value: object, name: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as error:
            raise InputError(f"{name}: not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise InputError(f"{name}: give a time zone (e.g. Z for UTC)")
    return moment.astimezone(UTC)


def election_draft(document: Mapping[str, Any]) -> tuple[ElectionDraft, list[str]]:
    """The draft and the trustees' e-mail addresses (in index order)."""
    try:
        trustees = [str(email) for email in document["trustees"]]
        questions = tuple(_question(q) for q in document["questions"])
        quorum = document.get("quorum_percent")
        draft = ElectionDraft(
            title=str(document["title"]),
            description=str(document.get("description", "")),
            unit_code=str(document["unit"]),
            unit_name="",
            cutoff_at=_time(document["cutoff_at"], "cutoff_at"),
            opens_at=_time(document["opens_at"], "opens_at"),
            closes_at=_time(document["closes_at"], "closes_at"),
            questions=questions,
            trustees=len(trustees),
            threshold=int(document["threshold"]),
            quorum_percent=None if quorum is None else int(quorum),
        )
    except KeyError as missing:
        raise InputError(f"missing field {missing}") from missing
    except (TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(str(error)) from error
    return draft, trustees


def _question(raw: Mapping[str, Any]) -> QuestionDraft:
    options = []
    for index, option in enumerate(raw.get("options", ())):
        if isinstance(option, str):
            options.append(OptionDraft(f"o{index + 1}", option))
        else:
            options.append(OptionDraft(str(option["id"]), str(option["label"])))
    k = raw.get("max_selections")
    return QuestionDraft(
        id=str(raw["id"]),
        text=str(raw["text"]),
        method=str(raw["method"]),
        options=tuple(options),
        max_selections=None if k is None else int(k),
    )


def postal_line(document: Mapping[str, Any], manifest: Manifest) -> PostalLine:
    """Figures by option id → the positional `PostalLine` of the manifest."""
    try:
        per_question = document["questions"]
        counts, invalid = [], []
        for question in manifest.questions:
            entry = per_question[question.id]
            by_option = entry["counts"]
            if set(by_option) != set(question.option_ids):
                raise InputError(f"{question.id}: give a count for exactly the options")
            counts.append(tuple(int(by_option[o]) for o in question.option_ids))
            invalid.append(int(entry.get("invalid", 0)))
        return PostalLine(tuple(counts), tuple(invalid), int(document["envelopes"]))
    except KeyError as missing:
        raise InputError(f"missing field {missing}") from missing
    except (TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(str(error)) from error
