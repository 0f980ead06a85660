"""`stimmwerk initiative-check FILE` as an auditor runs it: a fresh process, no database.

A published list passes; a dropped leaf, a raised count or a swapped root fails the
named check; an unreadable file is a clear message and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from motions.commitment import leaf, published

INITIATIVE = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def honest(tmp_path: Path) -> dict[str, object]:
    leaves = [leaf(INITIATIVE, f"{1000 + i}", f"{i:02x}" * 16) for i in range(7)]
    return published(INITIATIVE, leaves, count=7)


def test_a_published_list_passes(tmp_path: Path, honest: dict[str, object]) -> None:
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    done = _run(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout


@pytest.mark.parametrize(
    ("forge", "check"),
    [
        (lambda d: d.update(leaves=d["leaves"][1:]), "the root matches the leaves"),
        (lambda d: d.update(count=d["count"] + 1), "the count equals the number of leaves"),
        (lambda d: d.update(root="00" * 32), "the root matches the leaves"),
        (lambda d: d.update(leaves=d["leaves"][:1] * 2 + d["leaves"][2:]), "sorted and distinct"),
    ],
)
def test_a_forged_list_fails_the_named_check(
    tmp_path: Path, honest: dict[str, object], forge: object, check: str
) -> None:
    forge(honest)  # type: ignore[operator]
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    done = _run(path)
    assert done.returncode == 1
    assert any(line.startswith("FAIL") and check in line for line in done.stdout.splitlines())


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"leaves": 3}'])
def test_a_bad_file_is_a_clear_message(tmp_path: Path, content: str) -> None:
    path = tmp_path / "signatures.json"
    path.write_text(content)
    done = _run(path)
    assert done.returncode in {1, 2}
    assert "Traceback" not in done.stderr
    assert (done.stderr + done.stdout).strip()


def _run_with(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_receipt_is_found_by_salt_and_number_and_by_its_leaf(
    tmp_path: Path, honest: dict[str, object]
) -> None:
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    mine = leaf(INITIATIVE, "1003", "03" * 16).hex()
    by_salt = _run_with(path, "--number", "1003", "--salt", "03" * 16)
    assert by_salt.returncode == 0, by_salt.stdout + by_salt.stderr
    assert f"ok   the receipt's leaf {mine} is in the list" in by_salt.stdout
    by_leaf = _run_with(path, "--leaf", mine.upper())
    assert by_leaf.returncode == 0, by_leaf.stdout + by_leaf.stderr


@pytest.mark.parametrize(
    "extra",
    [
        ("--number", "9999", "--salt", "03" * 16),  # another member's number, same salt
        ("--leaf", "ab" * 32),  # a code that is not in the list
    ],
)
def test_a_receipt_not_in_the_list_fails(
    tmp_path: Path, honest: dict[str, object], extra: tuple[str, ...]
) -> None:
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    done = _run_with(path, *extra)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL the receipt's leaf" in done.stdout


def test_a_receipt_in_a_forged_list_is_not_reported_as_counted(
    tmp_path: Path, honest: dict[str, object]
) -> None:
    """The leaf is there, but the root does not back the list: not proven, not counted."""
    honest["root"] = "00" * 32
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    done = _run_with(path, "--number", "1003", "--salt", "03" * 16)
    assert done.returncode == 1
    assert "FAIL the receipt's leaf" in done.stdout


@pytest.mark.parametrize(
    "extra",
    [
        ("--salt", "03" * 16),  # without --number
        ("--number", "1003", "--salt", "kein-salz"),
    ],
)
def test_a_malformed_receipt_is_a_clear_message(
    tmp_path: Path, honest: dict[str, object], extra: tuple[str, ...]
) -> None:
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(honest))
    done = _run_with(path, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()
