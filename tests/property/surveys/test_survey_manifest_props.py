"""Property tests of the survey manifest, the answer check and the tally.

Every rule of the definition is refused with the question named; every answer the
generator builds from the rules is accepted and counted exactly once; every answer that
breaks one rule is refused with that question named.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys import definition as d
from tests.surveys_support import example_definition, good_answers

MANIFEST = d.read_definition(example_definition())


def _question(defn: dict[str, Any], qid: str) -> dict[str, Any]:
    for section in defn["sections"]:
        for question in section["questions"]:
            if question["id"] == qid:
                return question  # type: ignore[no-any-return]
    raise KeyError(qid)


def test_canonical_manifest_is_a_fixed_point() -> None:
    again = d.read_definition(copy.deepcopy(MANIFEST.document))
    assert again.canonical == MANIFEST.canonical
    assert again.hash_hex == MANIFEST.hash_hex


@given(st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""))
@settings(max_examples=40, deadline=None)
def test_any_change_of_a_text_changes_the_hash(text: str) -> None:
    defn = example_definition()
    _question(defn, "q5")["text"] = "Neu: " + text
    assert d.read_definition(defn).hash_hex != MANIFEST.hash_hex


BREAKS: list[tuple[str, str, Any]] = [
    ("q1", "options", [{"id": "x", "label": "nur eine"}]),
    ("q1", "options", [{"id": "x", "label": "A"}, {"id": "x", "label": "B"}]),
    ("q1", "options", [{"id": "Groß", "label": "A"}, {"id": "b", "label": "B"}]),
    ("q1", "text", ""),
    ("q1", "text", "x" * 1001),
    ("q1", "required", "ja"),
    ("q1", "bogus", 1),
    ("q1", "shuffle", "no"),
    ("q3", "min", 3),
    ("q3", "max", 4),
    ("q3", "max", 0),
    ("q3", "min", True),
    ("q5", "max", 7),
    ("q5", "min", 2),
    ("q6", "statements", []),
    ("q7", "max", 4),
    ("q7", "max", 0),
    ("q8", "min", 121),
    ("q8", "max", 10**13),
    ("q9", "max_length", 501),
    ("q9", "max_length", 0),
    ("q4", "condition", {"question": "q9", "in": ["x"]}),
    ("q4", "condition", {"question": "q2", "in": ["vielleicht"]}),
    ("q4", "condition", {"question": "q2", "in": []}),
    ("q4", "condition", {"question": "q4", "in": ["yes"]}),
    ("q4", "type", "essay"),
]


@pytest.mark.parametrize(("qid", "field", "value"), BREAKS)
def test_every_definition_rule_is_refused_with_the_question_named(
    qid: str, field: str, value: Any
) -> None:
    defn = example_definition()
    _question(defn, qid)[field] = value
    with pytest.raises(d.DefinitionError) as refused:
        d.read_definition(defn)
    assert refused.value.question == qid


def test_a_condition_on_a_later_question_is_refused() -> None:
    defn = example_definition()
    _question(defn, "q1")["condition"] = {"question": "q2", "in": ["yes"]}
    with pytest.raises(d.DefinitionError) as refused:
        d.read_definition(defn)
    assert (refused.value.question, refused.value.code) == ("q1", "condition_target")


def test_duplicate_question_ids_across_sections_are_refused() -> None:
    defn = example_definition()
    _question(defn, "q9")["id"] = "q1"
    with pytest.raises(d.DefinitionError) as refused:
        d.read_definition(defn)
    assert refused.value.question == "q1"


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Answers built from the manifest's rules alone (each optional one may be left out)."""
    out: dict[str, Any] = {}
    for q in MANIFEST.questions:
        if not d.shown(q, out):
            continue
        if not q.required and draw(st.booleans()):
            continue
        if q.type in (d.SINGLE, d.YES_NO):
            out[q.id] = draw(st.sampled_from(q.option_ids))
        elif q.type == d.MULTIPLE:
            out[q.id] = draw(
                st.lists(
                    st.sampled_from(q.option_ids),
                    min_size=max(q.min_choices, 1),
                    max_size=q.max_choices,
                    unique=True,
                )
            )
        elif q.type == d.RANKING:
            out[q.id] = draw(
                st.lists(
                    st.sampled_from(q.option_ids), min_size=1, max_size=q.max_choices, unique=True
                )
            )
        elif q.type in (d.SCALE, d.NUMBER):
            out[q.id] = draw(st.integers(q.low, q.high))
        elif q.type == d.MATRIX:
            out[q.id] = {s: draw(st.integers(q.low, q.high)) for s in q.statement_ids}
        else:
            out[q.id] = draw(
                st.text(min_size=1, max_size=q.max_length).filter(lambda s: s.strip() != "")
            )
    return out


