"""Tampering tests: each named check of docs/election-record.md §8 catches its defect.

Every test copies a valid record, corrupts it in exactly one way (re-signing whatever
would otherwise fail first, so only the targeted check can fail) and asserts that the
verifier stops at that named check, naming the right file, line and field.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballots.record import open_record
from ballots.verifier import CHECKS, CheckResult, State, Status, iter_results
from crypto import blind_rsa
from crypto.group import GENERATOR, Point
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from tests.support.record_builder import (
    ONE_OF,
    YES_NO_ABSTAIN,
    BuiltRecord,
    build_record,
    fingerprint_of,
    read_json,
    read_lines,
    resign_ballot,
    sign_note,
    write_json,
    write_lines,
)

VOTERS = 4  # ballots on lines 1..4; checkpoints of sizes 0..4 on lines 1..5; 5 credentials


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(
        tmp_path_factory.mktemp("template") / "r", voters=VOTERS, questions=(YES_NO_ABSTAIN, ONE_OF)
    )


@pytest.fixture
def record(template: BuiltRecord, tmp_path: Path) -> BuiltRecord:
    copy = tmp_path / "record"
    shutil.copytree(template.path, copy)
    return BuiltRecord(
        copy, template.secrets, template.choices, template.election_id, template.manifest_hash_hex
    )


def results(path: Path) -> list[CheckResult]:
    with open_record(path) as source:
        return list(iter_results(State(source, workers=1)))


def assert_fails(path: Path, check: str, file: str, line: int | None, field: str) -> None:
    """The verifier stops at ``check`` (all earlier checks passed) naming this item."""
    outcome = results(path)
    last = outcome[-1]
    assert last.status is Status.FAIL, [str(r) for r in outcome]
    assert last.failure is not None
    assert (last.name, last.failure.file, last.failure.line, last.failure.field) == (
        check,
        file,
        line,
        field,
    ), last.detail
    before = outcome[: CHECKS.index(check)]
    assert all(r.status is not Status.FAIL for r in before)


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    value = read_json(path)
    change(value)
    write_json(path, value)


def edit_ballot(
    record: BuiltRecord,
    line: int,
    change: Callable[[dict[str, Any]], object],
    *,
    resign: bool = True,
) -> None:
    ballots = read_lines(record.path / "ballots.jsonl")
    change(ballots[line - 1])
    if resign:
        ballots[line - 1] = resign_ballot(
            ballots[line - 1], record.secrets.credential_seeds[line - 1]
        )
    write_lines(record.path / "ballots.jsonl", ballots)


def flip_hex(text: str, position: int = 10) -> str:
    """Change one hex digit (stays valid hex of the same length)."""
    return text[:position] + ("1" if text[position] != "1" else "2") + text[position + 1 :]


def other_point(hex_point: str) -> str:
    """A different valid group element: P + G."""
    return (Point.decode(bytes.fromhex(hex_point)) + GENERATOR).encoded.hex()


def leaf_roots(record: BuiltRecord) -> list[bytes]:
    """The board root after each number of ballots 0..N."""
    lines = (record.path / "ballots.jsonl").read_bytes().splitlines()
    leaves = [leaf_hash(line) for line in lines]
    return [root_from_leaf_hashes(leaves[:size]) for size in range(len(leaves) + 1)]


def origin(record: BuiltRecord) -> str:
    return str(read_json(record.path / "manifest.json")["board_origin"])


# -- the valid record -------------------------------------------------------------------------


def test_the_untouched_record_passes_every_check(record: BuiltRecord) -> None:
    outcome = results(record.path)
    assert [r.name for r in outcome] == list(CHECKS)
    assert all(r.status is Status.PASS for r in outcome), [r.detail for r in outcome if not r.ok]


# -- manifest and keys ------------------------------------------------------------------------


def test_manifest_hash_altered_manifest_field(record: BuiltRecord) -> None:
    edit_json(record.path / "manifest.json", lambda m: m.update(title="Ein anderer Titel"))
    assert_fails(record.path, "manifest.hash", "keys.json", 1, "manifest_hash")


def test_keys_trustee_proof_response_changed(record: BuiltRecord) -> None:
    edit_json(
        record.path / "keys.json",
        lambda k: k["trustees"][1]["proof"].update(
            response=flip_hex(k["trustees"][1]["proof"]["response"], 2)
        ),
    )
    assert_fails(record.path, "keys.trustee_proofs", "keys.json", 1, "trustees[1].proof")


def test_keys_trustee_missing(record: BuiltRecord) -> None:
    edit_json(record.path / "keys.json", lambda k: k["trustees"].pop())
    assert_fails(record.path, "keys.trustee_proofs", "keys.json", 1, "trustees")


def test_keys_joint_key_not_the_product(record: BuiltRecord) -> None:
    edit_json(
        record.path / "keys.json",
        lambda k: k.update(joint_public_key=other_point(k["joint_public_key"])),
    )
    assert_fails(record.path, "keys.joint_key", "keys.json", 1, "joint_public_key")


def refingerprint(keys: dict[str, Any]) -> None:
    """What an operator would do after swapping a key: recompute the fingerprint."""
    keys["fingerprint"] = fingerprint_of(keys).hex()


def test_keys_issuer_swapped_for_a_weaker_key(record: BuiltRecord) -> None:
    weak = blind_rsa.BlindRsaPrivateKey.generate(2048).public_key.to_der().hex()

    def change(keys: dict[str, Any]) -> None:
        keys["issuer"].update(public_key_spki=weak)
        refingerprint(keys)

    edit_json(record.path / "keys.json", change)
    assert_fails(record.path, "keys.issuer", "keys.json", 1, "issuer.public_key_spki")


def test_keys_issuer_variant_changed(record: BuiltRecord) -> None:
    def change(keys: dict[str, Any]) -> None:
        keys["issuer"].update(variant="RSABSSA-SHA384-PSSZERO-Deterministic")
        refingerprint(keys)

    edit_json(record.path / "keys.json", change)
    assert_fails(record.path, "keys.issuer", "keys.json", 1, "issuer.variant")


def test_keys_issuer_swapped_for_another_valid_key(record: BuiltRecord) -> None:
    """A valid key swapped in after the ceremony: the fingerprint no longer matches."""
    other = blind_rsa.BlindRsaPrivateKey.generate(3072).public_key.to_der().hex()
    edit_json(record.path / "keys.json", lambda k: k["issuer"].update(public_key_spki=other))
    assert_fails(record.path, "keys.fingerprint", "keys.json", 1, "fingerprint")


def test_keys_issuer_swapped_and_fingerprint_recomputed(record: BuiltRecord) -> None:
    """...and with the fingerprint recomputed, every dealer's proof of knowledge fails."""
    other = blind_rsa.BlindRsaPrivateKey.generate(3072).public_key.to_der().hex()

    def change(keys: dict[str, Any]) -> None:
        keys["issuer"].update(public_key_spki=other)
        refingerprint(keys)

    edit_json(record.path / "keys.json", change)
    assert_fails(record.path, "keys.trustee_proofs", "keys.json", 1, "trustees[0].proof")


