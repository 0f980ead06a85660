"""The referendum form (new and edit): its fields, and turning them into a ballot-core draft.

The same form changes a prepared referendum: `form_of` fills it from the stored manifest,
texts and trustees; the unit stays. The form works without JavaScript: it has up to
`QUESTION_BLOCKS` question blocks, the first `SHOWN_BLOCKS` open and the rest behind a
"Weitere Frage hinzufügen" disclosure; blocks left empty are ignored. Question
ids are ``q1``, ``q2``… in the order of the filled blocks, option ids ``o1``, ``o2``…
in the order of the lines. Errors come back under the form's own field names, so each
is shown at its field."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from app.core.i18n import N_
from app.core.inputs import parse_whole
from ballots.manifest import ElectionDraft, OptionDraft, QuestionDraft, parse_time
from referendums.services import TIMEZONE, ReferendumTexts, ReferendumView

QUESTION_BLOCKS: Final = 10
SHOWN_BLOCKS: Final = 3
"""Blocks shown open; the others wait behind "Weitere Frage hinzufügen" (no JavaScript)."""
METHODS: Final = ("yes_no_abstain", "one_of", "up_to")
_QUESTION_PATH = re.compile(r"questions\[(\d+)\](?:\.(\w+))?")
_FIRST_YEAR, _LAST_YEAR = 2000, 2999
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass
class NewReferendumForm:
    """The posted fields (names as in ``templates/referendums/new.html``)."""

    title: str = ""
    unit_code: str = ""
    explanation: str = ""
    arguments_for: str = ""
    arguments_against: str = ""
    q1_text: str = ""
    q1_method: str = "yes_no_abstain"
    q1_options: str = ""
    q1_k: str = ""
    q2_text: str = ""
    q2_method: str = "yes_no_abstain"
    q2_options: str = ""
    q2_k: str = ""
    q3_text: str = ""
    q3_method: str = "yes_no_abstain"
    q3_options: str = ""
    q3_k: str = ""
    q4_text: str = ""
    q4_method: str = "yes_no_abstain"
    q4_options: str = ""
    q4_k: str = ""
    q5_text: str = ""
    q5_method: str = "yes_no_abstain"
    q5_options: str = ""
    q5_k: str = ""
    q6_text: str = ""
    q6_method: str = "yes_no_abstain"
    q6_options: str = ""
    q6_k: str = ""
    q7_text: str = ""
    q7_method: str = "yes_no_abstain"
    q7_options: str = ""
    q7_k: str = ""
    q8_text: str = ""
    q8_method: str = "yes_no_abstain"
    q8_options: str = ""
    q8_k: str = ""
    q9_text: str = ""
    q9_method: str = "yes_no_abstain"
    q9_options: str = ""
    q9_k: str = ""
    q10_text: str = ""
    q10_method: str = "yes_no_abstain"
    q10_options: str = ""
    q10_k: str = ""
    cutoff_at: str = ""
    opens_at: str = ""
    closes_at: str = ""
    quorum: str = ""
    trustees: list[str] | str = field(default_factory=list)
    threshold: str = ""

    def block(self, number: int) -> tuple[str, str, str, str]:
        """text, method, options, k of question block ``number`` (1-based)."""
        return (
            getattr(self, f"q{number}_text"),
            getattr(self, f"q{number}_method"),
            getattr(self, f"q{number}_options"),
            getattr(self, f"q{number}_k"),
        )

    @property
    def trustee_list(self) -> list[str]:
        chosen = [self.trustees] if isinstance(self.trustees, str) else list(self.trustees)
        return [value for value in chosen if value]


def shown_blocks(form: NewReferendumForm) -> int:
    """How many blocks are shown open: the first few, and every block up to the last filled."""
    filled = [n for n in range(1, QUESTION_BLOCKS + 1) if form.block(n)[0].strip()]
    return max([SHOWN_BLOCKS, *filled])


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


def fits_form(view: ReferendumView) -> bool:
    """Whether the form can show every question of the stored referendum."""
    return len(view.election.manifest["questions"]) <= QUESTION_BLOCKS


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
    for number, question in enumerate(manifest["questions"][:QUESTION_BLOCKS], start=1):
        method = question["method"]
        setattr(form, f"q{number}_text", question["text"])
        setattr(form, f"q{number}_method", method)
        if method != "yes_no_abstain":
            labels = [option["label"] for option in question["options"]]
            setattr(form, f"q{number}_options", "\n".join(labels))
        if method == "up_to":
            setattr(form, f"q{number}_k", str(question["max_selections"]))
    return form


def _whole(text: str) -> int | None:
    # ASCII digits only and bounded ("²".isdigit() is true; 5,000 digits cost int() time).
    return parse_whole(text, low=0, high=1_000_000)


def _questions(
    form: NewReferendumForm, errors: dict[str, str]
) -> tuple[list[QuestionDraft], list[int]]:
    questions: list[QuestionDraft] = []
    blocks: list[int] = []
    for number in range(1, QUESTION_BLOCKS + 1):
        text, method, options_text, k_text = form.block(number)
        if not text.strip() and not options_text.strip():
            continue
        if method not in METHODS:
            errors[f"q{number}_method"] = N_("Choose how members answer.")
            method = "yes_no_abstain"
        lines = [line.strip() for line in options_text.splitlines() if line.strip()]
        options = tuple(OptionDraft(f"o{i + 1}", label) for i, label in enumerate(lines))
        k = None
        if method == "up_to":
            k = _whole(k_text)
            if k is None:
                errors[f"q{number}_k"] = N_("Enter how many options a member may choose.")
                k = 1
        if method == "yes_no_abstain":
            options = ()
        questions.append(QuestionDraft(f"q{len(questions) + 1}", text, method, options, k))
        blocks.append(number)
    if not questions:
        errors["q1_text"] = N_("Ask at least one question.")
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
            errors.setdefault("q1_text", message)
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
