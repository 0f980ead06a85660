"""The referendum form (new and edit): its fields, and turning them into a ballot-core draft.

The same form changes a prepared referendum: `form_of` fills it from the stored manifest,
texts and trustees; the unit stays. The form works without JavaScript and holds any
number of question blocks up to the ballot core's limit (`MAX_QUESTIONS`): the buttons
"Weitere Frage hinzufügen" and "Frage N entfernen" are submit buttons of the same form
(field ``do``); the page comes back with one block more or less and everything typed
kept, and nothing is stored until "Speichern". Blocks left empty are ignored. Question
ids are ``q1``, ``q2``… in the order of the filled blocks, option ids ``o1``, ``o2``…
in the order of the lines. Errors come back under the form's own field names, so each
is shown at its field. A referendum whose encrypted ballot would be too big to cast
(`ballot_size`) is refused here, before it exists."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from app.core.i18n import N_, gettext
from app.core.inputs import parse_whole
from ballots.ballot_size import MAX_BALLOT_BYTES, ballot_bytes
from ballots.manifest import (
    MAX_QUESTIONS,
    ElectionDraft,
    OptionDraft,
    QuestionDraft,
    parse_time,
)
from referendums.services import TIMEZONE, ReferendumTexts, ReferendumView

METHODS: Final = ("yes_no_abstain", "one_of", "up_to")
_QUESTION_PATH = re.compile(r"questions\[(\d+)\](?:\.(\w+))?")
_BLOCK_FIELD = re.compile(r"q([1-9]\d?)_(text|method|options|k)")
"""A question block's field; block numbers above 99 are never rendered, so never read."""
_REMOVE = re.compile(r"remove-([1-9]\d?)")
_FIRST_YEAR, _LAST_YEAR = 2000, 2999
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
_TEXT_FIELDS: Final = (
    "title",
    "unit_code",
    "explanation",
    "arguments_for",
    "arguments_against",
    "cutoff_at",
    "opens_at",
    "closes_at",
    "quorum",
    "threshold",
)
TOO_MANY_QUESTIONS: Final = N_(
    "A member referendum has at most %(max)s questions. Remove a question, or hold a "
    "second referendum for the rest."
)
BALLOT_TOO_BIG: Final = N_(
    "The ballot would be too big to be cast online (%(size)s KB, at most %(max)s KB). "
    "Each option makes the encrypted ballot bigger: ask fewer questions or offer fewer "
    "options (about 140 options in all fit)."
)


def too_many_questions() -> str:
    """The refusal beyond `MAX_QUESTIONS`, translated (it has a number in it)."""
    return gettext(TOO_MANY_QUESTIONS) % {"max": MAX_QUESTIONS}


