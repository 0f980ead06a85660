"""The staff's survey editor: the form, its blocks, and the manifest it becomes.

The editor is one HTML form that works without JavaScript. Sections and questions are
blocks whose fields are named ``s{i}_title`` and ``s{i}_q{j}_{field}``; the submit
buttons ``action=add_question-{i}``, ``remove_question-{i}-{j}``, ``add_section``,
``remove_section-{i}`` and ``refresh`` re-render the form with every input kept, and
``save`` turns it into a definition (`to_definition`) that ``surveys.definition`` checks
once more (``surveys.services`` stores it). `form_of` fills the form from a stored
manifest, so editing a draft and copying a survey go through the same page.

Ids: a question keeps the id it got when its block was added (``q1``, ``q2`` …, never
reused within the form), so a condition naming it stays right when blocks above are
removed. Options and statements are lines of a text box; their ids are ``o1``, ``o2`` …
(``s1`` … for statements) in line order, so a condition names "the second line".
Errors come back under the form's own field names, so each is shown at its field.

A condition is a group of ticked boxes ``s{i}_q{j}_condition`` (one per option of the
earlier choice and yes/no questions, value ``"<question id>=<option id>"``): nothing
ticked means "always", several ticked options of one question mean "shown if the answer
is one of them". The server accepts only options offered to that block, all of one
question.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.i18n import N_, gettext
from app.core.inputs import SINGLE_LINE_MESSAGE, parse_whole, shows_nothing, single_line_problem
from surveys import definition as d
from surveys import services
from surveys.models import Survey

TIMEZONE: Final = ZoneInfo("Europe/Berlin")
MAX_FORM_QUESTIONS: Final = 60
"""More questions than a quick survey needs; the JSON API takes up to 200."""
DEFAULT_DAYS: Final = 14
SCALE_CHOICES: Final = ("1-5", "1-10", "0-10")
YES_NO_LABELS: Final = {"yes": N_("Yes"), "no": N_("No"), "abstain": N_("Abstain")}
TYPE_LABELS: Final = {
    d.SINGLE: N_("Single choice"),
    d.MULTIPLE: N_("Multiple choice"),
    d.YES_NO: N_("Yes / no / abstain"),
    d.SCALE: N_("Scale"),
    d.MATRIX: N_("Matrix (several statements on one scale)"),
    d.RANKING: N_("Ranking"),
    d.NUMBER: N_("Number"),
    d.SHORT_TEXT: N_("Short text"),
    d.LONG_TEXT: N_("Long text"),
}
_QUESTION_FIELD = re.compile(r"s(\d{1,2})_q(\d{1,2})_(\w+)")
_SECTION_FIELD = re.compile(r"s(\d{1,2})_title")
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
_FIRST_YEAR, _LAST_YEAR = 2000, 2999
_CHOICE_TYPES = (d.SINGLE, d.MULTIPLE, d.RANKING)

# German texts in app/translations/de/LC_MESSAGES/surveys_pages.po
NEEDED = N_("Please fill this in.")
TOO_LONG = N_("This is too long (at most {limit} characters).")
OPTIONS_COUNT = N_("Give 2 to 50 options, one per line.")
OPTIONS_TWICE = N_("An option is listed twice.")
STATEMENTS_COUNT = N_("Give 1 to 30 statements, one per line.")
WHOLE = N_("Please give a whole number.")
CHOICE_LIMITS = N_(
    "The numbers must satisfy 0 ≤ at least ≤ at most ≤ number of options, at most ≥ 1."
)
RANK_LIMIT = N_("Rank between 1 and all options.")
NUMBER_RANGE = N_("The smallest allowed number must not exceed the largest.")
TEXT_LIMIT = N_("The length limit must be 1 to {limit} characters.")
CONDITION_UNKNOWN = N_("The condition must name an option of an earlier choice question.")
CONDITION_ONE_QUESTION = N_(
    "A condition can name options of one earlier question only: tick options of the same question."
)
WHEN_FORMAT = N_("Please give a date and time.")
WINDOW = N_("The survey must close after it opens.")
NO_QUESTIONS = N_("A survey needs at least one question.")
TOO_MANY = N_("A survey in this form has at most 60 questions.")
SECTION_EMPTY = N_("This section has no questions: add one or remove the section.")
NOT_SAVED = N_("The survey was not saved: please check the fields marked.")


@dataclass
class QuestionForm:
    id: str
    type: str = d.SINGLE
    text: str = ""
    help: str = ""
    required: bool = True
    shuffle: bool = False
    options: str = ""
    choice_min: str = ""
    choice_max: str = ""
    rank_max: str = ""
    number_min: str = ""
    number_max: str = ""
    scale: str = "1-5"
    low_label: str = ""
    high_label: str = ""
    statements: str = ""
    max_length: str = ""
    condition: list[str] = field(default_factory=list)
    """The ticked ``"<question id>=<option id>"`` values, all of one earlier question;
    empty: always shown."""


@dataclass
class SectionForm:
    title: str = ""
    questions: list[QuestionForm] = field(default_factory=list)


@dataclass
class SurveyForm:
    title: str = ""
    intro: str = ""
    unit_code: str = ""
    opens_at: str = ""
    closes_at: str = ""
    guests_allowed: bool = False
    results_live: bool = False
    sections: list[SectionForm] = field(default_factory=list)

    @property
    def questions(self) -> list[QuestionForm]:
        return [q for section in self.sections for q in section.questions]


# --- times ----------------------------------------------------------------------------


def parse_local_time(text: str) -> datetime | None:
    """A ``datetime-local`` value, read in the party's time zone."""
    for pattern in _LOCAL_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), pattern).replace(tzinfo=TIMEZONE)
        except ValueError:
            continue
        return moment if _FIRST_YEAR <= moment.year <= _LAST_YEAR else None
    return None


