"""Steps for ballots/verify_record.feature: an auditor runs `stimmwerk verify` on a record.

The record is made by tests/support/record_builder.py straight from crypto/ (no engine,
no database); the auditor's side is the real command line, ``app.cli.main``.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from app.cli import main
from ballots.verifier import CHECKS
from crypto.group import GENERATOR, Point
from tests.support.record_builder import (
    BuiltRecord,
    PostalSpec,
    build_record,
    read_json,
    read_lines,
    resign_ballot,
    write_json,
    write_lines,
)

scenarios("ballots/verify_record.feature")


@pytest.fixture(autouse=True)
def _every_backend() -> None:
    """The verifier needs no app and no database: override the platform steps' fixture."""


@dataclass
class Audit:
    record: BuiltRecord | None = None
    target: Path | None = None
    status: int | None = None
    output: list[str] = field(default_factory=list)

    def built(self) -> BuiltRecord:
        assert self.record is not None
        return self.record


@pytest.fixture
def audit() -> Audit:
    return Audit()


@given(
    parsers.parse(
        "the published record of a finished vote with {voters:d} online ballots and {envelopes:d} postal envelopes"
    )
)
def published_record(audit: Audit, tmp_path: Path, voters: int, envelopes: int) -> None:
    audit.record = build_record(
        tmp_path / "record", voters=voters, postal=PostalSpec(envelopes=envelopes)
    )
    audit.target = audit.record.path


@given("the record is packed as a zip")
def packed_as_zip(audit: Audit, tmp_path: Path) -> None:
    archive = tmp_path / "record.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(audit.built().path.iterdir()):
            out.write(file, file.name)
    shutil.rmtree(audit.built().path)
    audit.target = archive


@given(
    parsers.parse(
        "someone altered the encrypted vote on line {line:d} of the ballots and signed it again"
    )
)
def altered_vote(audit: Audit, line: int) -> None:
    record = audit.built()
    ballots = read_lines(record.path / "ballots.jsonl")
    ciphertext: dict[str, Any] = ballots[line - 1]["answers"][0]["ciphertexts"][0]
    ciphertext["beta"] = (Point.decode(bytes.fromhex(ciphertext["beta"])) + GENERATOR).encoded.hex()
    ballots[line - 1] = resign_ballot(ballots[line - 1], record.secrets.credential_seeds[line - 1])
    write_lines(record.path / "ballots.jsonl", ballots)


@given(parsers.parse("someone removed the ballot on line {line:d} from the board"))
def removed_ballot(audit: Audit, line: int) -> None:
    path = audit.built().path / "ballots.jsonl"
    ballots = read_lines(path)
    del ballots[line - 1]
    write_lines(path, ballots)


@given("someone added one vote to the first option of the published result")
def miscounted(audit: Audit) -> None:
    path = audit.built().path / "tally.json"
    tally = read_json(path)
    tally["questions"][0]["result"][0] += 1
    write_json(path, tally)


@when(parsers.re("I run stimmwerk verify on the (record|zip)"))
def run_verify(audit: Audit, capsys: pytest.CaptureFixture[str]) -> None:
    audit.status = main(["verify", str(audit.target)])
    audit.output = capsys.readouterr().out.splitlines()


@then("every check passes")
def every_check_passes(audit: Audit) -> None:
    for name in CHECKS:
        assert any(line.startswith(f"PASS  {name} ") for line in audit.output), name
    assert audit.output[-1].startswith("VERIFIED: 25 of 25 checks passed")


@then(parsers.parse('the check "{check}" fails at "{where}"'))
def check_fails_at(audit: Audit, check: str, where: str) -> None:
    failing = [line for line in audit.output if line.startswith("FAIL  ")]
    assert len(failing) == 1, audit.output
    assert failing[0].startswith(f"FAIL  {check} ")
    assert where in failing[0]


@then("the checks after it are not run")
def later_checks_skipped(audit: Audit) -> None:
    failing = next(i for i, line in enumerate(audit.output) if line.startswith("FAIL  "))
    later = audit.output[failing + 1 : -1]
    assert later
    assert all(line.startswith("SKIP  ") for line in later)


@then(parsers.parse("the exit status is {status:d}"))
def exit_status(audit: Audit, status: int) -> None:
    assert audit.status == status