def _size_error(draft: ElectionDraft, errors: dict[str, str]) -> None:
    """Refuse questions whose encrypted ballot the voter API would not accept."""
    if not draft.questions or len(draft.questions) > MAX_QUESTIONS:
        return
    size = ballot_bytes(draft)
    if size > MAX_BALLOT_BYTES:
        figures = {"size": -(-size // 1024), "max": MAX_BALLOT_BYTES // 1024}
        errors["questions"] = gettext(BALLOT_TOO_BIG) % figures


@dataclass
class QuestionBlock:
    """One question block of the form, as typed (nothing checked yet)."""

    text: str = ""
    method: str = "yes_no_abstain"
    options: str = ""
    k: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.options.strip()


def _one(value: object) -> str:
    """A single posted value (a repeated field keeps its last value)."""
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


@dataclass
class NewReferendumForm:
    """The posted fields (names as in ``templates/referendums/new.html``)."""

    title: str = ""
    unit_code: str = ""
    explanation: str = ""
    arguments_for: str = ""
    arguments_against: str = ""
    questions: list[QuestionBlock] = field(default_factory=lambda: [QuestionBlock()])
    cutoff_at: str = ""
    opens_at: str = ""
    closes_at: str = ""
    quorum: str = ""
    trustees: list[str] = field(default_factory=list)
    threshold: str = ""
    do: str = "save"
    """Which submit button sent the form: ``save``, ``add`` or ``remove-N``."""

    @classmethod
    def from_post(cls, data: Mapping[str, Any]) -> NewReferendumForm:
        """The form as posted; question blocks in the order of their numbers (gaps closed)."""
        form = cls()
        for name in _TEXT_FIELDS:
            setattr(form, name, _one(data.get(name, "")))
        chosen = data.get("trustees", [])
        values = chosen if isinstance(chosen, list) else [chosen]
        form.trustees = [value for value in values if isinstance(value, str) and value]
        form.do = _one(data.get("do", "")) or "save"
        blocks: dict[int, QuestionBlock] = {}
        for key, value in data.items():
            match = _BLOCK_FIELD.fullmatch(key)
            if match:
                block = blocks.setdefault(int(match.group(1)), QuestionBlock())
                setattr(block, match.group(2), _one(value))
        form.questions = [blocks[number] for number in sorted(blocks)] or [QuestionBlock()]
        return form

    @property
    def trustee_list(self) -> list[str]:
        return list(self.trustees)

    @property
    def removing(self) -> int | None:
        """The block number (1-based) whose "Frage entfernen" sent the form, if any."""
        match = _REMOVE.fullmatch(self.do)
        return int(match.group(1)) if match else None

    @property
    def may_add(self) -> bool:
        return len(self.questions) < MAX_QUESTIONS


_FIELD_LABELS: Final = {
    "title": N_("Title"),
    "unit_code": N_("Unit"),
    "explanation": N_("Explanation"),
    "questions": N_("Questions"),
    "cutoff_at": N_("Cut-off for the voter roll"),
    "opens_at": N_("Voting opens"),
    "closes_at": N_("Voting closes"),
    "trustees": N_("Trustees from the election commission"),
}


def error_labels(form: NewReferendumForm) -> dict[str, str]:
    """What the error summary calls each field ("Frage 2: …", "Beginn der Abstimmung: …"),
    so that two equal messages ("Gib ein Datum und eine Uhrzeit an.") say where they are."""
    labels = {name: gettext(label) for name, label in _FIELD_LABELS.items()}
    for number in range(1, len(form.questions) + 1):
        label = gettext(N_("Question %(n)s")) % {"n": number}
        labels.update({f"q{number}_{part}": label for part in ("text", "method", "options", "k")})
    return labels


def add_block(form: NewReferendumForm) -> dict[str, str]:
    """One more empty block at the end, or the refusal once the form holds the most."""
    if not form.may_add:
        return {"questions": too_many_questions()}
    form.questions.append(QuestionBlock())
    return {}


def remove_block(form: NewReferendumForm, number: int) -> None:
    """Drop block ``number`` (1-based); the last block stays (emptied)."""
    if 1 <= number <= len(form.questions):
        del form.questions[number - 1]
    if not form.questions:
        form.questions.append(QuestionBlock())


@dataclass
class ParsedForm:
    draft: ElectionDraft
    texts: ReferendumTexts
    trustee_ids: list[uuid.UUID]
    blocks: list[int]
    """the form's block number of each question in the draft."""
    errors: dict[str, str]


def parse_local_time(text: str) -> datetime | None:
    """A ``datetime-local`` value, read in the party's time zone."""
    for pattern in _LOCAL_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), pattern).replace(tzinfo=TIMEZONE)
        except ValueError:
            continue
        # Year 1 overflows when converted to UTC; no vote is held outside these years.
        return moment if _FIRST_YEAR <= moment.year <= _LAST_YEAR else None
    return None


def local_input(moment: datetime | None) -> str:
    """The ``datetime-local`` value of an aware datetime."""
    return "" if moment is None else moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def form_of(view: ReferendumView) -> NewReferendumForm:
    """The form filled with a stored referendum (its manifest, texts and trustees)."""
    manifest: dict[str, Any] = view.election.manifest
    quorum = manifest["quorum"]
    form = NewReferendumForm(
        title=manifest["title"],
        unit_code=view.unit.code,
        explanation=view.referendum.explanation,
        arguments_for=view.referendum.arguments_for,
        arguments_against=view.referendum.arguments_against,
        cutoff_at=local_input(parse_time(manifest["cutoff_at"])),
        opens_at=local_input(parse_time(manifest["opens_at"])),
        closes_at=local_input(parse_time(manifest["closes_at"])),
        quorum="" if quorum is None else str(quorum["min_percent"]),
        trustees=[str(trustee.account_id) for trustee in view.election.trustees],
        threshold=str(manifest["trustees"]["threshold"]),
    )
    form.questions = []
    for question in manifest["questions"]:
        method = question["method"]
        block = QuestionBlock(text=question["text"], method=method)
        if method != "yes_no_abstain":
            block.options = "\n".join(option["label"] for option in question["options"])
        if method == "up_to":
            block.k = str(question["max_selections"])
        form.questions.append(block)
    return form


def _whole(text: str) -> int | None:
    # ASCII digits only and bounded ("²".isdigit() is true; 5,000 digits cost int() time).
    return parse_whole(text, low=0, high=1_000_000)