def local_input(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """Opens now (rounded to the minute), closes two weeks later."""
    start = now.replace(second=0, microsecond=0)
    return start, start + timedelta(days=DEFAULT_DAYS)


# --- the form as posted ---------------------------------------------------------------


def _one(value: object) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def _all(value: object) -> list[str]:
    """Every value a field was sent with (ticked boxes of one name), in order, once each."""
    values = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))


def _flag(fields: Mapping[str, Any], name: str) -> bool:
    return _one(fields.get(name, "")) in {"1", "on", "yes"}


def new_form(unit_code: str, now: datetime) -> SurveyForm:
    opens, closes = default_window(now)
    return SurveyForm(
        unit_code=unit_code,
        opens_at=local_input(opens),
        closes_at=local_input(closes),
        sections=[SectionForm(questions=[QuestionForm(id="q1")])],
    )


def read_form(fields: Mapping[str, Any]) -> SurveyForm:
    """The editor's state from the posted fields (unknown fields are ignored)."""
    form = SurveyForm(
        title=_one(fields.get("title")),
        intro=_one(fields.get("intro")),
        unit_code=_one(fields.get("unit_code")),
        opens_at=_one(fields.get("opens_at")),
        closes_at=_one(fields.get("closes_at")),
        guests_allowed=_flag(fields, "guests_allowed"),
        results_live=_flag(fields, "results_live"),
    )
    sections: dict[int, SectionForm] = {}
    blocks: dict[tuple[int, int], dict[str, Any]] = {}
    for name in fields:
        if match := _SECTION_FIELD.fullmatch(name):
            sections.setdefault(int(match[1]), SectionForm()).title = _one(fields[name])
        elif match := _QUESTION_FIELD.fullmatch(name):
            key = (int(match[1]), int(match[2]))
            sections.setdefault(key[0], SectionForm())
            blocks.setdefault(key, {})[match[3]] = fields[name]
    for (s, _q), values in sorted(blocks.items()):
        if "type" not in values:
            continue  # a block always posts its type; anything else is not a block
        sections[s].questions.append(_question(values))
    form.sections = [sections[i] for i in sorted(sections)][: d.MAX_SECTIONS]
    if not form.sections:
        form.sections = [SectionForm()]
    return form


