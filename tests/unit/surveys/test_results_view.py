"""The results page's figures (surveys.pages.results_view): rows in the manifest's order
(the stored results are canonical JSON with sorted keys), shares of those who answered,
turnout per question and of the members asked."""

from __future__ import annotations

import json

from crypto.canonical import canonical_json
from surveys.definition import read_definition, tally
from surveys.pages import results_view
from tests.surveys_support import example_definition, good_answers


def test_rows_follow_the_manifest_and_shares_are_of_those_who_answered() -> None:
    definition = example_definition()
    definition["sections"][1]["questions"][0].update({"min": 1, "max": 10})  # q5: 1-10
    manifest = read_definition(definition)
    first, second = good_answers(), good_answers()
    second.update({"q2": "no", "q5": 10})
    del second["q4"]
    stored = json.loads(canonical_json({"members": tally(manifest, [first, second])}))
    [members] = results_view.build(dict(manifest.document), stored, eligible_members=8)

    assert members.respondents == 2
    assert members.turnout_percent == 25.0
    by_id = {q.id: q for q in members.questions}
    assert [r.label for r in by_id["q2"].rows] == ["Yes", "No", "Abstain"]
    assert [r.percent for r in by_id["q2"].rows] == [50.0, 50.0, 0.0]
    assert [r.label for r in by_id["q5"].rows] == [str(v) for v in range(1, 11)]
    assert by_id["q5"].facts["mean"] == 7.0
    assert [r.label for r in by_id["q1"].rows] == ["Monatlich", "Vierteljährlich", "Jährlich"]
    assert by_id["q4"].answered == 1
    assert by_id["q4"].turnout_percent == 50.0
    assert by_id["q4"].chart is False  # free text: listed after the close, not charted
    assert by_id["q7"].rows[0].label == "C"  # most points first