def _questions(
    form: NewReferendumForm, errors: dict[str, str]
) -> tuple[list[QuestionDraft], list[int]]:
    questions: list[QuestionDraft] = []
    blocks: list[int] = []
    for number, block in enumerate(form.questions, start=1):
        if block.is_empty:
            continue
        method = block.method
        if method not in METHODS:
            errors[f"q{number}_method"] = N_("Choose how members answer.")
            method = "yes_no_abstain"
        lines = [line.strip() for line in block.options.splitlines() if line.strip()]
        options = tuple(OptionDraft(f"o{i + 1}", label) for i, label in enumerate(lines))
        k = None
        if method == "up_to":
            k = _whole(block.k)
            if k is None:
                errors[f"q{number}_k"] = N_("Enter how many options a member may choose.")
                k = 1
        if method == "yes_no_abstain":
            options = ()
        questions.append(QuestionDraft(f"q{len(questions) + 1}", block.text, method, options, k))
        blocks.append(number)
    if not questions:
        errors["q1_text"] = N_("Ask at least one question.")
    elif len(questions) > MAX_QUESTIONS:
        errors["questions"] = too_many_questions()
    return questions, blocks


def _times(form: NewReferendumForm, errors: dict[str, str]) -> dict[str, datetime]:
    times: dict[str, datetime] = {}
    for name in ("cutoff_at", "opens_at", "closes_at"):
        moment = parse_local_time(getattr(form, name))
        if moment is None:
            errors[name] = N_("Enter a date and time.")
        else:
            times[name] = moment
    return times


def _trustees(form: NewReferendumForm, errors: dict[str, str]) -> list[uuid.UUID]:
    trustee_ids: list[uuid.UUID] = []
    for value in form.trustee_list:
        try:
            trustee_ids.append(uuid.UUID(value))
        except ValueError:
            errors["trustees"] = N_("Choose the trustees from the list.")
    if len(trustee_ids) == 1:
        # The core allows one trustee (simulations, tests); a real vote does not: one key
        # holder alone could decrypt every ballot, and the postal line needs the signatures
        # of two different trustees (docs/protocol.md §2.8).
        errors["trustees"] = N_(
            "Name at least two trustees: one alone could decrypt every ballot, and two "
            "different trustees must sign the postal votes."
        )
    return trustee_ids


def parse(form: NewReferendumForm, unit_name: str) -> ParsedForm:
    """The draft the form describes, and the faults only the form can see."""
    errors: dict[str, str] = {}
    questions, blocks = _questions(form, errors)
    times = _times(form, errors)
    quorum = None
    if form.quorum.strip():
        quorum = _whole(form.quorum)
        if quorum is None:
            errors["quorum"] = N_("The quorum is a whole percentage between 1 and 100.")
    trustee_ids = _trustees(form, errors)
    threshold = _whole(form.threshold)
    if threshold is None:
        errors["threshold"] = N_("Enter how many trustees are needed to count the votes.")
    fallback = datetime(2000, 1, 1, tzinfo=TIMEZONE)
    draft = ElectionDraft(
        title=form.title,
        description=form.explanation,
        unit_code=form.unit_code,
        unit_name=unit_name,
        cutoff_at=times.get("cutoff_at", fallback),
        opens_at=times.get("opens_at", fallback),
        closes_at=times.get("closes_at", fallback),
        questions=tuple(questions),
        trustees=len(trustee_ids),
        threshold=threshold or 1,
        quorum_percent=quorum,
    )
    _size_error(draft, errors)
    texts = ReferendumTexts(form.explanation, form.arguments_for, form.arguments_against)
    return ParsedForm(draft, texts, trustee_ids, blocks, errors)


def form_errors(engine_errors: dict[str, str], blocks: list[int]) -> dict[str, str]:
    """The ballot core's and the services' field paths, as the form's field names."""
    errors: dict[str, str] = {}
    for path, message in engine_errors.items():
        match = _QUESTION_PATH.fullmatch(path)
        if match:
            index = int(match.group(1))
            number = blocks[index] if index < len(blocks) else 1
            part = {"options": "options", "max_selections": "k", "method": "method"}.get(
                match.group(2) or "", "text"
            )
            errors.setdefault(f"q{number}_{part}", message)
        elif path == "questions":
            errors.setdefault("questions", message)
        elif path == "window":
            errors.setdefault("closes_at", message)
        elif path == "unit":
            errors.setdefault("unit_code", message)
        elif path == "description":
            errors.setdefault("explanation", message)
        elif path in {"trustees", "threshold"}:
            errors.setdefault("trustees", message)
        else:
            errors.setdefault(path, message)
    return errors
