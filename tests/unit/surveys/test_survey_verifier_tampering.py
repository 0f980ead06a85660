"""The survey verifier: an honest record passes; every alteration fails, named.

The record is built as the service builds it: real blind signatures from one issuer
key per audience, answers signed by the credential keys, a signed board checkpoint for
the empty board and one per batch of two answers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from ballots import board
from crypto.blind_rsa import BlindRsaPrivateKey, blind_sign
from crypto.canonical import canonical_json
from surveys import client
from surveys.answer_format import answer_leaf, fingerprint
from surveys.definition import read_definition
from surveys.record import record_files, zip_record
from surveys.verifier import RecordUnreadable, read_record, verify_record
from tests.surveys_support import example_definition, good_answers, roll_for

SURVEY = "5b0e8c1e-0000-4000-8000-000000000001"
ORIGIN = "stimmwerk.test/survey/" + SURVEY
MANIFEST = read_definition(example_definition())
ISSUERS = {
    "members": BlindRsaPrivateKey.generate(2048),
    "guests": BlindRsaPrivateKey.generate(2048),
}
BOARD_SEED = bytes(range(32))
ELIGIBLE = 8
_, ROLL_COMMITMENT = roll_for(SURVEY, {"members": ELIGIBLE}, {})
FINGERPRINT = fingerprint(
    survey_id=SURVEY,
    unit="LV1",
    opens_at="2026-12-01T08:00:00Z",
    closes_at="2026-12-08T18:00:00Z",
    manifest_hash=MANIFEST.hash_hex,
    issuers={a: k.public_key.to_der().hex() for a, k in ISSUERS.items()},
    eligible_members=ELIGIBLE,
    origin=ORIGIN,
    board_public_key=board.signer(ORIGIN, BOARD_SEED).secret_key.public_key.hex(),
    roll=ROLL_COMMITMENT,
)


def _credential(audience: str) -> client.SurveyCredential:
    key = ISSUERS[audience]
    request = client.request_credential(key.public_key, SURVEY, audience)
    return client.finish_credential(key.public_key, request, blind_sign(key, request.blinded_msg))


def _checkpoints(lines: list[bytes], batch: int = 2) -> list[str]:
    """The board's signed checkpoints as the service makes them: empty, then per batch."""
    signer = board.signer(ORIGIN, BOARD_SEED)
    state = board.BoardState.empty()
    notes = [board.sign_empty(signer)]
    for start in range(0, len(lines), batch):
        leaves = [answer_leaf(line) for line in lines[start : start + batch]]
        appended = board.append_batch(state, leaves, signer)
        state = appended.state
        notes.append(appended.note)
    return notes


def _checkpoint_lines(notes: list[str]) -> bytes:
    return b"".join(canonical_json({"note": note}) + b"\n" for note in notes)


def _files(
    lines: list[bytes], *, credentials: int = 5, eligible: int = ELIGIBLE
) -> dict[str, bytes]:
    return record_files(
        survey_id=SURVEY,
        manifest=MANIFEST,
        unit="LV1",
        opens_at="2026-12-01T08:00:00Z",
        closes_at="2026-12-08T18:00:00Z",
        audiences={
            "members": {
                "issuer_spki": ISSUERS["members"].public_key.to_der().hex(),
                "eligible": eligible,
                "credentials": credentials,
            },
            "guests": {
                "issuer_spki": ISSUERS["guests"].public_key.to_der().hex(),
                "eligible": None,
                "credentials": 1,
            },
        },
        origin=ORIGIN,
        board_public_key=board.signer(ORIGIN, BOARD_SEED).secret_key.public_key.hex(),
        lines=lines,
        checkpoints=_checkpoints(lines),
        roll=roll_for(SURVEY, {"members": eligible}, {"members": min(credentials, eligible)})[0],
        roll_commitment=ROLL_COMMITMENT,
    )


def _honest() -> tuple[list[bytes], dict[str, bytes]]:
    lines = []
    for n in range(4):
        sheet = good_answers()
        sheet["q5"] = n + 1
        lines.append(client.answer_line(MANIFEST, FINGERPRINT, _credential("members"), sheet))
    guest = good_answers()
    guest["q1"] = "jahr"
    lines.append(client.answer_line(MANIFEST, FINGERPRINT, _credential("guests"), guest))
    return lines, _files(lines)


def _failed(files: dict[str, bytes]) -> list[str]:
    report = verify_record(files)
    return [check for check, _ in report.failures]


