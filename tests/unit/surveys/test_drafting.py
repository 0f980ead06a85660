"""The staff's survey form (surveys.drafting): every question type from the form's fields
to a definition the manifest accepts, and back into the form unchanged; blocks added and
removed keep what was typed; mistakes come back at their fields."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.i18n import gettext
from surveys import drafting
from surveys.definition import QUESTION_TYPES, read_definition
from surveys.models import Survey

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _fields() -> dict[str, Any]:
    blocks: dict[str, dict[str, str]] = {
        "single_choice": {"options": "Monatlich\nJährlich", "shuffle": "1"},
        "multiple_choice": {"options": "A\nB\nC", "choice_min": "1", "choice_max": "2"},
        "yes_no_abstain": {},
        "scale": {"scale": "0-10", "low_label": "nie", "high_label": "immer"},
        "matrix": {"statements": "Website\nApp", "scale": "1-5", "shuffle": "1"},
        "ranking": {"options": "X\nY\nZ", "rank_max": "2"},
        "number": {"number_min": "-5", "number_max": "120"},
        "short_text": {"max_length": "40"},
        "long_text": {},
    }
    fields: dict[str, Any] = {
        "title": "Alle Fragearten",
        "intro": "Einleitung",
        "unit_code": "UB1",
        "opens_at": "2026-12-04T11:00",
        "closes_at": "2026-12-18T11:00",
        "guests_allowed": "1",
        "s0_title": "Eins",
        "s1_title": "Zwei",
    }
    for n, (kind, extra) in enumerate(blocks.items()):
        section, index = (0, n) if n < 5 else (1, n - 5)
        base = f"s{section}_q{index}"
        fields |= {f"{base}_id": f"q{n + 1}", f"{base}_type": kind, f"{base}_text": f"Frage {kind}"}
        fields |= {f"{base}_{key}": value for key, value in extra.items()}
        fields[f"{base}_required"] = "1"
    fields["s1_q0_condition"] = "q3=yes"  # ranking only if the yes/no question is yes
    return fields


def test_every_type_becomes_a_definition_and_comes_back() -> None:
    form = drafting.read_form(_fields())
    checked = drafting.to_definition(form)
    assert checked.errors == {}
    assert checked.definition is not None
    manifest = read_definition(checked.definition)
    assert [q.type for q in manifest.questions] == list(QUESTION_TYPES)
    assert manifest.question("q6").condition_question == "q3"
    assert manifest.question("q2").min_choices == 1
    assert manifest.question("q7").low == -5
    survey = cast(
        "Survey",
        SimpleNamespace(
            definition=manifest.canonical.decode(),
            opens_at=checked.opens_at,
            closes_at=checked.closes_at,
            guests_allowed=True,
            results_live=False,
        ),
    )
    assert drafting.fits_form(survey)
    again = drafting.form_of(survey, "UB1")
    # The form comes back with the defaults written out; it makes the same definition.
    assert drafting.to_definition(again).definition == checked.definition
    assert (again.title, again.guests_allowed, again.opens_at) == (form.title, True, form.opens_at)
    assert again.sections[1].questions[0].condition == ["q3=yes"]


def test_adding_and_removing_blocks_keeps_what_was_typed() -> None:
    form = drafting.read_form(_fields())
    assert drafting.apply_action(form, "add_question-0")
    assert [q.id for q in form.sections[0].questions][-1] == "q10"
    assert form.title == "Alle Fragearten"
    assert drafting.apply_action(form, "remove_question-0-0")
    assert form.sections[0].questions[0].id == "q2"
    assert drafting.apply_action(form, "add_section")
    assert len(form.sections) == 3
    assert drafting.apply_action(form, "remove_section-2")
    assert not drafting.apply_action(form, "save")
    assert not drafting.apply_action(form, "remove_question-x-1")


@pytest.mark.parametrize(
    ("field", "value", "error_at"),
    [
        ("s0_q1_choice_max", "5", "s0_q1_choice_max"),
        ("s0_q0_options", "Nur eine", "s0_q0_options"),
        ("s0_q0_options", "A\na", "s0_q0_options"),
        ("s1_q1_number_min", "200", "s1_q1_number_max"),
        ("s1_q2_max_length", "501", "s1_q2_max_length"),
        ("s1_q0_condition", "q9=yes", "s1_q0_condition"),
        ("s0_q2_text", "  ", "s0_q2_text"),
        ("closes_at", "2026-12-01T11:00", "closes_at"),
        ("opens_at", "morgen", "opens_at"),
    ],
)
def test_a_mistake_is_named_at_its_field(field: str, value: str, error_at: str) -> None:
    checked = drafting.to_definition(drafting.read_form({**_fields(), field: value}))
    assert checked.definition is None
    assert error_at in checked.errors, checked.errors


def test_a_condition_on_several_options_of_one_question() -> None:
    """Ticked boxes post the field once per value; the definition lists every value and
    the form shows them ticked again."""
    checked = drafting.to_definition(
        drafting.read_form({**_fields(), "s1_q0_condition": ["q1=o2", "q1=o1"]})
    )
    assert checked.errors == {}
    assert checked.definition is not None
    question = read_definition(checked.definition).question("q6")
    assert (question.condition_question, question.condition_values) == ("q1", {"o1", "o2"})
    survey = cast(
        "Survey",
        SimpleNamespace(
            definition=read_definition(checked.definition).canonical.decode(),
            opens_at=checked.opens_at,
            closes_at=checked.closes_at,
            guests_allowed=False,
            results_live=False,
        ),
    )
    assert drafting.fits_form(survey)
    assert drafting.form_of(survey, "UB1").sections[1].questions[0].condition == ["q1=o1", "q1=o2"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["q1=o1", "q3=yes"], drafting.CONDITION_ONE_QUESTION),
        (["q1=o1", "q1=o7"], drafting.CONDITION_UNKNOWN),
        (["q7=o1"], drafting.CONDITION_UNKNOWN),  # a number question is no choice
    ],
)
def test_a_condition_the_form_did_not_offer_is_refused(values: list[str], message: str) -> None:
    checked = drafting.to_definition(drafting.read_form({**_fields(), "s1_q0_condition": values}))
    assert checked.definition is None
    assert checked.errors["s1_q0_condition"] == gettext(message)


def test_a_condition_on_a_later_question_is_not_offered() -> None:
    form = drafting.read_form(_fields())
    choices = drafting.condition_choices(form)
    assert choices["q1"] == []
    assert {c.value for c in choices["q4"]} >= {"q1=o1", "q3=yes", "q2=o3"}
    assert not any(c.value.startswith("q4") for c in choices["q9"])  # a scale is no choice


_NAMES = st.sampled_from(
    [
        "title", "intro", "opens_at", "closes_at", "guests_allowed", "action", "s0_title",
        "s1_title", "s0_q0_type", "s0_q0_text", "s0_q0_id", "s0_q0_options", "s0_q0_condition",
        "s0_q0_choice_max", "s0_q0_number_min", "s0_q0_scale", "s0_q1_type", "s0_q1_id",
        "s0_q1_condition", "s0_q1_max_length", "s0_q1_rank_max", "s1_q0_type", "s1_q0_statements",
        "s99_q99_type", "s0_q0_required",
    ]
)  # fmt: skip
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*QUESTION_TYPES, "q1=yes", "q1=o1", "add_question-0", "remove_question-0-0",
                     "add_section", "remove_section-0", "refresh", "save", "-5", "1-10", "q1"]),
    st.lists(st.text(max_size=5), max_size=3),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, max_size=15))
def test_any_posted_form_gives_a_definition_or_errors_never_an_exception(
    fields: dict[str, Any],
) -> None:
    form = drafting.read_form(fields)
    action = fields.get("action", "")
    if drafting.apply_action(form, action if isinstance(action, str) else ""):
        return
    checked = drafting.to_definition(form)
    if checked.definition is not None:
        read_definition(checked.definition)  # what the form accepts, the manifest accepts
    else:
        assert checked.errors
