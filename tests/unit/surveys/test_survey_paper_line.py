"""The paper line (record §6): its arithmetic rules, in the record, checked by the verifier.

No database: the rules in ``surveys.definition``, the record writer and the verifier,
and ``stimmwerk verify`` as a subprocess on a record whose paper line was forged.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core import i18n
from crypto.canonical import canonical_json
from surveys.definition import PaperLineRefused, check_paper_line, paper_tally, read_definition
from surveys.record import record_files, zip_record
from surveys.verifier import verify_record
from tests.surveys_support import example_definition, paper_line
from tests.unit.surveys import test_survey_verifier_tampering as honest

MANIFEST = read_definition(example_definition())


def _with_paper(line: dict[str, Any], **kwargs: Any) -> dict[str, bytes]:
    lines, _ = honest._honest()
    files = honest._files(lines, **kwargs)
    survey = json.loads(files["survey.json"])
    results = json.loads(files["results.json"])
    survey["paper"] = line
    results["paper"] = paper_tally(MANIFEST, check_paper_line(MANIFEST, line))
    return dict(
        files,
        **{
            "survey.json": canonical_json(survey) + b"\n",
            "results.json": canonical_json(results) + b"\n",
        },
    )


def _failed(files: dict[str, bytes]) -> list[str]:
    return [check for check, _ in verify_record(files).failures]


def test_a_paper_line_keeping_the_rules_is_a_tally_of_its_own() -> None:
    line = check_paper_line(MANIFEST, paper_line(3))
    result = paper_tally(MANIFEST, line)
    assert result["respondents"] == 3
    assert result["questions"]["q1"]["counts"] == {"monat": 2, "quartal": 1, "jahr": 0}
    assert result["questions"]["q5"]["sum"] == 3 + 4 + 5
    assert result["questions"]["q7"]["answered"] == 1  # ranking on paper: answered only


@pytest.mark.parametrize(
    ("change", "question"),
    [
        (lambda p: p["questions"]["q1"]["counts"].update(jahr=1), "q1"),  # sum ≠ answered
        (lambda p: p["questions"]["q2"].update(answered=4), "q2"),  # > questionnaires
        (
            lambda p: p["questions"]["q3"]["counts"].update(rente=4, klima=0),
            "q3",
        ),  # option > answered
        (lambda p: p["questions"]["q3"]["counts"].update(klima=0, bildung=0, rente=0), "q3"),
        (lambda p: p["questions"]["q1"]["counts"].update(nie=0), "q1"),  # unknown option
        (lambda p: p["questions"]["q5"]["counts"].update({"5": -1}), "q5"),
        (lambda p: p["questions"]["q6"]["counts"]["web"].update({"1": 1}), "q6"),
        (lambda p: p["questions"]["q7"].update(counts={}), "q7"),
        (lambda p: p["questions"].pop("q9"), None),
        (lambda p: p.update(questionnaires="3"), None),
    ],
)
def test_a_paper_line_breaking_a_rule_is_refused_naming_the_question(change, question) -> None:
    line = paper_line(3)
    change(line)
    with pytest.raises(PaperLineRefused) as refused:
        check_paper_line(MANIFEST, line)
    assert refused.value.question == question
    # The rule broken is a fixed message id with a German text, not English made of values.
    with i18n.using_locale("de"):
        assert i18n.gettext(refused.value.message) != refused.value.message


def test_a_record_with_an_honest_paper_line_verifies_and_counts_it_apart() -> None:
    lines, _ = honest._honest()
    files = record_files(
        **{**_record_arguments(lines), "paper": check_paper_line(MANIFEST, paper_line(3))}
    )
    report = verify_record(files)
    assert report.ok, report.failures
    assert "paper.eligible" in report.passed
    results = json.loads(files["results.json"])
    assert results["paper"]["respondents"] == 3
    assert results["members"]["respondents"] == 4  # not mixed into the online answers


def _record_arguments(lines: list[bytes]) -> dict[str, Any]:
    """The honest record's arguments, read back from its survey.json."""
    files = honest._files(lines)
    survey = json.loads(files["survey.json"])
    return {
        "survey_id": survey["survey"],
        "manifest": MANIFEST,
        "unit": survey["unit"],
        "opens_at": survey["opens_at"],
        "closes_at": survey["closes_at"],
        "audiences": survey["audiences"],
        "origin": survey["board"]["origin"],
        "board_public_key": survey["board"]["public_key"],
        "lines": lines,
        "checkpoints": [
            json.loads(line)["note"] for line in files["checkpoints.jsonl"].splitlines()
        ],
        "roll": json.loads(files["roll.json"]),
        "roll_commitment": survey["roll"]["commitment"],
    }


def test_a_forged_paper_line_fails_its_arithmetic() -> None:
    line = paper_line(3)
    files = _with_paper(line)
    survey = json.loads(files["survey.json"])
    survey["paper"]["questions"]["q1"]["counts"]["monat"] = 3  # 4 marks, 3 answered
    forged = dict(files, **{"survey.json": canonical_json(survey) + b"\n"})
    assert "paper.rules" in _failed(forged)


def test_more_paper_and_online_answers_than_eligible_members_fails() -> None:
    # 4 members answered online; 8 are eligible: 5 paper questionnaires are one too many.
    assert _failed(_with_paper(paper_line(4))) == []
    assert "paper.eligible" in _failed(_with_paper(paper_line(5)))


def test_a_published_paper_result_other_than_the_line_fails() -> None:
    files = _with_paper(paper_line(3))
    results = json.loads(files["results.json"])
    results["paper"]["questions"]["q2"]["counts"]["yes"] += 1
    assert "results.paper" in _failed(
        dict(files, **{"results.json": canonical_json(results) + b"\n"})
    )
    results = json.loads(files["results.json"])
    del results["paper"]
    assert "results.recomputed" in _failed(
        dict(files, **{"results.json": canonical_json(results) + b"\n"})
    )


def test_stimmwerk_verify_fails_on_a_forged_paper_line(tmp_path: Path) -> None:
    files = _with_paper(paper_line(3))
    good = tmp_path / "good.zip"
    good.write_bytes(zip_record(files, "survey-record"))
    command = [sys.executable, "-m", "app.cli", "verify"]
    passed = subprocess.run([*command, str(good)], capture_output=True, text=True, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    survey = json.loads(files["survey.json"])
    forged_line = copy.deepcopy(survey["paper"])
    forged_line["questions"]["q2"]["counts"]["yes"] = 3  # 5 marks from 3 questionnaires
    survey["paper"] = forged_line
    bad = tmp_path / "forged.zip"
    bad.write_bytes(
        zip_record(dict(files, **{"survey.json": canonical_json(survey) + b"\n"}), "survey-record")
    )
    failed = subprocess.run([*command, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "FAIL paper.rules" in failed.stdout
