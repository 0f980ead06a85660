"""The survey verifier checks large records in worker processes: the outcome is the one
of the check in this process - same passes, the same first failure at the same answer."""

from __future__ import annotations

import pytest

from surveys import verifier
from tests.unit.surveys.test_survey_verifier_tampering import _honest, _resign_board


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier, "PARALLEL_FROM", 1)
    monkeypatch.setattr(verifier, "CHUNK", 2)
    monkeypatch.setattr("surveys.verifier.os.cpu_count", lambda: 2)


def _outcome(files: dict[str, bytes]) -> tuple[bool, list[tuple[str, str]]]:
    report = verifier.verify_record(files)
    return report.ok, report.failures


def test_an_honest_record_verifies_in_workers(in_workers: None) -> None:
    _, files = _honest()
    ok, failures = _outcome(files)
    assert ok, failures


def test_a_second_answer_and_an_altered_answer_fail_in_workers_as_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines, files = _honest()
    doubled = _resign_board(files, [*lines, lines[1]])
    altered = _resign_board(files, [*lines[:3], lines[3].replace(b'"q5":4', b'"q5":3'), lines[4]])
    in_process = [_outcome(doubled), _outcome(altered)]
    monkeypatch.setattr(verifier, "PARALLEL_FROM", 1)
    monkeypatch.setattr(verifier, "CHUNK", 2)
    monkeypatch.setattr("surveys.verifier.os.cpu_count", lambda: 2)
    in_workers = [_outcome(doubled), _outcome(altered)]
    assert in_workers == in_process
    assert ("answers.one_per_credential", "answer 5: second answer with one credential") in (
        in_workers[0][1]
    )
    assert any(
        check == "answers.signature" and "answer 3" in text for check, text in in_workers[1][1]
    )
