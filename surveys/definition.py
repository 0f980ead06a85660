"""The survey manifest: questions, their rules, and the rules every answer must keep.

Pure: no database, no web. The same functions serve the staff's editor (a definition is
refused with the question named), the server's answer check (conditions and limits are
checked again there, whatever the browser did) and the record verifier
(``surveys.verifier``), so the three can never disagree about what an answer may be.

A manifest is canonical JSON (RFC 8785 through ``crypto.canonical``); its hash
(``manifest_hash``) is what a survey freezes when it opens and what every credential
and answer is bound to. Format and rules: ``docs/surveys/record.md`` §2.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from crypto.canonical import CanonicalError, JsonValue, canonical_json, domain_hash_hex

MANIFEST_FORMAT: Final = "stimmwerk-survey/1"
MANIFEST_LABEL: Final = "stimmwerk/survey-manifest/v1"

SINGLE: Final = "single_choice"
MULTIPLE: Final = "multiple_choice"
YES_NO: Final = "yes_no_abstain"
SCALE: Final = "scale"
MATRIX: Final = "matrix"
RANKING: Final = "ranking"
NUMBER: Final = "number"
SHORT_TEXT: Final = "short_text"
LONG_TEXT: Final = "long_text"
QUESTION_TYPES: Final = (
    SINGLE,
    MULTIPLE,
    YES_NO,
    SCALE,
    MATRIX,
    RANKING,
    NUMBER,
    SHORT_TEXT,
    LONG_TEXT,
)
YES_NO_VALUES: Final = ("yes", "no", "abstain")
SCALES: Final = ((1, 5), (1, 10), (0, 10))
TEXT_LIMITS: Final = {SHORT_TEXT: 500, LONG_TEXT: 10_000}
MAX_OPTIONS: Final = 50
MAX_STATEMENTS: Final = 30
MAX_QUESTIONS: Final = 200
MAX_SECTIONS: Final = 30
NUMBER_BOUND: Final = 10**12
CONDITIONAL_TYPES: Final = (SINGLE, MULTIPLE, YES_NO)
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class DefinitionError(ValueError):
    """A survey definition breaks a rule; ``question`` names the question (or None)."""

    def __init__(self, question: str | None, code: str, message: str) -> None:
        super().__init__(f"{question}: {message}" if question else message)
        self.question = question
        self.code = code
        self.message = message


class AnswerRefused(ValueError):
    """An answer breaks a rule of the manifest; ``question`` names the question."""

    def __init__(self, question: str | None, code: str, message: str) -> None:
        super().__init__(f"{question}: {message}" if question else message)
        self.question = question
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Question:
    """One checked question; ``spec`` is its canonical JSON object."""

    id: str
    type: str
    required: bool
    option_ids: tuple[str, ...]
    statement_ids: tuple[str, ...]
    low: int
    high: int
    min_choices: int
    max_choices: int
    max_length: int
    condition_question: str | None
    condition_values: frozenset[str]


@dataclass(frozen=True, slots=True)
class SurveyManifest:
    """A checked manifest: its canonical JSON, its hash and the questions in order."""

    document: Mapping[str, JsonValue]
    questions: tuple[Question, ...]

    @property
    def canonical(self) -> bytes:
        return canonical_json(self.document)

    @property
    def hash_hex(self) -> str:
        return domain_hash_hex(MANIFEST_LABEL, self.document)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


# --- reading a definition ------------------------------------------------------------


def _text(value: object, where: str | None, field: str, low: int, high: int) -> str:
    if not isinstance(value, str):
        raise DefinitionError(where, f"{field}_type", f"{field} must be text")
    stripped = value.strip()
    if not low <= len(stripped) <= high:
        raise DefinitionError(
            where, f"{field}_length", f"{field} must have {low} to {high} characters"
        )
    return stripped


def _int(value: object, where: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(where, f"{field}_type", f"{field} must be a whole number")
    if not -NUMBER_BOUND <= value <= NUMBER_BOUND:
        raise DefinitionError(where, f"{field}_range", f"{field} is out of range")
    return value


def _ident(value: object, where: str | None, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise DefinitionError(
            where, f"{field}_id", f"{field} id must be 1-32 of a-z, 0-9, '_' or '-'"
        )
    return value


def _object(
    value: object, where: str | None, keys: set[str], required: set[str]
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(where, "not_object", "must be an object")
    unknown = set(value) - keys
    if unknown:
        raise DefinitionError(where, "unknown_field", f"unknown field {min(unknown)!r}")
    missing = required - set(value)
    if missing:
        raise DefinitionError(where, "missing_field", f"missing field {min(missing)!r}")
    return value


def _labelled(
    value: object, where: str, field: str, low: int, high: int
) -> list[dict[str, JsonValue]]:
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise DefinitionError(where, f"{field}_count", f"{field}: {low} to {high} entries")
    seen: set[str] = set()
    out: list[dict[str, JsonValue]] = []
    for entry in value:
        item = _object(entry, where, {"id", "label"}, {"id", "label"})
        ident = _ident(item["id"], where, field)
        if ident in seen:
            raise DefinitionError(where, f"{field}_duplicate", f"{field} id {ident!r} twice")
        seen.add(ident)
        out.append({"id": ident, "label": _text(item["label"], where, "label", 1, 300)})
    return out


_COMMON = {"id", "type", "text", "help", "required", "condition"}
_EXTRA: Mapping[str, set[str]] = {
    SINGLE: {"options", "shuffle"},
    MULTIPLE: {"options", "shuffle", "min", "max"},
    YES_NO: set(),
    SCALE: {"min", "max", "low_label", "high_label"},
    MATRIX: {"statements", "min", "max", "low_label", "high_label", "shuffle"},
    RANKING: {"options", "shuffle", "max"},
    NUMBER: {"min", "max"},
    SHORT_TEXT: {"max_length"},
    LONG_TEXT: {"max_length"},
}


def _scale(raw: Mapping[str, Any], where: str, spec: dict[str, JsonValue]) -> tuple[int, int]:
    low, high = _int(raw.get("min"), where, "min"), _int(raw.get("max"), where, "max")
    if (low, high) not in SCALES:
        raise DefinitionError(where, "scale_range", "scale must be 1-5, 1-10 or 0-10")
    spec["min"], spec["max"] = low, high
    spec["low_label"] = _text(raw.get("low_label", ""), where, "low_label", 0, 100)
    spec["high_label"] = _text(raw.get("high_label", ""), where, "high_label", 0, 100)
    return low, high


def _question(
    raw: object, earlier: Mapping[str, Question]
) -> tuple[dict[str, JsonValue], Question]:
    where_raw = raw.get("id") if isinstance(raw, Mapping) else None
    where = where_raw if isinstance(where_raw, str) else None
    head = _object(raw, where, set().union(*_EXTRA.values(), _COMMON), {"id", "type", "text"})
    qid = _ident(head["id"], where, "question")
    kind = head["type"]
    if kind not in QUESTION_TYPES:
        raise DefinitionError(qid, "type", f"unknown question type {kind!r}")
    item = _object(head, qid, _COMMON | _EXTRA[kind], {"id", "type", "text"})
    required = item.get("required", True)
    if not isinstance(required, bool):
        raise DefinitionError(qid, "required_type", "required must be true or false")
    spec: dict[str, JsonValue] = {
        "id": qid,
        "type": kind,
        "text": _text(item["text"], qid, "text", 1, 1000),
        "help": _text(item.get("help", ""), qid, "help", 0, 2000),
        "required": required,
    }
    limits = _LIMIT_READERS[kind](item, qid, spec)
    cond_q, cond_values = _condition(item.get("condition"), qid, earlier)
    if cond_q is not None:
        spec["condition"] = {"question": cond_q, "in": sorted(cond_values)}
    question = Question(
        qid, kind, required, limits.options, limits.statements, limits.low, limits.high,
        limits.min_choices, limits.max_choices, limits.max_length, cond_q, frozenset(cond_values),
    )  # fmt: skip
    return spec, question


@dataclass(frozen=True, slots=True)
class _Limits:
    options: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    min_choices: int = 0
    max_choices: int = 0
    max_length: int = 0


def _options(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> tuple[str, ...]:
    labelled = _labelled(item.get("options"), qid, "option", 2, MAX_OPTIONS)
    spec["options"] = labelled
    spec["shuffle"] = _flag(item.get("shuffle", False), qid)
    return tuple(str(o["id"]) for o in labelled)


def _single(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    return _Limits(options=_options(item, qid, spec), min_choices=1, max_choices=1)


def _multiple(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    options = _options(item, qid, spec)
    low = _int(item.get("min", 0), qid, "min")
    high = _int(item.get("max", len(options)), qid, "max")
    if not 0 <= low <= high <= len(options) or high < 1:
        raise DefinitionError(qid, "choice_limits", "need 0 <= min <= max <= options, max >= 1")
    spec["min"], spec["max"] = low, high
    return _Limits(options=options, min_choices=low, max_choices=high)


def _ranking(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    options = _options(item, qid, spec)
    high = _int(item.get("max", len(options)), qid, "max")
    if not 1 <= high <= len(options):
        raise DefinitionError(qid, "rank_limit", "rank between 1 and all options")
    spec["max"] = high
    return _Limits(options=options, min_choices=1, max_choices=high)


def _yes_no(_item: Mapping[str, Any], _qid: str, _spec: dict[str, JsonValue]) -> _Limits:
    return _Limits(options=YES_NO_VALUES)


def _scale_limits(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    low, high = _scale(item, qid, spec)
    return _Limits(low=low, high=high)


def _matrix(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    labelled = _labelled(item.get("statements"), qid, "statement", 1, MAX_STATEMENTS)
    spec["statements"] = labelled
    spec["shuffle"] = _flag(item.get("shuffle", False), qid)
    low, high = _scale(item, qid, spec)
    return _Limits(statements=tuple(str(s["id"]) for s in labelled), low=low, high=high)


def _number(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    low, high = _int(item.get("min"), qid, "min"), _int(item.get("max"), qid, "max")
    if low > high:
        raise DefinitionError(qid, "number_range", "min must not exceed max")
    spec["min"], spec["max"] = low, high
    return _Limits(low=low, high=high)


def _free_text(item: Mapping[str, Any], qid: str, spec: dict[str, JsonValue]) -> _Limits:
    limit = TEXT_LIMITS[str(spec["type"])]
    max_len = _int(item.get("max_length", limit), qid, "max_length")
    if not 1 <= max_len <= limit:
        raise DefinitionError(qid, "text_limit", f"max_length must be 1 to {limit}")
    spec["max_length"] = max_len
    return _Limits(max_length=max_len)


_LIMIT_READERS: Mapping[str, Callable[[Mapping[str, Any], str, dict[str, JsonValue]], _Limits]] = {
    SINGLE: _single,
    MULTIPLE: _multiple,
    RANKING: _ranking,
    YES_NO: _yes_no,
    SCALE: _scale_limits,
    MATRIX: _matrix,
    NUMBER: _number,
    SHORT_TEXT: _free_text,
    LONG_TEXT: _free_text,
}


def _flag(value: object, qid: str) -> bool:
    if not isinstance(value, bool):
        raise DefinitionError(qid, "shuffle_type", "shuffle must be true or false")
    return value


def _condition(
    raw: object, qid: str, earlier: Mapping[str, Question]
) -> tuple[str | None, set[str]]:
    """``{"question": id, "in": [values]}``: shown only if that earlier answer is one of them.

    Only earlier questions can be named, so conditions can never form a cycle; only
    choice questions, so "is one of" has one meaning (for multiple choice: any chosen).
    """
    if raw is None:
        return None, set()
    cond = _object(raw, qid, {"question", "in"}, {"question", "in"})
    target = cond["question"]
    if not isinstance(target, str) or target not in earlier:
        raise DefinitionError(qid, "condition_target", "condition must name an earlier question")
    other = earlier[target]
    if other.type not in CONDITIONAL_TYPES:
        raise DefinitionError(
            qid, "condition_type", "condition must name a choice or yes/no question"
        )
    values = cond["in"]
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v in other.option_ids for v in values)
        or len(set(values)) != len(values)
    ):
        raise DefinitionError(
            qid, "condition_values", f"condition values must be options of {target}"
        )
    return target, set(values)


def read_definition(raw: object) -> SurveyManifest:
    """Check a survey definition (staff input or a stored manifest) and canonicalise it.

    Raises:
        DefinitionError: the first rule broken, with the question named where there is one.
    """
    top = _object(raw, None, {"format", "title", "intro", "sections"}, {"title", "sections"})
    if top.get("format", MANIFEST_FORMAT) != MANIFEST_FORMAT:
        raise DefinitionError(None, "format", f"format must be {MANIFEST_FORMAT}")
    sections_raw = top["sections"]
    if not isinstance(sections_raw, list) or not 1 <= len(sections_raw) <= MAX_SECTIONS:
        raise DefinitionError(None, "section_count", f"1 to {MAX_SECTIONS} sections")
    questions: dict[str, Question] = {}
    sections: list[JsonValue] = []
    section_ids: set[str] = set()
    for raw_section in sections_raw:
        section = _object(raw_section, None, {"id", "title", "questions"}, {"id", "questions"})
        sid = _ident(section["id"], None, "section")
        if sid in section_ids:
            raise DefinitionError(None, "section_duplicate", f"section id {sid!r} twice")
        section_ids.add(sid)
        items = section["questions"]
        if not isinstance(items, list) or not items:
            raise DefinitionError(None, "section_empty", f"section {sid!r} has no questions")
        specs: list[JsonValue] = []
        for raw_question in items:
            spec, question = _question(raw_question, questions)
            if question.id in questions:
                raise DefinitionError(question.id, "question_duplicate", "question id used twice")
            questions[question.id] = question
            specs.append(spec)
        sections.append(
            {
                "id": sid,
                "title": _text(section.get("title", ""), None, "section title", 0, 200),
                "questions": specs,
            }
        )
    if len(questions) > MAX_QUESTIONS:
        raise DefinitionError(None, "question_count", f"at most {MAX_QUESTIONS} questions")
    document: dict[str, JsonValue] = {
        "format": MANIFEST_FORMAT,
        "title": _text(top["title"], None, "title", 1, 200),
        "intro": _text(top.get("intro", ""), None, "intro", 0, 5000),
        "sections": sections,
    }
    try:
        canonical_json(document)
    except CanonicalError as error:
        raise DefinitionError(None, "encoding", str(error)) from error
    return SurveyManifest(document, tuple(questions.values()))


# --- checking answers -----------------------------------------------------------------


def shown(question: Question, answers: Mapping[str, Any]) -> bool:
    """Is the question shown, given the (already checked) earlier answers?"""
    if question.condition_question is None:
        return True
    given = answers.get(question.condition_question)
    if given is None:
        return False
    chosen = set(given) if isinstance(given, list) else {given}
    return bool(chosen & question.condition_values)


def _choice_list(question: Question, value: object, low: int, high: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerRefused(question.id, "not_list", "answer must be a list of options")
    unknown = [v for v in value if v not in question.option_ids]
    if unknown:
        raise AnswerRefused(question.id, "unknown_option", f"unknown option {unknown[0]!r}")
    if len(set(value)) != len(value):
        raise AnswerRefused(question.id, "repeated_option", "an option is given twice")
    if len(value) < low:
        raise AnswerRefused(question.id, "too_few", f"choose at least {low}")
    if len(value) > high:
        raise AnswerRefused(question.id, "too_many", f"choose at most {high}")
    return list(value)


def _in_scale(question: Question, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerRefused(question.id, "not_number", "answer must be a whole number")
    if not question.low <= value <= question.high:
        raise AnswerRefused(
            question.id, "out_of_range", f"answer must be {question.low} to {question.high}"
        )
    return value


def _value(question: Question, value: object) -> JsonValue:
    """The canonical form of one answer, or `AnswerRefused`."""
    kind = question.type
    if kind in (SINGLE, YES_NO):
        if not isinstance(value, str) or value not in question.option_ids:
            raise AnswerRefused(question.id, "unknown_option", "unknown option")
        return value
    if kind == MULTIPLE:
        chosen = set(
            _choice_list(question, value, max(question.min_choices, 1), question.max_choices)
        )
        return [o for o in question.option_ids if o in chosen]  # canonical: option order
    if kind == RANKING:
        return _choice_list(question, value, 1, question.max_choices)
    if kind in (SCALE, NUMBER):
        return _in_scale(question, value)
    if kind == MATRIX:
        if not isinstance(value, Mapping) or set(value) != set(question.statement_ids):
            raise AnswerRefused(question.id, "statements", "rate every statement of the matrix")
        return {s: _in_scale(question, value[s]) for s in question.statement_ids}
    if not isinstance(value, str) or not value.strip():
        raise AnswerRefused(question.id, "not_text", "answer must be non-empty text")
    if len(value) > question.max_length:
        raise AnswerRefused(
            question.id, "too_long", f"text longer than {question.max_length} characters"
        )
    return value


def check_answers(manifest: SurveyManifest, raw: object) -> dict[str, JsonValue]:
    """Check one respondent's answers against every rule; return their canonical form.

    Omitted question = not answered. A question whose condition is false must not be
    answered; a required question that is shown must be. Multiple-choice answers with
    ``min`` 0 are omitted, not sent empty.

    Raises:
        AnswerRefused: the first rule broken, with the question named.
    """
    if not isinstance(raw, Mapping):
        raise AnswerRefused(None, "not_object", "answers must be an object")
    known = {q.id for q in manifest.questions}
    unknown = sorted(set(raw) - known, key=str)
    if unknown:
        raise AnswerRefused(str(unknown[0]), "unknown_question", "no such question")
    out: dict[str, JsonValue] = {}
    for question in manifest.questions:
        visible = shown(question, out)
        if question.id not in raw:
            if visible and question.required:
                raise AnswerRefused(question.id, "required", "this question must be answered")
            continue
        if not visible:
            raise AnswerRefused(
                question.id,
                "condition_false",
                "this question is not asked (its condition is false)",
            )
        out[question.id] = _value(question, raw[question.id])
    return out


# --- results --------------------------------------------------------------------------


def empty_tally(manifest: SurveyManifest) -> dict[str, Any]:
    return {"respondents": 0, "questions": {q.id: _empty(q) for q in manifest.questions}}


def _empty(question: Question) -> dict[str, Any]:
    entry: dict[str, Any] = {"answered": 0}
    if question.type in (SINGLE, MULTIPLE, YES_NO):
        entry["counts"] = dict.fromkeys(question.option_ids, 0)
    elif question.type == RANKING:
        entry["positions"] = {o: [0] * question.max_choices for o in question.option_ids}
        entry["points"] = dict.fromkeys(question.option_ids, 0)
    elif question.type == SCALE:
        entry["counts"] = {str(v): 0 for v in range(question.low, question.high + 1)}
        entry["sum"] = 0
    elif question.type == MATRIX:
        entry["counts"] = {
            s: {str(v): 0 for v in range(question.low, question.high + 1)}
            for s in question.statement_ids
        }
    elif question.type == NUMBER:
        entry["sum"] = 0
        entry["min"] = None
        entry["max"] = None
    return entry


def add_to_tally(
    manifest: SurveyManifest, tally: dict[str, Any], answers: Mapping[str, Any]
) -> None:
    """Count one respondent's *checked* answers into ``tally`` (from `empty_tally`).

    Only integers: percentages and means are for display and are computed from these.
    Free text is counted as answered; the texts themselves are in the record.
    """
    tally["respondents"] += 1
    for question in manifest.questions:
        if question.id not in answers:
            continue
        entry = tally["questions"][question.id]
        entry["answered"] += 1
        _COUNTERS.get(question.type, _count_nothing)(question, entry, answers[question.id])


def _count_choice(_question: Question, entry: dict[str, Any], value: Any) -> None:
    entry["counts"][value] += 1


def _count_choices(_question: Question, entry: dict[str, Any], value: Any) -> None:
    for option in value:
        entry["counts"][option] += 1


def _count_ranking(question: Question, entry: dict[str, Any], value: Any) -> None:
    # points: a Borda count, k for the first place down to 1 for the k-th
    for position, option in enumerate(value):
        entry["positions"][option][position] += 1
        entry["points"][option] += question.max_choices - position


def _count_scale(_question: Question, entry: dict[str, Any], value: Any) -> None:
    entry["counts"][str(value)] += 1
    entry["sum"] += value


def _count_matrix(_question: Question, entry: dict[str, Any], value: Any) -> None:
    for statement, rating in value.items():
        entry["counts"][statement][str(rating)] += 1


def _count_number(_question: Question, entry: dict[str, Any], value: Any) -> None:
    entry["sum"] += value
    entry["min"] = value if entry["min"] is None else min(entry["min"], value)
    entry["max"] = value if entry["max"] is None else max(entry["max"], value)


def _count_nothing(_question: Question, _entry: dict[str, Any], _value: Any) -> None:
    """Free text: counted as answered; the texts themselves are in the record."""


_COUNTERS: Mapping[str, Callable[[Question, dict[str, Any], Any], None]] = {
    SINGLE: _count_choice,
    YES_NO: _count_choice,
    MULTIPLE: _count_choices,
    RANKING: _count_ranking,
    SCALE: _count_scale,
    MATRIX: _count_matrix,
    NUMBER: _count_number,
}


def tally(manifest: SurveyManifest, all_answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The results of one audience from its checked answers."""
    result = empty_tally(manifest)
    for answers in all_answers:
        add_to_tally(manifest, result, answers)
    return result


