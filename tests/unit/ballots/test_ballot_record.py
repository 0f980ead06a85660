"""The simulator's record is canonical, carries no personal data, and verifies."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest

from ballots.keyfile import CHEAP_LIMITS
from ballots.record_writer import RECORD_FILES
from ballots.simulate import SimulationConfig, parse_question, run_simulation
from crypto.canonical import canonical_json
from tests.ballots_support import shared_issuer_key


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("simulated") / "record"
    questions = tuple(
        parse_question(i, s) for i, s in enumerate(["yes_no_abstain", "one_of:3", "up_to:2/4"])
    )
    config = SimulationConfig(
        voters=6,
        trustees=3,
        threshold=2,
        out=out,
        postal=2,
        non_voters=1,
        questions=questions,
        seed=7,
        workers=1,
        kdf=CHEAP_LIMITS,
        issuer_key=shared_issuer_key(),
    )
    lines: list[str] = []
    result = run_simulation(config, log=lines.append)
    assert "replayed ballot refused: a credential counts once" in lines
    assert result.tally["ballots_counted"] == 6
    return out


def test_record_files_are_canonical(simulated: Path) -> None:
    assert sorted(p.name for p in simulated.iterdir()) == sorted(RECORD_FILES)
    for name in RECORD_FILES:
        data = (simulated / name).read_bytes()
        if name.endswith(".jsonl"):
            assert data.endswith(b"\n")
            for line in data.splitlines():
                assert canonical_json(json.loads(line)) == line
        else:
            assert canonical_json(json.loads(data)) == data
    roll = json.loads((simulated / "roll.json").read_bytes())
    assert (roll["eligible"], roll["postal"], len(roll["entries"])) == (9, 2, 7)
    issuance = json.loads((simulated / "issuance.json").read_bytes())
    assert issuance["issued"] == 6
    assert issuance["entries"] == sorted(issuance["entries"])
    checkpoints = (simulated / "checkpoints.jsonl").read_bytes().splitlines()
    assert [json.loads(c)["note"].split("\n")[1] for c in checkpoints] == [str(i) for i in range(7)]


def test_record_carries_no_membership_numbers(simulated: Path) -> None:
    text = "".join((simulated / name).read_text(encoding="utf-8") for name in RECORD_FILES)
    assert "S000000" not in text  # the simulator's membership numbers
    assert "Mitglied 1" not in text  # and their names


@pytest.mark.parametrize("zipped", [False, True], ids=["directory", "zip"])
def test_simulated_record_verifies(simulated: Path, zipped: bool) -> None:
    if importlib.util.find_spec("ballots.verifier") is None:
        pytest.skip("ballots.verifier (the independent verifier) is not written yet")
    from ballots.verifier import EXIT_OK, verify_record

    path = simulated.with_name("record.zip") if zipped else simulated
    report = io.StringIO()
    assert verify_record(str(path), workers=1, out=report) == EXIT_OK, report.getvalue()