@given(st.lists(valid_answers(), max_size=12))
@settings(max_examples=60, deadline=None)
def test_valid_answers_pass_and_are_each_counted_once(sheets: list[dict[str, Any]]) -> None:
    checked = [d.check_answers(MANIFEST, sheet) for sheet in sheets]
    result = d.tally(MANIFEST, checked)
    assert result["respondents"] == len(sheets)
    for q in MANIFEST.questions:
        entry = result["questions"][q.id]
        answered = sum(1 for sheet in checked if q.id in sheet)
        assert entry["answered"] == answered
        if q.type in (d.SINGLE, d.YES_NO):
            assert sum(entry["counts"].values()) == answered
        if q.type == d.MULTIPLE:
            assert sum(entry["counts"].values()) == sum(len(s[q.id]) for s in checked if q.id in s)
        if q.type == d.RANKING:
            assert sum(sum(p) for p in entry["positions"].values()) == sum(
                len(s[q.id]) for s in checked if q.id in s
            )
    # the order of the sheets never changes the result (published order is shuffled)
    assert d.tally(MANIFEST, list(reversed(checked))) == result


@given(valid_answers())
@settings(max_examples=60, deadline=None)
def test_canonical_answers_are_a_fixed_point(sheet: dict[str, Any]) -> None:
    once = d.check_answers(MANIFEST, sheet)
    assert d.check_answers(MANIFEST, once) == once


ANSWER_BREAKS: list[tuple[str, Any, str]] = [
    ("q1", "unbekannt", "unknown_option"),
    ("q3", ["klima", "bildung", "rente"], "too_many"),
    ("q3", [], "too_few"),
    ("q3", ["klima", "klima"], "repeated_option"),
    ("q4", "x" * 201, "too_long"),
    ("q5", 6, "out_of_range"),
    ("q5", True, "not_number"),
    ("q6", {"web": 3}, "statements"),
    ("q7", ["a", "b", "c"], "too_many"),
    ("q8", 13, "out_of_range"),
    ("q9", "   ", "not_text"),
    ("q99", "x", "unknown_question"),
]


@pytest.mark.parametrize(("qid", "value", "code"), ANSWER_BREAKS)
def test_every_answer_rule_is_refused_with_the_question_named(
    qid: str, value: Any, code: str
) -> None:
    sheet = good_answers()
    sheet[qid] = value
    with pytest.raises(d.AnswerRefused) as refused:
        d.check_answers(MANIFEST, sheet)
    assert (refused.value.question, refused.value.code) == (qid, code)


def test_a_missing_required_answer_is_refused() -> None:
    sheet = good_answers()
    del sheet["q5"]
    with pytest.raises(d.AnswerRefused) as refused:
        d.check_answers(MANIFEST, sheet)
    assert (refused.value.question, refused.value.code) == ("q5", "required")


def test_an_answer_to_a_question_whose_condition_is_false_is_refused() -> None:
    sheet = good_answers()
    sheet["q2"] = "no"
    with pytest.raises(d.AnswerRefused) as refused:
        d.check_answers(MANIFEST, sheet)
    assert (refused.value.question, refused.value.code) == ("q4", "condition_false")
    del sheet["q4"]
    assert "q4" not in d.check_answers(MANIFEST, sheet)