def merge_tallies(manifest: SurveyManifest, tallies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The tally of several groups of respondents together (classes into a breakdown row,
    classes into the member total, a running tally plus a new batch).

    Counts, sums and positions add up; a number question's ``min``/``max`` combine.
    """
    result = empty_tally(manifest)
    for part in tallies:
        result["respondents"] += part["respondents"]
        for question in manifest.questions:
            _merge_entry(result["questions"][question.id], part["questions"][question.id])
    return result


def _merge_entry(into: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if key in ("min", "max"):
            if value is not None:
                pick = min if key == "min" else max
                into[key] = value if into[key] is None else pick(into[key], value)
        elif isinstance(value, int):
            into[key] += value
        elif isinstance(value, list):
            into[key] = [a + b for a, b in zip(into[key], value, strict=True)]
        else:
            _merge_entry(into[key], value)


# --- the paper line (docs/surveys/record.md §6) -----------------------------------------

PAPER_COUNTED: Final = (SINGLE, YES_NO, MULTIPLE, SCALE, MATRIX)
"""Question types whose paper answers are counted per option; the others only as answered."""


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a message id for extraction (``make messages``). The paper line's refusals are
    translated where they are shown (`surveys.services.PaperLineInvalid`); this module
    keeps its own marker because it must not import the web app (import contract)."""
    return message


class PaperLineRefused(ValueError):
    """A paper line breaks one of its arithmetic rules; ``question`` names the question.

    ``message`` is a fixed message id (English, marked with ``N_``), so that the page can
    show it in German; the verifier prints it as it is.
    """

    def __init__(self, question: str | None, message: str) -> None:
        super().__init__(f"{question}: {message}" if question else message)
        self.question = question
        self.message = message


def _paper_count(value: Any, question: str | None, refusal: str) -> int:
    if type(value) is not int or value < 0 or value > NUMBER_BOUND:
        raise PaperLineRefused(question, refusal)
    return value


def _paper_counts(raw: Any, keys: Sequence[str], question: str, answered: int) -> dict[str, int]:
    if not isinstance(raw, Mapping) or set(raw) != set(keys):
        raise PaperLineRefused(question, N_("the counts must name exactly the question's options"))
    counts = {
        key: _paper_count(raw[key], question, N_("each count must be a whole number ≥ 0"))
        for key in keys
    }
    if any(count > answered for count in counts.values()):
        raise PaperLineRefused(
            question, N_("no option can have more marks than sheets that answered the question")
        )
    return counts


def check_paper_line(manifest: SurveyManifest, line: Any) -> dict[str, Any]:
    """The paper line in canonical form, or `PaperLineRefused` naming the broken rule.

    A paper line is what two staff members counted from the returned questionnaires:
    ``{"questionnaires": n, "questions": {id: {"answered": a, "counts": {...}}}}``.
    Rules (record §6.2): every count a whole number; ``answered ≤ questionnaires``; for
    single choice, yes/no/abstain and scale the counts add up to ``answered``; multiple
    choice within ``min·answered ≤ Σ ≤ max·answered`` and each option ``≤ answered``;
    each matrix statement's counts add up to at most ``answered``; ranking, number and
    free text carry only ``answered`` (paper answers of these are not counted).
    """
    if not isinstance(line, Mapping) or set(line) != {"questionnaires", "questions"}:
        raise PaperLineRefused(None, N_("a paper line holds questionnaires and questions"))
    total = _paper_count(
        line["questionnaires"],
        None,
        N_("the number of questionnaires must be a whole number ≥ 0"),
    )
    raw_questions = line["questions"]
    ids = [q.id for q in manifest.questions]
    if not isinstance(raw_questions, Mapping) or set(raw_questions) != set(ids):
        raise PaperLineRefused(None, N_("the paper line must name exactly the survey's questions"))
    questions = {q.id: _paper_question(q, raw_questions[q.id], total) for q in manifest.questions}
    return {"questionnaires": total, "questions": questions}


def _paper_question(question: Question, raw: Any, total: int) -> dict[str, Any]:
    counted = question.type in PAPER_COUNTED
    expected = {"answered", "counts"} if counted else {"answered"}
    if not isinstance(raw, Mapping) or set(raw) != expected:
        raise PaperLineRefused(
            question.id,
            N_("the question must hold exactly the number of sheets that answered and the counts")
            if counted
            else N_("the question must hold only the number of sheets that answered"),
        )
    answered = _paper_count(
        raw["answered"],
        question.id,
        N_("the number of sheets that answered must be a whole number ≥ 0"),
    )
    if answered > total:
        raise PaperLineRefused(
            question.id, N_("more sheets answered the question than questionnaires came back")
        )
    entry: dict[str, Any] = {"answered": answered}
    if question.type == MATRIX:
        entry["counts"] = _paper_matrix(question, raw["counts"], answered)
    elif counted:
        keys = (
            [str(v) for v in range(question.low, question.high + 1)]
            if question.type == SCALE
            else list(question.option_ids)
        )
        counts = _paper_counts(raw["counts"], keys, question.id, answered)
        marks = sum(counts.values())
        if question.type == MULTIPLE:
            low, high = question.min_choices * answered, question.max_choices * answered
            if not low <= marks <= high:
                raise PaperLineRefused(
                    question.id, N_("the marks are outside the allowed number of choices")
                )
        elif marks != answered:
            raise PaperLineRefused(
                question.id, N_("the counts must add up to the sheets that answered the question")
            )
        entry["counts"] = counts
    return entry


def _paper_matrix(question: Question, raw: Any, answered: int) -> dict[str, Any]:
    scale = [str(v) for v in range(question.low, question.high + 1)]
    if not isinstance(raw, Mapping) or set(raw) != set(question.statement_ids):
        raise PaperLineRefused(question.id, N_("the counts must name exactly the statements"))
    rows = {}
    for statement in question.statement_ids:
        row = _paper_counts(raw[statement], scale, question.id, answered)
        if sum(row.values()) > answered:
            raise PaperLineRefused(
                question.id, N_("a statement has more marks than sheets that answered")
            )
        rows[statement] = row
    return rows


def paper_tally(manifest: SurveyManifest, line: Mapping[str, Any]) -> dict[str, Any]:
    """The paper line (checked) in the shape of an audience's tally, for results.json."""
    result = empty_tally(manifest)
    result["respondents"] = line["questionnaires"]
    for question in manifest.questions:
        entry = result["questions"][question.id]
        given = line["questions"][question.id]
        entry["answered"] = given["answered"]
        if "counts" in given:
            entry["counts"] = copy.deepcopy(given["counts"])
        if question.type == SCALE:
            entry["sum"] = sum(int(v) * n for v, n in given["counts"].items())
    return result
