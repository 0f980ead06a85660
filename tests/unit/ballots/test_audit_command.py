"""``stimmwerk check-audit FILE`` as a member runs it: its own process, files on disk.

Opened ballots here are made by the Python client; the ones made by the browser are
checked in ``tests/browser/test_booth.py`` and ``tests/js/test_ballot_check_agrees.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ballots import client
from crypto import elgamal
from tests.js.test_ballot_check_agrees import CHOICES, ELECTION_ID, _client_data, _python_audit


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "check-audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return _client_data()


def _write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def test_an_opened_ballot_checks_against_the_election_data(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    audit = _python_audit(data)
    run = _run(
        _write(tmp_path / "a.json", audit), "--client-data", _write(tmp_path / "d.json", data)
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK: the encrypted ballot ")
    assert "2. Welcher Ort für den Parteitag?: Kiel" in run.stdout
    assert "Note:" not in run.stdout


def test_offline_it_says_whose_key_it_used(tmp_path: Path, data: dict[str, Any]) -> None:
    audit = {**_python_audit(data), "manifest": data["manifest"], "keys": data["keys"]}
    run = _run(_write(tmp_path / "a.json", audit))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "taken from the file itself" in run.stdout
    assert "Election fingerprint: " in run.stdout


def test_a_changed_opening_fails_and_names_the_problem(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    audit = _python_audit(data)
    row = audit["openings"][1]
    row[0][0], row[2][0] = row[2][0], row[0][0]  # "kiel" becomes "berlin"
    audit["choices"]["q2"] = ["berlin"]
    run = _run(
        _write(tmp_path / "a.json", audit), "--client-data", _write(tmp_path / "d.json", data)
    )
    assert run.returncode == 1
    assert "FAILED" in run.stdout
    assert "does not match its revealed numbers" in run.stdout


def test_a_ballot_under_another_key_fails_against_the_servers_key(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    own = _client_data(elgamal.generate_keypair().public)
    own["manifest"] = data["manifest"]
    own["keys"] = {**data["keys"], "joint_public_key": own["keys"]["joint_public_key"]}
    keys = client.election_keys_from_record(own["manifest"], own["keys"])
    credential = client.Credential(
        ELECTION_ID, client.Ed25519SecretKey.generate(), b"\0" * 32, b"\0" * 384
    )
    opened = client.spoil(client.encrypt_ballot(keys, credential, CHOICES))
    audit = json.loads(
        json.dumps(
            {
                "format": "stimmwerk/ballot-audit/v1",
                "election_id": ELECTION_ID,
                "ballot": opened.body,
                "openings": [[list(p) for p in row] for row in opened.openings],
                "manifest": own["manifest"],
                "keys": own["keys"],
            }
        )
    )
    assert _run(_write(tmp_path / "a.json", audit)).returncode == 0  # agrees with itself
    run = _run(
        _write(tmp_path / "a.json", audit), "--client-data", _write(tmp_path / "d.json", data)
    )
    assert run.returncode == 1


@pytest.mark.parametrize("content", ["", "{not json", "[]", '{"format": "x"}'])
def test_junk_gets_a_clear_answer_never_a_traceback(tmp_path: Path, content: str) -> None:
    path = tmp_path / "junk.json"
    path.write_text(content, encoding="utf-8")
    run = _run(str(path))
    assert run.returncode in {1, 2}
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith("FAILED") or run.stderr.startswith("error: cannot read")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    run = _run(str(tmp_path / "nowhere.json"))
    assert run.returncode == 2
    assert "nowhere.json" in run.stderr
