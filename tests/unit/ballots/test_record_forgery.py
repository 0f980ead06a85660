"""The operator's forgeries of issue 8, each performed and each refused by the verifier.

An operator holds the database, the issuer key and the board key, but not the trustees'
shares. Each test forges a record the way such an operator would, including every
re-signing and re-hashing the operator *can* do, and shows that ``stimmwerk verify``
(the real command, as a subprocess, at least once per attack) refuses it and names the
check: a forged roll that turns a missed quorum into a binding result, a board re-signed
under a fresh key, an impossible postal line, and zips that hold two readings.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ballots.record import open_record
from ballots.verifier import CHECKS, State, Status, iter_results
from crypto.canonical import domain_hash
from crypto.checkpoints import NoteSigner
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.signing import Ed25519SecretKey
from tests.support.record_builder import (
    STATEMENT_LABEL,
    YES_NO_ABSTAIN,
    BuiltRecord,
    PostalSpec,
    QuestionSpec,
    build_record,
    fingerprint_of,
    postal_signature,
    read_json,
    read_lines,
    sign_note,
    write_json,
    write_lines,
)

ROOT = Path(__file__).resolve().parents[3]


def verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`stimmwerk verify PATH` as an auditor runs it."""
    return subprocess.run(  # fixed argv, our own command
        [sys.executable, "-m", "app.cli", "verify", "--workers", "1", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def stops_at(path: Path) -> tuple[str, str]:
    """The failing check and its message (all earlier checks passed)."""
    with open_record(path) as source:
        outcome = list(iter_results(State(source, workers=1)))
    last = outcome[-1]
    assert last.status is Status.FAIL, [str(r) for r in outcome]
    assert all(r.ok for r in outcome[:-1])
    return last.name, last.detail


def stops_with(path: Path, check: str, detail: str = "") -> None:
    """The verifier stops at ``check`` (all earlier checks passed), ``detail`` in its message."""
    name, message = stops_at(path)
    assert name == check
    assert detail in message


def caught(path: Path, check: str, detail: str = "") -> str:
    """The verifier stops at ``check`` (all earlier checks passed) with ``detail`` in its
    message, and the auditor's command fails at that check; the command's output."""
    stops_with(path, check, detail)
    run = verify(path)
    assert run.returncode == 1
    assert f"FAIL  {check}" in run.stdout
    return run.stdout


def copy_of(record: BuiltRecord, tmp_path: Path, name: str = "forged") -> Path:
    target = tmp_path / name
    shutil.copytree(record.path, target)
    return target


def edit(path: Path, change: Any) -> None:
    value = read_json(path)
    change(value)
    write_json(path, value)


# -- 2: the forged roll (quorum and "binding") ------------------------------------------------


@pytest.fixture(scope="module")
def low_turnout(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    """7 of 10 members voted (70 %), the quorum is 90 %: not binding."""
    return build_record(
        tmp_path_factory.mktemp("low") / "r",
        voters=7,
        unused_credentials=0,
        eligible=10,
        postal_registered=0,
        postal=PostalSpec(envelopes=0),
        quorum=90,
    )


def forge_full_turnout(path: Path, *, rewrite_statement: bool) -> None:
    """Drop the roll entries that never got a credential; 100 % turnout, binding."""
    issued = set(read_json(path / "issuance.json")["entries"])
    roll = read_json(path / "roll.json")
    roll["entries"] = [e for e in roll["entries"] if e in issued]
    roll["eligible"] = len(roll["entries"]) + roll["postal"]
    roll["commitment"] = root_from_leaf_hashes(
        leaf_hash(bytes.fromhex(e)) for e in roll["entries"]
    ).hex()
    write_json(path / "roll.json", roll)

    def tally(value: dict[str, Any]) -> None:
        turnout = value["turnout"]
        turnout.update(eligible=roll["eligible"])
        turnout.update(percent_x100=10000 * turnout["participants"] // roll["eligible"])
        value.update(quorum_met=True, binding=True)
        if rewrite_statement:
            value["statement"]["roll"].update(
                commitment=roll["commitment"],
                eligible=roll["eligible"],
                online=roll["eligible"] - roll["postal"],
            )

    edit(path / "tally.json", tally)


def test_the_honest_low_turnout_record_verifies_not_binding(low_turnout: BuiltRecord) -> None:
    tally = read_json(low_turnout.path / "tally.json")
    assert (tally["turnout"]["percent_x100"], tally["binding"]) == (7000, False)
    assert verify(low_turnout.path).returncode == 0


def test_a_forged_roll_is_refused_by_the_statement(
    low_turnout: BuiltRecord, tmp_path: Path
) -> None:
    forged = copy_of(low_turnout, tmp_path)
    forge_full_turnout(forged, rewrite_statement=False)
    stops_with(forged, "tally.statement", "statement.roll.commitment")


def test_a_forged_roll_with_a_rewritten_statement_breaks_every_decryption_proof(
    low_turnout: BuiltRecord, tmp_path: Path
) -> None:
    forged = copy_of(low_turnout, tmp_path)
    forge_full_turnout(forged, rewrite_statement=True)
    stdout = caught(forged, "tally.decryption_proofs")
    assert "Chaum–Pedersen proof does not verify" in stdout


# -- 3: the board re-signed under a fresh key ---------------------------------------------------


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("honest") / "r", voters=4)


def rewrite_board(path: Path, signer: NoteSigner) -> None:
    """Swap the first two ballots and sign every checkpoint again with ``signer``."""
    ballots = read_lines(path / "ballots.jsonl")
    ballots[0], ballots[1] = ballots[1], ballots[0]
    write_lines(path / "ballots.jsonl", ballots)
    lines = (path / "ballots.jsonl").read_bytes().splitlines()
    origin = read_json(path / "manifest.json")["board_origin"]
    notes = [
        sign_note(signer, origin, size, root_from_leaf_hashes(leaf_hash(x) for x in lines[:size]))
        for size in range(len(lines) + 1)
    ]
    write_lines(path / "checkpoints.jsonl", notes)


@pytest.mark.parametrize("fingerprint", ["kept", "recomputed"])
def test_a_board_resigned_with_a_fresh_key_is_refused(
    honest: BuiltRecord, tmp_path: Path, fingerprint: str
) -> None:
    forged = copy_of(honest, tmp_path)
    origin = read_json(forged / "manifest.json")["board_origin"]
    fresh = NoteSigner(origin, Ed25519SecretKey.generate())
    rewrite_board(forged, fresh)

    def keys(value: dict[str, Any]) -> None:
        value["board_public_key"] = fresh.secret_key.public_key.hex()
        if fingerprint == "recomputed":
            value["fingerprint"] = fingerprint_of(value).hex()

    edit(forged / "keys.json", keys)
    expected = "keys.fingerprint" if fingerprint == "kept" else "keys.trustee_proofs"
    caught(forged, expected)


def test_a_board_rewritten_with_the_real_board_key_is_refused_by_the_statement(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """The operator holds the board key itself: the trustees bound the final root."""
    forged = copy_of(honest, tmp_path)
    rewrite_board(forged, honest.secrets.board)
    stops_with(forged, "tally.statement", "statement.board.root")


# -- 4: the impossible postal line ----------------------------------------------------------------

UP_TO_3_OF_5 = QuestionSpec("q3", "up_to", ("a", "b", "c", "d", "e"), 0, 3, "Welche Themen?")


def test_21_postal_crosses_from_7_papers_on_one_option_are_refused(tmp_path: Path) -> None:
    """Only the sum was bounded (21 ≤ 3 · 7); each option gets at most one cross per paper."""
    record = build_record(
        tmp_path / "r",
        voters=2,
        questions=(UP_TO_3_OF_5,),
        postal_registered=7,
        postal=PostalSpec(envelopes=7, counts=((21, 0, 0, 0, 0),), invalid=(0,)),
    )
    stdout = caught(record.path, "tally.result", "questions[0].postal.counts[0]")
    assert "21 crosses for one option from 7 valid papers" in stdout


def test_a_postal_line_changed_after_decryption_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """A plausible but different postal line: the statement the trustees bound differs."""
    forged = copy_of(honest, tmp_path)

    def tally(value: dict[str, Any]) -> None:
        question = value["questions"][0]
        question["postal"]["counts"][0] -= 1
        question["postal"]["counts"][1] += 1
        question["result"][0] -= 1
        question["result"][1] += 1

    edit(forged / "tally.json", tally)
    stops_with(forged, "tally.statement", "statement.postal.questions[0].counts")


def rebind(record: BuiltRecord, tally: dict[str, Any]) -> None:
    """The trustees decrypt again under the (changed) statement: what they would do if
    the server handed it to tools that did not check it, or if ``t`` trustees colluded."""
    from crypto import threshold  # only the statement forgeries re-decrypt

    params = record.secrets.params
    context = domain_hash(STATEMENT_LABEL, tally["statement"])
    rebound = threshold.ThresholdParameters(params.threshold, params.trustees, context)
    for question in tally["questions"]:
        aggregate = [threshold_ciphertext(c["alpha"], c["beta"]) for c in question["aggregate"]]
        for partial in question["partial_decryptions"]:
            j = partial["trustee"]
            partial["shares"] = [
                share_json(
                    threshold.partial_decrypt(rebound, j, record.secrets.trustee_secrets[j], ct)
                )
                for ct in aggregate
            ]


def test_postal_confirmations_by_one_trustee_are_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """Both confirmations validly signed by trustee 1; the statement is re-bound by the
    trustees here, so only the four-eyes rule is left to catch it (§7.2)."""
    forged = copy_of(honest, tmp_path)
    tally = read_json(forged / "tally.json")
    statement = tally["statement"]
    lines = statement["postal"]["questions"]
    key = honest.secrets.signing_keys[1]
    statement["postal"]["confirmations"] = [
        {
            "step": step,
            "trustee": 1,
            "signature": postal_signature(
                key, statement["fingerprint"], step, statement["postal"]["envelopes"], lines
            ),
        }
        for step in ("entered", "confirmed")
    ]
    rebind(honest, tally)
    write_json(forged / "tally.json", tally)
    caught(forged, "tally.statement", "different trustees")


# -- the commission's two confirmations, signed (record §2.1, §7.3) ------------------------------


def operator_postal_line(record: BuiltRecord, path: Path, signer: Any) -> None:
    """The operator enters and "confirms" a postal line of its choice before the trustees
    decrypt; ``signer(index, step, payload_args)`` makes each confirmation's signature."""
    tally = read_json(path / "tally.json")
    statement = tally["statement"]
    question = tally["questions"][0]
    valid = question["postal"]["envelopes"] - question["postal"]["invalid"]
    line = [valid, 0, 0]  # every valid paper now says "yes"
    question["postal"]["counts"] = line
    question["result"] = [o + p for o, p in zip(question["online"], line, strict=True)]
    statement["postal"]["questions"][0]["counts"] = line
    lines = statement["postal"]["questions"]
    envelopes = statement["postal"]["envelopes"]
    statement["postal"]["confirmations"] = [
        {"step": step, "trustee": index, "signature": signer(index, step, envelopes, lines)}
        for index, step in ((1, "entered"), (2, "confirmed"))
    ]
    rebind(record, tally)
    write_json(path / "tally.json", tally)


def test_a_postal_line_signed_with_keys_that_are_not_the_trustees_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """(a) The operator signs with keys of its own: not the registered trustee keys."""
    forged = copy_of(honest, tmp_path)
    fingerprint = read_json(forged / "keys.json")["fingerprint"]
    own = Ed25519SecretKey.generate()
    operator_postal_line(
        honest,
        forged,
        lambda _i, step, envelopes, lines: postal_signature(
            own, fingerprint, step, envelopes, lines
        ),
    )
    caught(
        forged,
        "tally.postal_signatures",
        "is not trustee 1's signature of this postal line (entered)",
    )


def test_an_operator_key_put_into_keys_json_breaks_every_dealers_proof(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """(a) ... and registering its own key in keys.json after the ceremony is caught too."""
    forged = copy_of(honest, tmp_path)
    fingerprint = read_json(forged / "keys.json")["fingerprint"]
    own = {1: Ed25519SecretKey.generate(), 2: Ed25519SecretKey.generate()}

    def keys(value: dict[str, Any]) -> None:
        for index, key in own.items():
            value["trustees"][index - 1]["signing_key"] = key.public_key.hex()

    edit(forged / "keys.json", keys)
    operator_postal_line(
        honest,
        forged,
        lambda i, step, envelopes, lines: postal_signature(
            own[i], fingerprint, step, envelopes, lines
        ),
    )
    caught(forged, "keys.trustee_proofs", "trustees[0].proof")


def test_a_postal_line_signed_by_one_trustee_in_both_names_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """(b) One trustee signs both confirmations, the second one in another trustee's name."""
    forged = copy_of(honest, tmp_path)
    fingerprint = read_json(forged / "keys.json")["fingerprint"]
    first = honest.secrets.signing_keys[1]
    operator_postal_line(
        honest,
        forged,
        lambda _i, step, envelopes, lines: postal_signature(
            first, fingerprint, step, envelopes, lines
        ),
    )
    caught(
        forged,
        "tally.postal_signatures",
        "is not trustee 2's signature of this postal line (confirmed)",
    )


def test_a_postal_line_changed_after_the_trustees_signed_it_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """(c) The line is changed after both trustees signed it, and the trustees decrypted
    the changed statement (tools that did not check, or t colluding): the signatures are
    of the old figures."""
    forged = copy_of(honest, tmp_path)
    tally = read_json(forged / "tally.json")
    question = tally["questions"][0]
    counts = question["postal"]["counts"]
    moved = [counts[0] - 1, counts[1] + 1, *counts[2:]] if counts[0] else [0, counts[1] - 1, 1]
    question["result"] = [
        r - c + m for r, c, m in zip(question["result"], counts, moved, strict=True)
    ]
    question["postal"]["counts"] = moved
    tally["statement"]["postal"]["questions"][0]["counts"] = moved
    rebind(honest, tally)
    write_json(forged / "tally.json", tally)
    caught(forged, "tally.postal_signatures", "signature of this postal line")


def test_stripping_the_signing_keys_to_pass_off_an_unsigned_line_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """A downgrade to the unsigned form (only a WARN) breaks the dealers' proofs, which
    were made over the signing keys (§2.1)."""
    forged = copy_of(honest, tmp_path)

    def keys(value: dict[str, Any]) -> None:
        for trustee in value["trustees"]:
            del trustee["signing_key"]

    edit(forged / "keys.json", keys)
    tally = read_json(forged / "tally.json")
    statement = tally["statement"]
    del statement["joint_public_key"]
    statement["postal"]["confirmations"] = [
        {"step": step, "member": member}
        for step, member in (("entered", "66" * 32), ("confirmed", "77" * 32))
    ]
    rebind(honest, tally)
    write_json(forged / "tally.json", tally)
    caught(forged, "keys.trustee_proofs", "trustees[0].proof")


def test_a_v3_record_from_before_signed_postal_lines_verifies_with_a_warning(
    tmp_path: Path,
) -> None:
    old = build_record(tmp_path / "v3", voters=2, signed=False)
    run = verify(old.path)
    assert run.returncode == 0, run.stdout
    assert "VERIFIED with 1 warning(s)" in run.stdout
    assert "WARN  tally.postal_signatures" in run.stdout
    assert "not signatures by keys the operator does not control" in run.stdout


def threshold_ciphertext(alpha: str, beta: str) -> Any:
    from crypto.elgamal import Ciphertext
    from crypto.group import Point

    return Ciphertext(Point.decode(bytes.fromhex(alpha)), Point.decode(bytes.fromhex(beta)))


def share_json(partial: Any) -> dict[str, Any]:
    return {
        "value": partial.share.encoded.hex(),
        "proof": {
            "challenge": partial.proof.challenge.encoded.hex(),
            "response": partial.proof.response.encoded.hex(),
        },
    }


# -- 5: ambiguous zips ------------------------------------------------------------------------------


def zip_of(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate on purpose
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def record_members(record: BuiltRecord, prefix: str = "") -> list[tuple[str, bytes]]:
    return [(prefix + f.name, f.read_bytes()) for f in sorted(record.path.iterdir())]


def forged_tally(record: BuiltRecord) -> bytes:
    tally = read_json(record.path / "tally.json")
    tally["questions"][0]["result"][0] += 100
    from crypto.canonical import canonical_json

    return canonical_json(tally)


def test_a_zip_with_two_tally_files_is_refused(honest: BuiltRecord, tmp_path: Path) -> None:
    """`unzip -n` shows the first (forged) tally; zipfile would read the last one."""
    members = [("tally.json", forged_tally(honest)), *record_members(honest)]
    archive = zip_of(tmp_path / "two-tallies.zip", members)
    caught(archive, "record.files", "more than one member named tally.json")


def test_a_zip_with_files_at_the_top_and_in_a_folder_is_refused(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    members = [*record_members(honest), *record_members(honest, "wahl/")]
    members[-1] = ("wahl/tally.json", forged_tally(honest))
    archive = zip_of(tmp_path / "top-and-folder.zip", members)
    caught(archive, "record.files", "both at the top of the zip and in the folder")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("../tally.json", "leave the archive"),
        ("/etc/tally.json", "leave the archive"),
        ("README.txt", "unknown members"),
        ("Tally.json", "unknown members"),
    ],
)
def test_a_zip_with_unknown_or_escaping_members_is_refused(
    honest: BuiltRecord, tmp_path: Path, extra: str, problem: str
) -> None:
    members = [*record_members(honest), (extra, b"{}")]
    archive = zip_of(tmp_path / "extra.zip", members)
    stops_with(archive, "record.files", problem)


def test_a_directory_with_an_unknown_file_is_refused(honest: BuiltRecord, tmp_path: Path) -> None:
    forged = copy_of(honest, tmp_path)
    (forged / "tally-old.json").write_bytes(forged_tally(honest))
    stops_with(forged, "record.files", "tally-old.json")


# -- version 2 and the manifest window ------------------------------------------------------------


def test_a_version_2_record_verifies_with_warnings_naming_what_it_lacks(tmp_path: Path) -> None:
    old = build_record(tmp_path / "v2", voters=3, version=2)
    with open_record(old.path) as source:
        outcome = {r.name: r for r in iter_results(State(source, workers=1))}
    assert list(outcome) == list(CHECKS)
    warned = {name for name, r in outcome.items() if r.status is Status.WARN}
    assert warned == {"keys.fingerprint", "tally.statement", "tally.postal_signatures"}
    assert all(r.ok for r in outcome.values())
    run = verify(old.path)
    assert run.returncode == 0
    assert "VERIFIED with 3 warning(s)" in run.stdout
    assert "issuer and board keys are not bound" in run.stdout
    assert "postal line are not bound" in run.stdout


def test_a_reversed_election_window_is_refused(tmp_path: Path) -> None:
    record = build_record(tmp_path / "r", voters=1, questions=(YES_NO_ABSTAIN,))
    edit(
        record.path / "manifest.json",
        lambda m: m.update(opens_at="2026-11-25T08:00:00Z"),
    )
    stops_with(record.path, "manifest.hash", "closes_at")


def test_a_board_origin_of_another_election_is_refused(tmp_path: Path) -> None:
    record = build_record(tmp_path / "r", voters=1)
    edit(
        record.path / "manifest.json",
        lambda m: m.update(board_origin="stimmwerk/election/00000000-0000-4000-8000-000000000000"),
    )
    stops_with(record.path, "manifest.hash", "board_origin")


def test_a_zip_made_with_zip_r_and_its_folder_entry_verifies(
    honest: BuiltRecord, tmp_path: Path
) -> None:
    """`zip -r record.zip wahl/` also stores the folder itself: one reading, accepted."""
    archive = tmp_path / "folder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(zipfile.ZipInfo("wahl/"), b"")
        for name, data in record_members(honest, "wahl/"):
            out.writestr(name, data)
    assert verify(archive).returncode == 0