# -- roll and issuance -----------------------------------------------------------------------


def test_roll_entry_removed(record: BuiltRecord) -> None:
    edit_json(record.path / "roll.json", lambda r: r["entries"].pop(0))
    assert_fails(record.path, "roll.commitment", "roll.json", 1, "commitment")


def test_roll_entry_added(record: BuiltRecord) -> None:
    edit_json(record.path / "roll.json", lambda r: r["entries"].append("ff" * 32))
    assert_fails(record.path, "roll.commitment", "roll.json", 1, "commitment")


def test_roll_counts_inconsistent(record: BuiltRecord) -> None:
    edit_json(record.path / "roll.json", lambda r: r.update(eligible=r["eligible"] + 1))
    assert_fails(record.path, "roll.counts", "roll.json", 1, "entries")


def test_roll_postal_exceeds_eligible(record: BuiltRecord) -> None:
    edit_json(record.path / "roll.json", lambda r: r.update(postal=r["eligible"] + 1))
    assert_fails(record.path, "roll.counts", "roll.json", 1, "postal")


def test_roll_cutoff_differs_from_manifest(record: BuiltRecord) -> None:
    edit_json(record.path / "roll.json", lambda r: r.update(cutoff_at="2026-11-02T00:00:00Z"))
    assert_fails(record.path, "roll.counts", "roll.json", 1, "cutoff_at")


def test_roll_entries_unsorted_with_a_matching_commitment(record: BuiltRecord) -> None:
    def swap(roll: dict[str, Any]) -> None:
        entries = roll["entries"]
        entries[0], entries[1] = entries[1], entries[0]
        roll["commitment"] = root_from_leaf_hashes(
            leaf_hash(bytes.fromhex(e)) for e in entries
        ).hex()

    edit_json(record.path / "roll.json", swap)
    assert_fails(record.path, "roll.counts", "roll.json", 1, "entries[1]")


