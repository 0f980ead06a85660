"""The verifier end to end: valid records pass, the CLI reports, zips and workers work."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from app.cli import main
from ballots.record import open_record
from ballots.verifier import CHECKS, CredentialLedger, State, Status, iter_results, verify_record
from ballots.verifier import _runner as runner
from tests.support.record_builder import (
    ONE_OF,
    UP_TO,
    YES_NO_ABSTAIN,
    BuiltRecord,
    PostalSpec,
    build_record,
    read_lines,
    write_lines,
)


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(
        tmp_path_factory.mktemp("valid") / "r",
        voters=7,
        questions=(YES_NO_ABSTAIN, ONE_OF, UP_TO),
        trustees=4,
        threshold_=3,
        decrypting=(1, 3, 4),
        checkpoint_every=3,
    )


def statuses(path: Path, workers: int = 1) -> list[tuple[str, Status]]:
    with open_record(path) as source:
        return [(r.name, r.status) for r in iter_results(State(source, workers))]


def test_a_valid_record_passes_every_named_check(record: BuiltRecord) -> None:
    assert statuses(record.path) == [(name, Status.PASS) for name in CHECKS]


def test_the_command_prints_each_check_and_exits_zero(
    record: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(record.path), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    for name in CHECKS:
        assert f"PASS  {name} " in out
    assert "ballots.proofs                             91 proofs" in out  # 7 × (4 + 5 + 4)
    assert "VERIFIED: 25 of 25 checks passed" in out


def test_quiet_prints_only_the_verdict(
    record: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(record.path), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("VERIFIED: 25 of 25 checks passed")


def test_a_failure_exits_one_and_names_the_line(
    record: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "r"
    copy.mkdir()
    for file in record.path.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    ballots = read_lines(copy / "ballots.jsonl")
    ballots[4]["signature"] = "00" * 64
    write_lines(copy / "ballots.jsonl", ballots)
    assert main(["verify", str(copy), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  ballots.signature" in out
    assert "ballots.jsonl line 5, field signature" in out
    assert "FAILED: 9 of 25 checks passed" in out


@pytest.mark.parametrize("folder", ["", "election/"])
def test_a_zip_of_the_record_verifies(record: BuiltRecord, tmp_path: Path, folder: str) -> None:
    archive = tmp_path / "record.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(record.path.iterdir()):
            out.write(file, folder + file.name)
    assert statuses(archive) == [(name, Status.PASS) for name in CHECKS]


def test_worker_processes_give_the_same_verdict(
    record: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "SMALL_BOARD_BYTES", 0)
    monkeypatch.setattr("ballots.verifier._ballot_pass.CHUNK_LINES", 2)
    assert statuses(record.path, workers=2) == [(name, Status.PASS) for name in CHECKS]


def test_worker_processes_find_the_first_bad_line(
    record: BuiltRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "SMALL_BOARD_BYTES", 0)
    monkeypatch.setattr("ballots.verifier._ballot_pass.CHUNK_LINES", 2)
    copy = tmp_path / "r"
    copy.mkdir()
    for file in record.path.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    ballots = read_lines(copy / "ballots.jsonl")
    ballots[5]["signature"] = "00" * 64
    ballots[2]["credential"]["prefix"] = "11" * 32
    write_lines(copy / "ballots.jsonl", ballots)
    with open_record(copy) as source:
        last = list(iter_results(State(source, 2)))[-1]
    assert last.failure is not None
    assert (last.name, last.failure.line) == ("ballots.credential_signature", 3)


def test_an_election_without_ballots_verifies(tmp_path: Path) -> None:
    """Zero ballots: identity aggregates and identity shares (§7), one size-0 checkpoint."""
    empty = build_record(
        tmp_path / "r", voters=0, postal=PostalSpec(envelopes=3), postal_registered=3
    )
    assert statuses(empty.path) == [(name, Status.PASS) for name in CHECKS]


def test_no_quorum_and_a_missed_quorum(tmp_path: Path) -> None:
    low = build_record(tmp_path / "low", voters=2, eligible=40, quorum=50)
    none = build_record(tmp_path / "none", voters=2, quorum=None)
    assert statuses(low.path)[-3:] == [
        ("tally.quorum", Status.PASS),
        ("tally.statement", Status.PASS),
        ("tally.postal_signatures", Status.PASS),
    ]
    assert statuses(none.path)[-3] == ("tally.quorum", Status.PASS)


def test_not_a_record_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_record(str(tmp_path / "nothing")) == 2
    assert "neither a record directory nor a zip" in capsys.readouterr().out


def test_a_missing_file_fails_the_layout_check(record: BuiltRecord, tmp_path: Path) -> None:
    copy = tmp_path / "r"
    copy.mkdir()
    for file in record.path.iterdir():
        if file.name != "tally.json":
            (copy / file.name).write_bytes(file.read_bytes())
    with open_record(copy) as source:
        last = list(iter_results(State(source, 1)))[-1]
    assert last.failure is not None
    assert (last.name, last.failure.file, last.failure.line) == (
        "record.files",
        "tally.json",
        None,
    )


def test_the_ledger_finds_the_earliest_repeat_across_spilled_runs() -> None:
    ledger = CredentialLedger(buffer_records=3)
    keys = [os.urandom(32) for _ in range(10)]
    for line, key in enumerate(keys, start=1):
        ledger.add(key, line)
    assert ledger.first_duplicate() is None
    ledger.add(keys[7], 11)
    ledger.add(keys[2], 12)
    ledger.add(keys[2], 13)
    duplicate = ledger.first_duplicate()
    assert duplicate is not None
    assert (duplicate.key, duplicate.first_line, duplicate.line) == (keys[7], 8, 11)
    assert ledger.first_duplicate(before_line=11) is None
    ledger.close()


def test_the_direct_context_encoding_is_the_spec_hash(record: BuiltRecord) -> None:
    """§5 context(q, o) written out directly equals H over canonical JSON."""
    from ballots.verifier._ballot_checks import BallotVerifier
    from ballots.verifier._runner import _rules
    from ballots.verifier._setup_checks import check_manifest_hash
    from tests.support.record_builder import proof_context

    with open_record(record.path) as source:
        state = State(source, 1)
        check_manifest_hash(state)
        verifier = BallotVerifier(_rules(state))
    key = os.urandom(32)
    for question, option in [(0, 0), (2, 4), (1, -1), (11, 255)]:
        expected = proof_context(record.manifest_hash_hex, key.hex(), question, option)
        assert verifier.context(key, question, option) == expected