def test_an_honest_record_verifies() -> None:
    _, files = _honest()
    report = verify_record(files)
    assert report.ok, report.failures
    assert "results.members" in report.passed
    assert "results.guests" in report.passed


def test_guests_are_counted_apart_from_members() -> None:
    _, files = _honest()
    results = json.loads(files["results.json"])
    assert results["members"]["respondents"] == 4
    assert results["guests"]["respondents"] == 1
    assert results["members"]["questions"]["q1"]["counts"]["jahr"] == 0


def _resign_board(files: dict[str, bytes], lines: list[bytes]) -> dict[str, bytes]:
    out = dict(files)
    out["answers.jsonl"] = b"".join(line + b"\n" for line in lines)
    out["checkpoints.jsonl"] = _checkpoint_lines(_checkpoints(lines))
    return out


def test_an_altered_answer_fails_at_that_answer() -> None:
    lines, files = _honest()
    line = json.loads(lines[2])
    line["answers"]["q5"] = 1
    lines[2] = canonical_json(line)
    forged = dict(files)
    forged["answers.jsonl"] = b"".join(x + b"\n" for x in lines)
    # the checkpoint of its batch no longer has the root of the first four answers
    assert "board.checkpoint_consistency" in _failed(forged)
    # even with the board re-signed by the operator, the credential signature fails
    report = verify_record(_resign_board(files, lines))
    assert report.failures[0][0] == "answers.signature"
    assert report.failures[0][1].startswith("answer 2:")


def test_a_second_answer_with_one_credential_fails() -> None:
    lines, files = _honest()
    credential = _credential("members")
    extra = [
        client.answer_line(MANIFEST, FINGERPRINT, credential, good_answers()) for _ in range(2)
    ]
    assert "answers.one_per_credential" in _failed(_resign_board(files, lines + extra))


def test_a_stuffed_answer_without_a_credential_fails() -> None:
    lines, files = _honest()
    other = BlindRsaPrivateKey.generate(2048)
    request = client.request_credential(other.public_key, SURVEY, "members")
    fake = client.finish_credential(
        other.public_key, request, blind_sign(other, request.blinded_msg)
    )
    lines.append(client.answer_line(MANIFEST, FINGERPRINT, fake, good_answers()))
    assert "answers.credential" in _failed(_resign_board(files, lines))


def test_a_guest_credential_cannot_count_as_a_member() -> None:
    lines, files = _honest()
    line = json.loads(lines[4])
    line["audience"] = "members"
    lines[4] = canonical_json(line)
    assert "answers.credential" in _failed(_resign_board(files, lines))


def test_an_answer_breaking_a_rule_fails_even_if_signed() -> None:
    lines, files = _honest()
    sheet = good_answers()
    sheet["q2"] = "no"  # q4 is then not asked, but answered
    lines.append(
        client.answer_line(MANIFEST, FINGERPRINT, _credential("members"), sheet, check=False)
    )
    report = verify_record(_resign_board(files, lines))
    assert report.failures[0][0] == "answers.rules"
    assert "q4" in report.failures[0][1]


def test_more_answers_than_credentials_and_more_credentials_than_eligible_fail() -> None:
    lines, _ = _honest()
    assert "counts.members.answers" in _failed(_files(lines, credentials=3))
    assert "counts.members.credentials" in _failed(_files(lines, credentials=9))
    # the frozen member count is in the fingerprint every answer signs, and the frozen
    # list with one more entry no longer gives the committed root
    assert _failed(_files(lines, credentials=9, eligible=9)) == [
        "roll.commitment",
        "answers.format",
    ]


def test_a_forged_result_fails() -> None:
    _, files = _honest()
    results = json.loads(files["results.json"])
    results["members"]["questions"]["q2"]["counts"]["yes"] += 1
    forged = dict(files, **{"results.json": canonical_json(results)})
    assert _failed(forged) == ["results.members"]
    results = json.loads(files["results.json"])
    results["members"] = results["guests"]
    assert "results.members" in _failed(dict(files, **{"results.json": canonical_json(results)}))


def test_a_changed_manifest_fails() -> None:
    _, files = _honest()
    survey = json.loads(files["survey.json"])
    survey["manifest"]["title"] = "Andere Frage"
    forged = dict(files, **{"survey.json": canonical_json(survey) + b"\n"})
    assert _failed(forged) == ["survey.manifest_hash"]
    survey = json.loads(files["survey.json"])
    survey["closes_at"] = "2026-12-09T18:00:00Z"
    forged = dict(files, **{"survey.json": canonical_json(survey) + b"\n"})
    assert _failed(forged) == ["survey.keys"]