def test_issuance_entry_not_in_the_roll(record: BuiltRecord) -> None:
    edit_json(record.path / "issuance.json", lambda i: i["entries"].__setitem__(-1, "ff" * 32))
    assert_fails(record.path, "issuance.subset", "issuance.json", 1, "entries[4]")


def test_issuance_entry_duplicated(record: BuiltRecord) -> None:
    def duplicate(issuance: dict[str, Any]) -> None:
        issuance["entries"].insert(1, issuance["entries"][0])
        issuance["issued"] += 1

    edit_json(record.path / "issuance.json", duplicate)
    assert_fails(record.path, "issuance.subset", "issuance.json", 1, "entries[1]")


def test_issuance_count_differs_from_entries(record: BuiltRecord) -> None:
    edit_json(record.path / "issuance.json", lambda i: i.update(issued=i["issued"] + 1))
    assert_fails(record.path, "issuance.subset", "issuance.json", 1, "issued")


# -- ballots ----------------------------------------------------------------------------------


def test_ballot_line_malformed(record: BuiltRecord) -> None:
    edit_ballot(
        record, 2, lambda b: b["answers"][1]["ciphertexts"][0].update(alpha="zz" * 32), resign=False
    )
    assert_fails(
        record.path, "ballots.format", "ballots.jsonl", 2, "answers[1].ciphertexts[0].alpha"
    )


def test_ballot_point_not_in_the_group(record: BuiltRecord) -> None:
    torsion = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"  # order 8
    edit_ballot(record, 3, lambda b: b["answers"][0]["ciphertexts"][2].update(beta=torsion))
    assert_fails(
        record.path, "ballots.format", "ballots.jsonl", 3, "answers[0].ciphertexts[2].beta"
    )


def test_ballot_for_another_question_order(record: BuiltRecord) -> None:
    edit_ballot(record, 1, lambda b: b["answers"].reverse())
    assert_fails(record.path, "ballots.format", "ballots.jsonl", 1, "answers[0].question")


def test_ballot_line_not_canonical(record: BuiltRecord) -> None:
    path = record.path / "ballots.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'{"answers":', b'{ "answers":', 1)
    path.write_bytes(b"".join(lines))
    assert_fails(record.path, "ballots.format", "ballots.jsonl", 4, "")


def test_ballot_credential_signature_flipped(record: BuiltRecord) -> None:
    edit_ballot(
        record,
        3,
        lambda b: b["credential"].update(signature=flip_hex(b["credential"]["signature"], 100)),
    )
    assert_fails(
        record.path, "ballots.credential_signature", "ballots.jsonl", 3, "credential.signature"
    )


def test_ballot_signature_flipped(record: BuiltRecord) -> None:
    edit_ballot(record, 2, lambda b: b.update(signature=flip_hex(b["signature"], 4)), resign=False)
    assert_fails(record.path, "ballots.signature", "ballots.jsonl", 2, "signature")


def test_ballot_proof_response_changed(record: BuiltRecord) -> None:
    def change(ballot: dict[str, Any]) -> None:
        proof = ballot["answers"][0]["option_proofs"][1]
        proof["responses"][0] = flip_hex(proof["responses"][0], 2)

    edit_ballot(record, 4, change)
    assert_fails(record.path, "ballots.proofs", "ballots.jsonl", 4, "answers[0].option_proofs[1]")


def test_ballot_selection_proof_changed(record: BuiltRecord) -> None:
    edit_ballot(
        record,
        1,
        lambda b: b["answers"][1]["selection_proof"]["challenges"].__setitem__(0, "00" * 32),
    )
    assert_fails(record.path, "ballots.proofs", "ballots.jsonl", 1, "answers[1].selection_proof")


def test_ballot_ciphertext_altered_and_resigned(record: BuiltRecord) -> None:
    """g^m · K^r → g^{m+1} · K^r: signature and shape fine, only the proof fails."""
    edit_ballot(
        record,
        2,
        lambda b: b["answers"][0]["ciphertexts"][2].update(
            beta=other_point(b["answers"][0]["ciphertexts"][2]["beta"])
        ),
    )
    assert_fails(record.path, "ballots.proofs", "ballots.jsonl", 2, "answers[0].option_proofs[2]")


