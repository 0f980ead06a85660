"""The election manifest (``manifest.json`` of the record, ``docs/election-record.md`` §1).

Pure: builds the manifest from a draft, checks one read back, and computes the election
hash ``manifest_hash = H("stimmwerk/manifest/v1", manifest)`` that every proof and
signature of the election is bound to. Protects against an election whose questions,
window or rules change after keys or ballots were made for it: any change changes the
hash, and every ballot proof, trustee proof and credential stops verifying.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from app.core.i18n import N_
from app.core.inputs import single_line_problem
from crypto.canonical import JsonValue, domain_hash
from crypto.proofs import MAX_BRANCHES

FORMAT: Final = "stimmwerk-election-record"
VERSION: Final = 3
VERSIONS: Final = (2, 3)
"""New elections get version 3; version-2 manifests of older elections still load."""
MANIFEST_LABEL: Final = "stimmwerk/manifest/v1"
METHODS: Final = ("yes_no_abstain", "one_of", "up_to")
YES_NO_ABSTAIN: Final = (("yes", "Ja"), ("no", "Nein"), ("abstain", "Enthaltung"))
MAX_QUESTIONS: Final = 20
MAX_OPTIONS: Final = 64
MAX_TRUSTEES: Final = 25
MAX_QUESTION_TEXT: Final = 2_000
MAX_OPTION_LABEL: Final = 500
_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


class ManifestError(ValueError):
    """A draft or manifest breaks a rule; ``errors`` maps a field path to a message id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class OptionDraft:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    """One question; ``options`` are ignored for yes/no/abstain (fixed Ja/Nein/Enthaltung)."""

    id: str
    text: str
    method: str
    options: tuple[OptionDraft, ...] = ()
    max_selections: int | None = None
    """k of an ``up_to`` question."""


@dataclass(frozen=True, slots=True)
class ElectionDraft:
    title: str
    description: str
    unit_code: str
    unit_name: str
    cutoff_at: datetime
    opens_at: datetime
    closes_at: datetime
    questions: tuple[QuestionDraft, ...]
    trustees: int
    threshold: int
    quorum_percent: int | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """What the ballot checks need of a question."""

    id: str
    method: str
    option_ids: tuple[str, ...]
    min_selections: int
    max_selections: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """A checked manifest with its hash (``raw`` is exactly what is hashed and published)."""

    raw: Mapping[str, JsonValue]
    hash: bytes
    election_id: str
    questions: tuple[Question, ...]
    trustees: int
    threshold: int
    quorum_percent: int | None
    board_origin: str

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()


