"""manifest.json (record format §1): what was asked, of whom, when, under which quorum."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ballots.record._document import read_document
from ballots.record._fields import (
    Loc,
    as_bool,
    as_int,
    as_list,
    as_object,
    as_str,
    as_timestamp,
    as_uuid,
)
from ballots.record._source import RecordSource

FILE: Final = "manifest.json"
FORMAT: Final = "stimmwerk-election-record"
VERSION: Final = 3
VERSIONS: Final = (2, 3)
"""Version 2 records still verify, with a warning naming what they lack (§0)."""
METHODS: Final = ("yes_no_abstain", "one_of", "up_to")
MAX_TRUSTEES: Final = 1000
MAX_OPTIONS: Final = 255
"""A selection proof has at most 256 branches (``max − min + 1``, primitives §5.3)."""
_ORIGIN_RE: Final = re.compile(r"[^\s+\x00-\x1f\x7f]+")
_KEYS: Final = (
    "format",
    "version",
    "election_id",
    "title",
    "description",
    "unit",
    "cutoff_at",
    "opens_at",
    "closes_at",
    "questions",
    "quorum",
    "trustees",
    "board_origin",
)
_QUESTION_KEYS: Final = ("id", "text", "method", "options", "min_selections", "max_selections")


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """One question; a ballot selects between ``min_selections`` and ``max_selections``."""

    id: str
    text: str
    method: str
    options: tuple[Option, ...]
    min_selections: int
    max_selections: int


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    includes_sub_units: bool


@dataclass(frozen=True, slots=True)
class Quorum:
    """``kind = "turnout"``: at least ``min_percent`` % of the eligible take part."""

    kind: str
    min_percent: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """The election manifest; ``value`` is the parsed JSON the election hash is taken of."""

    election_id: str
    title: str
    description: str
    unit: Unit
    cutoff_at: str
    opens_at: str
    closes_at: str
    questions: tuple[Question, ...]
    quorum: Quorum | None
    trustees: int
    threshold: int
    board_origin: str
    version: int
    value: object = field(compare=False, repr=False)


def _option(value: object, loc: Loc) -> Option:
    data = as_object(value, loc, ("id", "label"))
    return Option(
        as_str(data["id"], loc.key("id"), non_empty=True), as_str(data["label"], loc.key("label"))
    )


def _check_method(question: Question, loc: Loc) -> None:
    """§1: the options and selection bounds each method implies."""
    count, low, high = len(question.options), question.min_selections, question.max_selections
    if question.method == "yes_no_abstain" and (count, low, high) != (3, 1, 1):
        raise loc.error("yes_no_abstain needs 3 options and min = max = 1")
    if question.method == "one_of" and (count < 2 or (low, high) != (1, 1)):  # noqa: PLR2004
        raise loc.error("one_of needs at least 2 options and min = max = 1")
    if question.method == "up_to" and (low != 0 or not 1 <= high <= count):
        raise loc.error("up_to needs min = 0 and 1 ≤ max ≤ number of options")
    if len({option.id for option in question.options}) != count:
        raise loc.key("options").error("option ids are not distinct")


def _question(value: object, loc: Loc) -> Question:
    data = as_object(value, loc, _QUESTION_KEYS)
    method = as_str(data["method"], loc.key("method"))
    if method not in METHODS:
        raise loc.key("method").error(f"unknown method {method!r}")
    options = as_list(data["options"], loc.key("options"), min_len=1, max_len=MAX_OPTIONS)
    question = Question(
        id=as_str(data["id"], loc.key("id"), non_empty=True),
        text=as_str(data["text"], loc.key("text")),
        method=method,
        options=tuple(_option(item, loc.key("options").index(i)) for i, item in enumerate(options)),
        min_selections=as_int(
            data["min_selections"], loc.key("min_selections"), maximum=MAX_OPTIONS
        ),
        max_selections=as_int(
            data["max_selections"], loc.key("max_selections"), maximum=MAX_OPTIONS
        ),
    )
    _check_method(question, loc)
    return question


def _quorum(value: object, loc: Loc) -> Quorum | None:
    if value is None:
        return None
    data = as_object(value, loc, ("kind", "min_percent"))
    kind = as_str(data["kind"], loc.key("kind"))
    if kind != "turnout":
        raise loc.key("kind").error(f"unknown quorum kind {kind!r}")
    return Quorum(kind, as_int(data["min_percent"], loc.key("min_percent"), maximum=100))


def _unit(value: object, loc: Loc) -> Unit:
    data = as_object(value, loc, ("code", "name", "includes_sub_units"))
    return Unit(
        as_str(data["code"], loc.key("code")),
        as_str(data["name"], loc.key("name")),
        as_bool(data["includes_sub_units"], loc.key("includes_sub_units")),
    )


def _trustees(value: object, loc: Loc) -> tuple[int, int]:
    data = as_object(value, loc, ("n", "threshold"))
    n = as_int(data["n"], loc.key("n"), minimum=1, maximum=MAX_TRUSTEES)
    t = as_int(data["threshold"], loc.key("threshold"), minimum=1, maximum=n)
    return n, t


def _questions(value: object, loc: Loc) -> tuple[Question, ...]:
    items = as_list(value, loc, min_len=1)
    questions = tuple(_question(item, loc.index(i)) for i, item in enumerate(items))
    if len({question.id for question in questions}) != len(questions):
        raise loc.error("question ids are not distinct")
    return questions


def _header(data: Mapping[str, object], loc: Loc) -> int:
    if data["format"] != FORMAT:
        raise loc.key("format").error(f"expected {FORMAT!r}")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version not in VERSIONS:
        raise loc.key("version").error(f"expected format version {VERSION} (or {VERSIONS[0]})")
    return version


def _window(cutoff: str, opens: str, closes: str, loc: Loc) -> None:
    """§1: cut-off ≤ opening < closing (fixed-width UTC strings compare as times)."""
    if not cutoff <= opens:
        raise loc.key("opens_at").error("the election opens before the roll's cut-off")
    if not opens < closes:
        raise loc.key("closes_at").error("the election closes before (or when) it opens")


def parse_manifest(value: object, loc: Loc) -> Manifest:
    """Parse and check the manifest object (§1 including its *Clarified* rules)."""
    data = as_object(value, loc, _KEYS)
    version = _header(data, loc)
    n, t = _trustees(data["trustees"], loc.key("trustees"))
    election_id = as_uuid(data["election_id"], loc.key("election_id"))
    origin = as_str(data["board_origin"], loc.key("board_origin"))
    if _ORIGIN_RE.fullmatch(origin) is None:
        raise loc.key("board_origin").error("not a valid checkpoint origin (no spaces or '+')")
    if origin != f"stimmwerk/election/{election_id}":
        raise loc.key("board_origin").error("expected stimmwerk/election/<election_id>")
    cutoff, opens, closes = (
        as_timestamp(data[key], loc.key(key)) for key in ("cutoff_at", "opens_at", "closes_at")
    )
    _window(cutoff, opens, closes, loc)
    return Manifest(
        election_id=election_id,
        title=as_str(data["title"], loc.key("title")),
        description=as_str(data["description"], loc.key("description")),
        unit=_unit(data["unit"], loc.key("unit")),
        cutoff_at=as_timestamp(data["cutoff_at"], loc.key("cutoff_at")),
        opens_at=as_timestamp(data["opens_at"], loc.key("opens_at")),
        closes_at=as_timestamp(data["closes_at"], loc.key("closes_at")),
        questions=_questions(data["questions"], loc.key("questions")),
        quorum=_quorum(data["quorum"], loc.key("quorum")),
        trustees=n,
        threshold=t,
        board_origin=origin,
        version=version,
        value=value,
    )


def read_manifest(source: RecordSource) -> Manifest:
    """Read manifest.json from the record (RecordError on any deviation from §0/§1)."""
    value, loc = read_document(source, FILE)
    return parse_manifest(value, loc)