def test_ballot_copied_into_another_credential_fails_its_proofs(record: BuiltRecord) -> None:
    """Cortier–Smyth: a ballot's answers re-signed under another credential do not verify."""
    ballots = read_lines(record.path / "ballots.jsonl")
    ballots[1]["answers"] = ballots[0]["answers"]
    ballots[1] = resign_ballot(ballots[1], record.secrets.credential_seeds[1])
    write_lines(record.path / "ballots.jsonl", ballots)
    assert_fails(record.path, "ballots.proofs", "ballots.jsonl", 2, "answers[0].option_proofs[0]")


def test_same_credential_twice(record: BuiltRecord) -> None:
    ballots = read_lines(record.path / "ballots.jsonl")
    write_lines(record.path / "ballots.jsonl", [*ballots, ballots[0]])
    assert_fails(
        record.path,
        "ballots.unique_credential",
        "ballots.jsonl",
        VOTERS + 1,
        "credential.public_key",
    )


def test_more_ballots_than_credentials(record: BuiltRecord) -> None:
    def drop_two(issuance: dict[str, Any]) -> None:
        del issuance["entries"][:2]
        issuance["issued"] -= 2

    edit_json(record.path / "issuance.json", drop_two)
    assert_fails(record.path, "counts.ballots_le_credentials_le_eligible", "ballots.jsonl", 4, "")


# -- board ------------------------------------------------------------------------------------


def _edit_checkpoints(
    record: BuiltRecord, change: Callable[[list[dict[str, Any]]], object]
) -> None:
    checkpoints = read_lines(record.path / "checkpoints.jsonl")
    change(checkpoints)
    write_lines(record.path / "checkpoints.jsonl", checkpoints)


def test_checkpoint_signature_flipped(record: BuiltRecord) -> None:
    def flip(checkpoints: list[dict[str, Any]]) -> None:
        note = checkpoints[2]["note"]
        at = note.index("— ") + len(note.split("— ")[1].split(" ")[0]) + 20
        checkpoints[2]["note"] = note[:at] + ("A" if note[at] != "A" else "B") + note[at + 1 :]

    _edit_checkpoints(record, flip)
    assert_fails(record.path, "board.checkpoint_signatures", "checkpoints.jsonl", 3, "note")


def test_checkpoint_of_another_board(record: BuiltRecord) -> None:
    roots = leaf_roots(record)
    _edit_checkpoints(
        record,
        lambda c: c.__setitem__(
            1, sign_note(record.secrets.board, "stimmwerk/election/other", 1, roots[1])
        ),
    )
    assert_fails(record.path, "board.checkpoint_signatures", "checkpoints.jsonl", 2, "note")


def test_checkpoint_root_inconsistent(record: BuiltRecord) -> None:
    roots = leaf_roots(record)
    _edit_checkpoints(
        record,
        lambda c: c.__setitem__(2, sign_note(record.secrets.board, origin(record), 2, roots[1])),
    )
    assert_fails(record.path, "board.checkpoint_consistency", "checkpoints.jsonl", 3, "note")


def test_checkpoint_size_not_increasing(record: BuiltRecord) -> None:
    roots = leaf_roots(record)
    _edit_checkpoints(
        record,
        lambda c: c.__setitem__(3, sign_note(record.secrets.board, origin(record), 1, roots[1])),
    )
    assert_fails(record.path, "board.checkpoint_consistency", "checkpoints.jsonl", 4, "note")


def test_checkpoint_beyond_the_board(record: BuiltRecord) -> None:
    _edit_checkpoints(
        record,
        lambda c: c.append(
            sign_note(record.secrets.board, origin(record), VOTERS + 1, b"\x01" * 32)
        ),
    )
    assert_fails(
        record.path, "board.checkpoint_consistency", "checkpoints.jsonl", VOTERS + 2, "note"
    )


def test_last_checkpoint_does_not_cover_all_ballots(record: BuiltRecord) -> None:
    _edit_checkpoints(record, lambda c: c.pop())
    assert_fails(record.path, "board.final_root", "checkpoints.jsonl", VOTERS, "note")


def test_no_checkpoint_at_all(record: BuiltRecord) -> None:
    (record.path / "checkpoints.jsonl").write_bytes(b"")
    assert_fails(record.path, "board.final_root", "checkpoints.jsonl", None, "")