def _question(values: Mapping[str, Any]) -> QuestionForm:
    kind = _one(values.get("type"))
    ident = _one(values.get("id"))
    return QuestionForm(
        id=ident if re.fullmatch(r"q\d{1,4}", ident) else "",
        type=kind if kind in d.QUESTION_TYPES else d.SINGLE,
        text=_one(values.get("text")),
        help=_one(values.get("help")),
        required=_flag(values, "required"),
        shuffle=_flag(values, "shuffle"),
        options=_one(values.get("options")),
        choice_min=_one(values.get("choice_min")),
        choice_max=_one(values.get("choice_max")),
        rank_max=_one(values.get("rank_max")),
        number_min=_one(values.get("number_min")),
        number_max=_one(values.get("number_max")),
        scale=_one(values.get("scale")) if _one(values.get("scale")) in SCALE_CHOICES else "1-5",
        low_label=_one(values.get("low_label")),
        high_label=_one(values.get("high_label")),
        statements=_one(values.get("statements")),
        max_length=_one(values.get("max_length")),
        condition=_all(values.get("condition")),
    )


def _next_id(form: SurveyForm) -> str:
    used = [int(q.id[1:]) for q in form.questions if q.id]
    return f"q{max(used, default=0) + 1}"


def ensure_ids(form: SurveyForm) -> None:
    """Blocks that came without an id (a hand-made post) get a fresh one."""
    for question in form.questions:
        if not question.id or sum(q.id == question.id for q in form.questions) > 1:
            question.id = _next_id(form)


def apply_action(form: SurveyForm, action: str) -> bool:
    """Add or remove a block; True if ``action`` was one (the form is shown again)."""
    ensure_ids(form)
    parts = action.split("-")
    numbers = [parse_whole(p, high=99) for p in parts[1:]]
    if None in numbers:
        return False
    index = [n for n in numbers if n is not None]
    if parts[0] == "add_section" and len(form.sections) < d.MAX_SECTIONS:
        form.sections.append(SectionForm(questions=[QuestionForm(id=_next_id(form))]))
        return True
    if parts[0] == "add_question" and len(index) == 1 and index[0] < len(form.sections):
        if len(form.questions) < MAX_FORM_QUESTIONS:
            form.sections[index[0]].questions.append(QuestionForm(id=_next_id(form)))
        return True
    if parts[0] == "remove_section" and len(index) == 1 and index[0] < len(form.sections):
        if len(form.sections) > 1:
            del form.sections[index[0]]
        return True
    if parts[0] == "remove_question" and len(index) == 2 and index[0] < len(form.sections):  # noqa: PLR2004
        questions = form.sections[index[0]].questions
        if index[1] < len(questions):
            del questions[index[1]]
        return True
    return action == "refresh"


# --- conditions -------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if not shows_nothing(line)]


def option_labels(question: QuestionForm) -> list[tuple[str, str]]:
    """(option id, label) of a choice question as the form stands."""
    if question.type == d.YES_NO:
        return [(value, YES_NO_LABELS[value]) for value in d.YES_NO_VALUES]
    if question.type in _CHOICE_TYPES:
        return [(f"o{n}", label) for n, label in enumerate(_lines(question.options), 1)]
    return []


@dataclass(frozen=True, slots=True)
class ConditionChoice:
    value: str  # "q2=yes"
    number: int  # the earlier question's number in the survey
    text: str  # the earlier question's text
    option: str  # the option's label (an msgid for yes/no/abstain)
    translate: bool