def format_time(moment: datetime) -> str:
    """UTC, second precision: ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def manifest_hash(manifest: Mapping[str, JsonValue]) -> bytes:
    """``H("stimmwerk/manifest/v1", manifest)``, 32 bytes."""
    return domain_hash(MANIFEST_LABEL, manifest)


def board_origin(election_id: str) -> str:
    return f"stimmwerk/election/{election_id}"


def build_manifest(draft: ElectionDraft, election_id: str) -> Manifest:
    """Check ``draft`` and return the manifest of election ``election_id``.

    Raises:
        ManifestError: with one message id per faulty field.
    """
    errors = _draft_errors(draft)
    if errors:
        raise ManifestError(errors)
    quorum: JsonValue = None
    if draft.quorum_percent is not None:
        quorum = {"kind": "turnout", "min_percent": draft.quorum_percent}
    raw: dict[str, JsonValue] = {
        "format": FORMAT,
        "version": VERSION,
        "election_id": election_id,
        "title": draft.title.strip(),
        "description": draft.description.strip(),
        "unit": {"code": draft.unit_code, "name": draft.unit_name, "includes_sub_units": True},
        "cutoff_at": format_time(draft.cutoff_at),
        "opens_at": format_time(draft.opens_at),
        "closes_at": format_time(draft.closes_at),
        "questions": [_question_json(question) for question in draft.questions],
        "quorum": quorum,
        "trustees": {"n": draft.trustees, "threshold": draft.threshold},
        "board_origin": board_origin(election_id),
    }
    return read_manifest(raw)


def _question_json(question: QuestionDraft) -> JsonValue:
    if question.method == "yes_no_abstain":
        options = [OptionDraft(i, label) for i, label in YES_NO_ABSTAIN]
        low, high = 1, 1
    else:
        options = list(question.options)
        low, high = (1, 1) if question.method == "one_of" else (0, question.max_selections or 0)
    return {
        "id": question.id,
        "text": question.text.strip(),
        "method": question.method,
        "options": [{"id": option.id, "label": option.label.strip()} for option in options],
        "min_selections": low,
        "max_selections": high,
    }


def _draft_errors(draft: ElectionDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.title.strip() or len(draft.title) > 200:  # noqa: PLR2004
        errors["title"] = N_("Give the election a title of at most 200 characters.")
    elif single_line_problem(draft.title):
        # The title goes into mail subjects: no header injection, no hidden reordering.
        errors["title"] = single_line_problem(draft.title) or ""
    if len(draft.description) > 10_000:  # noqa: PLR2004
        errors["description"] = N_("The description is too long.")
    if not (draft.cutoff_at <= draft.opens_at < draft.closes_at):
        errors["window"] = N_(
            "The cut-off must not be after the opening, which must be before the closing."
        )
    if not 1 <= len(draft.questions) <= MAX_QUESTIONS:
        errors["questions"] = N_("Ask between 1 and 20 questions.")
    if len({question.id for question in draft.questions}) != len(draft.questions):
        errors["questions"] = N_("Each question needs its own id.")
    for index, question in enumerate(draft.questions):
        errors.update(_question_errors(f"questions[{index}]", question))
    if not 1 <= draft.threshold <= draft.trustees <= MAX_TRUSTEES:
        errors["trustees"] = N_("Need 1 ≤ threshold ≤ trustees ≤ 25.")
    if draft.quorum_percent is not None and not 1 <= draft.quorum_percent <= 100:  # noqa: PLR2004
        errors["quorum"] = N_("The quorum is a whole percentage between 1 and 100.")
    return errors


def _question_errors(where: str, question: QuestionDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if _ID_RE.fullmatch(question.id) is None:
        errors[f"{where}.id"] = N_("Use 1 to 32 lowercase letters, digits, '-' or '_' for an id.")
    if not question.text.strip():
        errors[f"{where}.text"] = N_("The question needs a text.")
    elif len(question.text) > MAX_QUESTION_TEXT:
        errors[f"{where}.text"] = N_("A question has at most 2,000 characters.")
    if question.method not in METHODS:
        errors[f"{where}.method"] = N_("The method must be yes_no_abstain, one_of or up_to.")
    elif question.method != "yes_no_abstain":
        errors.update(_option_errors(where, question))
    return errors


def _option_errors(where: str, question: QuestionDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    options = question.options
    if not 2 <= len(options) <= MAX_OPTIONS:  # noqa: PLR2004
        errors[f"{where}.options"] = N_("Offer between 2 and 64 options.")
    if len({option.id for option in options}) != len(options):
        errors[f"{where}.options"] = N_("Each option needs its own id.")
    if any(_ID_RE.fullmatch(o.id) is None or not o.label.strip() for o in options):
        errors[f"{where}.options"] = N_("Every option needs an id and a label.")
    elif any(len(o.label) > MAX_OPTION_LABEL or single_line_problem(o.label) for o in options):
        errors[f"{where}.options"] = N_("An option is one line of at most 500 characters.")
    if question.method == "up_to":
        k = question.max_selections
        if k is None or not 1 <= k <= len(options) or k + 1 > MAX_BRANCHES:
            errors[f"{where}.max_selections"] = N_("Allow between 1 and all options to be chosen.")
    return errors


def read_manifest(raw: Mapping[str, Any]) -> Manifest:
    """Check a manifest (built here or read back from the database) and hash it.

    Raises:
        ManifestError: if a field is missing or breaks a rule of the record format.
    """
    try:
        questions = tuple(_read_question(q) for q in raw["questions"])
        trustees = raw["trustees"]
        quorum = raw["quorum"]
        checked = Manifest(
            raw=raw,
            hash=manifest_hash(raw),
            election_id=str(raw["election_id"]),
            questions=questions,
            trustees=int(trustees["n"]),
            threshold=int(trustees["threshold"]),
            quorum_percent=None if quorum is None else int(quorum["min_percent"]),
            board_origin=str(raw["board_origin"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ManifestError({"manifest": f"malformed manifest: {error}"}) from error
    if raw.get("format") != FORMAT or raw.get("version") not in VERSIONS:
        raise ManifestError({"manifest": "not a version 2 or 3 Stimmwerk manifest"})
    if checked.board_origin != board_origin(checked.election_id):
        raise ManifestError({"board_origin": "the board origin does not name this election"})
    return checked


def _read_question(raw: Mapping[str, Any]) -> Question:
    options: Sequence[Mapping[str, Any]] = raw["options"]
    question = Question(
        id=str(raw["id"]),
        method=str(raw["method"]),
        option_ids=tuple(str(option["id"]) for option in options),
        min_selections=int(raw["min_selections"]),
        max_selections=int(raw["max_selections"]),
    )
    if not 0 <= question.min_selections <= question.max_selections <= len(options):
        raise ValueError(f"question {question.id}: selection bounds out of range")
    return question