def test_dropping_an_answer_fails() -> None:
    lines, files = _honest()
    forged = dict(files, **{"answers.jsonl": b"".join(x + b"\n" for x in lines[1:])})
    assert "board.checkpoint_consistency" in _failed(forged)


def test_a_board_reordered_under_the_published_checkpoints_fails() -> None:
    """The final checkpoint signed again over another order, the earlier ones kept: the
    batch checkpoints members hold no longer have the roots of the board's prefixes."""
    lines, files = _honest()
    notes = _checkpoints(lines)
    reordered = [lines[1], lines[0], *lines[2:]]
    forged = dict(files)
    forged["answers.jsonl"] = b"".join(x + b"\n" for x in reordered)
    forged["checkpoints.jsonl"] = _checkpoint_lines([*notes[:-1], _checkpoints(reordered)[-1]])
    report = verify_record(forged)
    assert [check for check, _ in report.failures] == ["board.checkpoint_consistency"]
    assert "checkpoints.jsonl line 2" in report.failures[0][1]


def test_a_history_that_shrinks_or_ends_early_fails() -> None:
    lines, files = _honest()
    notes = _checkpoints(lines)
    shrinks = dict(
        files, **{"checkpoints.jsonl": _checkpoint_lines([notes[0], notes[2], notes[1], notes[3]])}
    )
    assert _failed(shrinks) == ["board.checkpoint_consistency"]
    early = dict(files, **{"checkpoints.jsonl": _checkpoint_lines(notes[:-1])})
    assert _failed(early) == ["board.final_root"]
    none = dict(files, **{"checkpoints.jsonl": b""})
    assert _failed(none) == ["board.final_root"]
    other_key = board.signer(ORIGIN, bytes(32))
    foreign = board.sign_empty(other_key)
    signed_by_another = dict(
        files, **{"checkpoints.jsonl": _checkpoint_lines([foreign, *notes[1:]])}
    )
    assert _failed(signed_by_another) == ["board.checkpoint_signatures"]
    no_newline = dict(files, **{"checkpoints.jsonl": _checkpoint_lines(notes)[:-1]})
    assert _failed(no_newline) == ["board.checkpoint_signatures"]


_, HONEST = _honest()


@pytest.mark.parametrize("name", sorted(HONEST))
def test_any_flipped_byte_fails(name: str) -> None:
    """Every byte of every file, one at a time, except where a count may honestly vary.

    The count of issued credentials is not signed by anyone (it grows while the survey
    is open); it is checked only against answers and eligible (``counts.*``).
    """
    data = HONEST[name]
    loose: set[int] = set()
    if name == "survey.json":
        for found in re.finditer(rb'"credentials":\d+', data):
            loose.update(range(found.start(), found.end()))
    for position in range(0, len(data), max(1, len(data) // 300)):
        if position in loose:
            continue
        mutated = bytearray(data)
        mutated[position] ^= 0x01
        assert not verify_record(dict(HONEST, **{name: bytes(mutated)})).ok, (name, position)


def test_the_zip_verifies_and_an_ambiguous_zip_is_refused(tmp_path: Path) -> None:
    _, files = _honest()
    good = tmp_path / "record.zip"
    good.write_bytes(zip_record(files, "survey-record"))
    assert verify_record(read_record(good)).ok
    twice = tmp_path / "twice.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(twice, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate we are making
        for name, data in files.items():
            archive.writestr(f"r/{name}", data)
        archive.writestr("r/results.json", b"{}")
    with pytest.raises(RecordUnreadable, match="twice"):
        read_record(twice)


def test_stimmwerk_verify_checks_a_survey_record_and_names_the_altered_answer(
    tmp_path: Path,
) -> None:
    """The CLI as a subprocess: the honest zip verifies, one altered answer fails there."""
    good = tmp_path / "survey-record.zip"
    good.write_bytes(zip_record(HONEST, "survey-record"))
    command = [sys.executable, "-m", "app.cli", "verify", str(good)]
    passed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "SURVEY RECORD VERIFIED" in passed.stdout
    lines = HONEST["answers.jsonl"].splitlines()
    line = json.loads(lines[1])
    line["answers"]["q1"] = "jahr"
    lines[1] = canonical_json(line)
    bad = tmp_path / "altered.zip"
    bad.write_bytes(zip_record(_resign_board(HONEST, lines), "survey-record"))
    failed = subprocess.run([*command[:-1], str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "FAIL answers.signature: answer 1:" in failed.stdout