def condition_choices(form: SurveyForm) -> dict[str, list[ConditionChoice]]:
    """Per question id: the "shown only if …" choices it may have (earlier choice questions)."""
    out: dict[str, list[ConditionChoice]] = {}
    earlier: list[ConditionChoice] = []
    for number, question in enumerate(form.questions, 1):
        out[question.id] = list(earlier)
        if question.type in d.CONDITIONAL_TYPES:
            earlier.extend(
                ConditionChoice(
                    f"{question.id}={option}",
                    number,
                    question.text.strip(),
                    label,
                    question.type == d.YES_NO,
                )
                for option, label in option_labels(question)
            )
    return out


# --- from the form to a definition ------------------------------------------------------


@dataclass
class Checked:
    definition: dict[str, Any] | None
    errors: dict[str, str]
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _text(errors: dict[str, str], name: str, value: str, limit: int, *, needed: bool) -> str:
    value = "" if shows_nothing(value) else value.strip()
    if needed and not value:
        errors[name] = gettext(NEEDED)
    elif len(value) > limit:
        errors[name] = gettext(TOO_LONG).replace("{limit}", str(limit))
    return value


def _whole(errors: dict[str, str], name: str, value: str, default: int | None) -> int | None:
    text = value.strip()
    if not text:
        if default is None:
            errors[name] = gettext(NEEDED)
        return default
    negative = text.startswith("-")
    number = parse_whole(text[1:] if negative else text, high=d.NUMBER_BOUND)
    if number is None:
        errors[name] = gettext(WHOLE)
        return default
    return -number if negative else number


def _labelled(
    errors: dict[str, str], name: str, text: str, prefix: str, bounds: tuple[int, int]
) -> list[dict[str, str]]:
    lines = _lines(text)
    low, high = bounds
    if not low <= len(lines) <= high:
        message = OPTIONS_COUNT if prefix == "o" else STATEMENTS_COUNT
        errors[name] = gettext(message)
    elif len({line.casefold() for line in lines}) != len(lines):
        errors[name] = gettext(OPTIONS_TWICE)
    elif any(len(line) > 300 for line in lines):  # noqa: PLR2004 - the manifest's limit
        errors[name] = gettext(TOO_LONG).replace("{limit}", "300")
    return [{"id": f"{prefix}{n}", "label": line} for n, line in enumerate(lines, 1)]