def test_a_dropped_ballot_breaks_the_checkpoints(record: BuiltRecord) -> None:
    ballots = read_lines(record.path / "ballots.jsonl")
    write_lines(record.path / "ballots.jsonl", ballots[:1] + ballots[2:])
    assert_fails(record.path, "board.checkpoint_consistency", "checkpoints.jsonl", 3, "note")


# -- tally ------------------------------------------------------------------------------------


def _tally(record: BuiltRecord, change: Callable[[dict[str, Any]], object]) -> None:
    edit_json(record.path / "tally.json", change)


def test_tally_aggregate_altered(record: BuiltRecord) -> None:
    _tally(
        record,
        lambda t: t["questions"][1]["aggregate"][2].update(
            alpha=other_point(t["questions"][1]["aggregate"][2]["alpha"])
        ),
    )
    assert_fails(record.path, "tally.aggregate", "tally.json", 1, "questions[1].aggregate[2]")


def test_tally_ballots_counted_wrong(record: BuiltRecord) -> None:
    _tally(record, lambda t: t.update(ballots_counted=VOTERS - 1))
    assert_fails(record.path, "tally.aggregate", "tally.json", 1, "ballots_counted")


def test_tally_decryption_share_altered(record: BuiltRecord) -> None:
    _tally(
        record,
        lambda t: t["questions"][0]["partial_decryptions"][1]["shares"][1].update(
            value=other_point(t["questions"][0]["partial_decryptions"][1]["shares"][1]["value"])
        ),
    )
    assert_fails(
        record.path,
        "tally.decryption_proofs",
        "tally.json",
        1,
        "questions[0].partial_decryptions[1].shares[1]",
    )


def test_tally_decryption_proof_altered(record: BuiltRecord) -> None:
    def change(tally: dict[str, Any]) -> None:
        proof = tally["questions"][1]["partial_decryptions"][0]["shares"][3]["proof"]
        proof["response"] = flip_hex(proof["response"], 2)

    _tally(record, change)
    assert_fails(
        record.path,
        "tally.decryption_proofs",
        "tally.json",
        1,
        "questions[1].partial_decryptions[0].shares[3]",
    )


def test_tally_too_few_trustees(record: BuiltRecord) -> None:
    _tally(record, lambda t: t["questions"][0]["partial_decryptions"].pop())
    assert_fails(
        record.path, "tally.decryption_proofs", "tally.json", 1, "questions[0].partial_decryptions"
    )


def test_tally_wrong_combined_count(record: BuiltRecord) -> None:
    def change(tally: dict[str, Any]) -> None:
        question = tally["questions"][0]
        question["online"][1] += 1
        question["result"][1] += 1

    _tally(record, change)
    assert_fails(record.path, "tally.decryption", "tally.json", 1, "questions[0].online[1]")


def test_tally_postal_line_and_result_mismatch(record: BuiltRecord) -> None:
    _tally(
        record,
        lambda t: t["questions"][1]["result"].__setitem__(0, t["questions"][1]["result"][0] + 1),
    )
    assert_fails(record.path, "tally.result", "tally.json", 1, "questions[1].result[0]")


def test_tally_postal_counts_exceed_envelopes(record: BuiltRecord) -> None:
    def change(tally: dict[str, Any]) -> None:
        question = tally["questions"][0]
        question["postal"]["counts"][0] += 5
        question["result"][0] += 5

    _tally(record, change)
    assert_fails(record.path, "tally.result", "tally.json", 1, "questions[0].postal.counts[0]")


def test_tally_more_postal_envelopes_than_postal_voters(record: BuiltRecord) -> None:
    _tally(record, lambda t: t["turnout"].update(postal_envelopes=100))
    assert_fails(record.path, "tally.result", "tally.json", 1, "turnout.postal_envelopes")


def test_tally_quorum_flag_wrong(record: BuiltRecord) -> None:
    _tally(record, lambda t: t.update(quorum_met=not t["quorum_met"]))
    assert_fails(record.path, "tally.quorum", "tally.json", 1, "quorum_met")


def test_tally_binding_flag_wrong(record: BuiltRecord) -> None:
    _tally(record, lambda t: t.update(binding=not t["binding"]))
    assert_fails(record.path, "tally.quorum", "tally.json", 1, "binding")


def test_tally_turnout_percentage_wrong(record: BuiltRecord) -> None:
    _tally(record, lambda t: t["turnout"].update(percent_x100=t["turnout"]["percent_x100"] + 1))
    assert_fails(record.path, "tally.quorum", "tally.json", 1, "turnout.percent_x100")