def _scale(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    low, high = (int(part) for part in q.scale.split("-"))
    spec["min"], spec["max"] = low, high
    spec["low_label"] = _text(errors, f"{base}_low_label", q.low_label, 100, needed=False)
    spec["high_label"] = _text(errors, f"{base}_high_label", q.high_label, 100, needed=False)


Settings = Callable[[dict[str, Any], QuestionForm, dict[str, str], str], None]


def _choices(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> int:
    spec["options"] = _labelled(errors, f"{base}_options", q.options, "o", (2, d.MAX_OPTIONS))
    spec["shuffle"] = q.shuffle
    return len(spec["options"])


def _single(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    _choices(spec, q, errors, base)


def _multiple(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    count = _choices(spec, q, errors, base)
    low = spec["min"] = _whole(errors, f"{base}_choice_min", q.choice_min, 0)
    high = spec["max"] = _whole(errors, f"{base}_choice_max", q.choice_max, count)
    fits = 0 <= (low or 0) <= (high or 0) <= count and (high or 0) >= 1
    if f"{base}_options" not in errors and not fits:
        errors[f"{base}_choice_max"] = gettext(CHOICE_LIMITS)


def _ranking(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    count = _choices(spec, q, errors, base)
    spec["max"] = _whole(errors, f"{base}_rank_max", q.rank_max, count)
    if f"{base}_options" not in errors and not 1 <= (spec["max"] or 0) <= count:
        errors[f"{base}_rank_max"] = gettext(RANK_LIMIT)


def _matrix(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    spec["statements"] = _labelled(
        errors, f"{base}_statements", q.statements, "s", (1, d.MAX_STATEMENTS)
    )
    spec["shuffle"] = q.shuffle
    _scale(spec, q, errors, base)


def _number(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    spec["min"] = _whole(errors, f"{base}_number_min", q.number_min, None)
    spec["max"] = _whole(errors, f"{base}_number_max", q.number_max, None)
    if None not in (spec["min"], spec["max"]) and spec["min"] > spec["max"]:
        errors[f"{base}_number_max"] = gettext(NUMBER_RANGE)


def _free_text(spec: dict[str, Any], q: QuestionForm, errors: dict[str, str], base: str) -> None:
    limit = d.TEXT_LIMITS[q.type]
    spec["max_length"] = _whole(errors, f"{base}_max_length", q.max_length, limit)
    if not 1 <= (spec["max_length"] or 0) <= limit:
        errors[f"{base}_max_length"] = gettext(TEXT_LIMIT).replace("{limit}", str(limit))


def _nothing(_spec: dict[str, Any], _q: QuestionForm, _errors: dict[str, str], _base: str) -> None:
    """Yes/no/abstain: no settings of its own."""


_SETTINGS: Final[Mapping[str, Settings]] = {
    d.SINGLE: _single,
    d.MULTIPLE: _multiple,
    d.RANKING: _ranking,
    d.YES_NO: _nothing,
    d.SCALE: _scale,
    d.MATRIX: _matrix,
    d.NUMBER: _number,
    d.SHORT_TEXT: _free_text,
    d.LONG_TEXT: _free_text,
}


def _question_spec(
    q: QuestionForm, base: str, allowed: list[ConditionChoice], errors: dict[str, str]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "text": _text(errors, f"{base}_text", q.text, 1000, needed=True),
        "help": _text(errors, f"{base}_help", q.help, 2000, needed=False),
        "required": q.required,
    }
    _SETTINGS[q.type](spec, q, errors, base)
    condition = _condition(q, allowed)
    if isinstance(condition, dict):
        spec["condition"] = condition
    elif condition:
        errors[f"{base}_condition"] = gettext(condition)
    return spec


def _condition(q: QuestionForm, allowed: list[ConditionChoice]) -> dict[str, Any] | str | None:
    """The block's condition (None: always shown), or the message why it cannot be."""
    if not q.condition:
        return None
    offered = [choice.value for choice in allowed]
    if any(value not in offered for value in q.condition):
        return CONDITION_UNKNOWN
    targets = {value.split("=", 1)[0] for value in q.condition}
    if len(targets) != 1:
        return CONDITION_ONE_QUESTION
    ticked = [value for value in offered if value in q.condition]  # the options' order
    return {"question": targets.pop(), "in": [value.split("=", 1)[1] for value in ticked]}


def _window(form: SurveyForm, errors: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    opens, closes = parse_local_time(form.opens_at), parse_local_time(form.closes_at)
    if opens is None:
        errors["opens_at"] = gettext(WHEN_FORMAT)
    if closes is None:
        errors["closes_at"] = gettext(WHEN_FORMAT)
    if opens and closes and not opens < closes:
        errors["closes_at"] = gettext(WINDOW)
    return opens, closes


def to_definition(form: SurveyForm) -> Checked:
    """The survey definition of a filled form, or the errors by field name."""
    ensure_ids(form)
    errors: dict[str, str] = {}
    title = _text(errors, "title", form.title, 200, needed=True)
    if "title" not in errors and single_line_problem(title):  # the invitations' subject
        errors["title"] = gettext(SINGLE_LINE_MESSAGE)
    intro = _text(errors, "intro", form.intro, 5000, needed=False)
    opens, closes = _window(form, errors)
    if not form.questions:
        errors["questions"] = gettext(NO_QUESTIONS)
    elif len(form.questions) > MAX_FORM_QUESTIONS:
        errors["questions"] = gettext(TOO_MANY)
    choices = condition_choices(form)
    sections: list[dict[str, Any]] = []
    for i, section in enumerate(form.sections):
        if not section.questions:
            errors[f"s{i}_title"] = gettext(SECTION_EMPTY)
        questions = [
            _question_spec(q, f"s{i}_q{j}", choices[q.id], errors)
            for j, q in enumerate(section.questions)
        ]
        sections.append(
            {
                "id": f"s{i + 1}",
                "title": _text(errors, f"s{i}_title", section.title, 200, needed=False),
                "questions": questions,
            }
        )
    definition = {"title": title, "intro": intro, "sections": sections}
    if not errors:
        try:
            d.read_definition(definition)
        except d.DefinitionError as error:  # a rule the form's own checks do not know
            errors[_field_of(form, error.question)] = error.message
    if errors:
        return Checked(None, errors, opens, closes)
    return Checked(definition, errors, opens, closes)


def _field_of(form: SurveyForm, question_id: str | None) -> str:
    for i, section in enumerate(form.sections):
        for j, q in enumerate(section.questions):
            if q.id == question_id:
                return f"s{i}_q{j}_text"
    return "questions"


# --- from a stored survey to the form ----------------------------------------------------


def _question_form(spec: Mapping[str, Any]) -> QuestionForm:
    q = QuestionForm(
        id=str(spec["id"]),
        type=str(spec["type"]),
        text=str(spec["text"]),
        help=str(spec.get("help", "")),
        required=bool(spec.get("required", True)),
        shuffle=bool(spec.get("shuffle", False)),
    )
    if "options" in spec and q.type != d.YES_NO:
        q.options = "\n".join(str(o["label"]) for o in spec["options"])
    if "statements" in spec:
        q.statements = "\n".join(str(s["label"]) for s in spec["statements"])
    if q.type in (d.SCALE, d.MATRIX):
        q.scale = f"{spec['min']}-{spec['max']}"
        q.low_label, q.high_label = str(spec["low_label"]), str(spec["high_label"])
    elif q.type == d.MULTIPLE:
        q.choice_min, q.choice_max = str(spec["min"]), str(spec["max"])
    elif q.type == d.RANKING:
        q.rank_max = str(spec["max"])
    elif q.type == d.NUMBER:
        q.number_min, q.number_max = str(spec["min"]), str(spec["max"])
    if "max_length" in spec:
        q.max_length = str(spec["max_length"])
    condition = spec.get("condition")
    if condition:
        q.condition = [f"{condition['question']}={value}" for value in condition["in"]]
    return q


def form_of(survey: Survey, unit_code: str) -> SurveyForm:
    """The editor filled with a stored survey (its manifest, window and audience)."""
    manifest = json.loads(survey.definition)
    return SurveyForm(
        title=str(manifest["title"]),
        intro=str(manifest.get("intro", "")),
        unit_code=unit_code,
        opens_at=local_input(survey.opens_at),
        closes_at=local_input(survey.closes_at),
        guests_allowed=survey.guests_allowed,
        results_live=survey.results_live,
        sections=[
            SectionForm(
                title=str(section.get("title", "")),
                questions=[_question_form(q) for q in section["questions"]],
            )
            for section in manifest["sections"]
        ],
    )


def fits_form(survey: Survey) -> bool:
    """Whether the form can show the survey as it is (a survey made through the JSON API
    may use option ids or more questions than the form has)."""
    manifest = json.loads(survey.definition)
    questions = [q for s in manifest["sections"] for q in s["questions"]]
    if len(questions) > MAX_FORM_QUESTIONS:
        return False
    for q in questions:
        if not re.fullmatch(r"q\d{1,4}", str(q["id"])):
            return False
        prefixes = {"options": "o", "statements": "s"}
        for key, prefix in prefixes.items():
            if key in q and q["type"] != d.YES_NO:
                wanted = [f"{prefix}{n}" for n in range(1, len(q[key]) + 1)]
                if [o["id"] for o in q[key]] != wanted:
                    return False
    return True


# --- copying ---------------------------------------------------------------------------


def copy_as_draft(
    session: Session, actor: Account, survey_id: uuid.UUID, *, now: datetime
) -> Survey:
    """A new draft with the questions of an earlier survey, opening now for two weeks."""
    opens, closes = default_window(now)
    return services.copy_survey(session, actor, survey_id, opens_at=opens, closes_at=closes)
