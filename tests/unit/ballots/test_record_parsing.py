"""The record parsers (ballots.record): strict types, hex lengths, keys, canonical JSON.

Each parser must accept exactly what docs/election-record.md allows and raise a
RecordError that names file, line and field for anything else.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.record import (
    NotARecordError,
    RecordError,
    canonical_ballot_json,
    decode_document,
    iter_lines,
    open_record,
    parse_ballot,
    parse_checkpoint_line,
    parse_manifest,
    read_keys,
    read_manifest,
    read_tally,
    scan_issuance,
    scan_roll,
)
from ballots.record._fields import Loc, as_hex, as_int, as_object
from ballots.record._stream import stream_object
from crypto.canonical import canonical_json
from tests.support.record_builder import BuiltRecord, build_record, read_json, write_json


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("record") / "r", voters=3)


def _ballot_lines(record: BuiltRecord) -> list[bytes]:
    return (record.path / "ballots.jsonl").read_bytes().splitlines()


# -- field readers ----------------------------------------------------------------------


LOC = Loc("x.json", 1, "a")


@pytest.mark.parametrize("value", ["AB", "abc", "zz", 12, None, ""])
def test_hex_must_be_lowercase_even_and_non_empty(value: object) -> None:
    with pytest.raises(RecordError, match="lowercase hex"):
        as_hex(value, LOC)


def test_hex_length_is_checked() -> None:
    assert as_hex("00" * 32, LOC, 32) == bytes(32)
    with pytest.raises(RecordError, match="expected 64 hex characters, got 62") as error:
        as_hex("00" * 31, LOC, 32)
    assert (error.value.file, error.value.line, error.value.field) == ("x.json", 1, "a")


@pytest.mark.parametrize("value", [True, False, 1.0, "1", None, -1, 2**53])
def test_integers_are_json_integers_in_range(value: object) -> None:
    with pytest.raises(RecordError, match="integer"):
        as_int(value, LOC)


def test_objects_have_exactly_the_known_keys() -> None:
    assert as_object({"a": 1, "b": 2}, LOC, ("a", "b")) == {"a": 1, "b": 2}
    with pytest.raises(RecordError, match="unknown key\\(s\\) c") as unknown:
        as_object({"a": 1, "b": 2, "c": 3}, LOC, ("a", "b"))
    with pytest.raises(RecordError, match="missing key\\(s\\) b"):
        as_object({"a": 1}, LOC, ("a", "b"))
    assert unknown.value.location() == "x.json line 1, field a"


def test_nested_locations_read_like_paths() -> None:
    loc = Loc("ballots.jsonl", 7).key("answers").index(0).key("ciphertexts").index(2).key("alpha")
    assert loc.path == "answers[0].ciphertexts[2].alpha"
    assert (
        str(loc.error("bad")) == "ballots.jsonl line 7, field answers[0].ciphertexts[2].alpha: bad"
    )


# -- whole documents ----------------------------------------------------------------------


def test_a_document_must_be_canonical_json() -> None:
    value, _ = decode_document(b'{"a":1,"b":[true,null]}\n', "t.json")
    assert value == {"a": 1, "b": [True, None]}
    for data, reason in [
        (b'{"b":1,"a":2}', "canonical"),
        (b'{"a": 1}', "canonical"),
        (b'{"a":1}\n\n', "JSON"),
        (b'{"a":1.5}', "not record JSON"),
        (b'{"a":NaN}', "not record JSON"),
        (b'{"a":1,"a":1}', "duplicate key"),
        (b'{"a":9007199254740992}', "canonical"),
        (b"\xff", "UTF-8"),
    ]:
        with pytest.raises(RecordError, match=reason):
            decode_document(data, "t.json")


def test_manifest_keys_and_method_rules(record: BuiltRecord) -> None:
    manifest = read_manifest(open_record(record.path))
    assert manifest.questions[0].method == "yes_no_abstain"
    value = read_json(record.path / "manifest.json")
    cases: list[tuple[str, Any, str]] = [
        ("questions.0.min_selections", 0, "questions[0]"),
        ("questions.0.method", "ranked", "questions[0].method"),
        ("trustees.threshold", 4, "trustees.threshold"),
        ("version", 1, "version"),
        ("board_origin", "a b", "board_origin"),
        ("cutoff_at", "2026-11-01 00:00", "cutoff_at"),
        ("election_id", "ABC", "election_id"),
        ("quorum.kind", "majority", "quorum.kind"),
    ]
    for path, new, field in cases:
        changed = json.loads(json.dumps(value))
        target = changed
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = new
        with pytest.raises(RecordError) as error:
            parse_manifest(changed, Loc("manifest.json", 1))
        assert error.value.field == field, path


def test_keys_and_tally_parse(record: BuiltRecord) -> None:
    source = open_record(record.path)
    keys = read_keys(source)
    tally = read_tally(source)
    assert len(keys.trustees) == 3
    assert len(keys.trustees[0].commitments) == 2
    assert tally.ballots_counted == 3
    assert tally.questions[0].partial_decryptions[0].trustee == 1


# -- roll and issuance, streamed --------------------------------------------------------------


def _stream(
    text: bytes, keys: tuple[str, ...] = ("a", "entries")
) -> list[tuple[str, int | None, object]]:
    return [(k, i, v) for k, i, v, _ in stream_object(io.BytesIO(text), "r.json", keys, "entries")]


def test_streaming_reader_yields_fields_and_items_in_order() -> None:
    events = _stream(b'{"a":1,"entries":["x","y"]}\n')
    assert events == [("a", None, 1), ("entries", 0, "x"), ("entries", 1, "y")]
    assert _stream(b'{"a":1,"entries":[]}') == [("a", None, 1)]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (b'{"a": 1,"entries":[]}', "a"),
        (b'{"entries":[],"a":1}', "a"),
        (b'{"a":1,"entries":["x" ,"y"]}', "entries[0]"),
        (b'{"a":1,"entries":["x"],"b":2}', ""),
        (b'{"a":1,"entries":["x"]} ', ""),
        (b'{"a":1.0,"entries":[]}', "a"),
        (b'{"a":1,"entries":["\\u0041"]}', "entries[0]"),
    ],
)
def test_streaming_reader_refuses_non_canonical_text(text: bytes, field: str) -> None:
    with pytest.raises(RecordError) as error:
        _stream(text)
    assert (error.value.file, error.value.line, error.value.field) == ("r.json", 1, field)


def test_roll_and_issuance_stream_their_entries(record: BuiltRecord) -> None:
    source = open_record(record.path)
    seen: list[bytes] = []
    roll = scan_roll(source, lambda _i, entry, _loc: seen.append(entry))
    issuance = scan_issuance(source, lambda _i, _e, _loc: None)
    assert roll.entry_count == len(seen) == roll.eligible - roll.postal
    assert seen == sorted(seen)
    assert issuance.issued == issuance.entry_count == 4


def test_a_long_roll_streams_through_a_small_window(tmp_path: Path) -> None:
    entries = [f"{i:064x}" for i in range(20_000)]  # 1.3 MB: more than one read chunk
    write_json(
        tmp_path / "roll.json",
        {
            "cutoff_at": "2026-11-01T00:00:00Z",
            "eligible": 20_000,
            "postal": 0,
            "entries": entries,
            "commitment": "00" * 32,
        },
    )
    (tmp_path / "manifest.json").write_text("{}")
    count = 0

    def count_entry(index: int, entry: bytes, _loc: Loc) -> None:
        nonlocal count
        assert entry == bytes.fromhex(entries[index])
        count += 1

    assert scan_roll(open_record(tmp_path), count_entry).entry_count == count == 20_000


# -- ballots and checkpoints, line by line ------------------------------------------------------


def test_a_ballot_line_parses_and_keeps_its_signed_payload(record: BuiltRecord) -> None:
    line = _ballot_lines(record)[0]
    ballot = parse_ballot(1, line)
    value = json.loads(line)
    del value["signature"]
    assert ballot.signed_payload == canonical_json(value)
    assert len(ballot.answers[0].ciphertexts) == 3
    assert ballot.credential.prefix
    assert len(ballot.credential.signature) == 384


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(extra="x"), ""),
        (lambda b: b["credential"].pop("prefix"), "credential"),
        (
            lambda b: b["answers"][0]["ciphertexts"][1].update(alpha="AB" * 32),
            "answers[0].ciphertexts[1].alpha",
        ),
        (
            lambda b: b["answers"][0]["option_proofs"][2]["responses"].pop(),
            "answers[0].option_proofs[2]",
        ),
        (lambda b: b.update(signature="00" * 63), "signature"),
        (lambda b: b.update(election_id=7), ""),
        (lambda b: b["answers"].clear(), "answers"),
    ],
)
def test_a_malformed_ballot_names_its_field(record: BuiltRecord, mutate: Any, field: str) -> None:
    ballot = json.loads(_ballot_lines(record)[1])
    mutate(ballot)
    line = json.dumps(ballot, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(RecordError) as error:
        parse_ballot(2, line)
    assert (error.value.file, error.value.line, error.value.field) == ("ballots.jsonl", 2, field)


def test_a_ballot_line_must_be_canonical(record: BuiltRecord) -> None:
    ballot = json.loads(_ballot_lines(record)[0])
    for line in [json.dumps(ballot).encode(), _ballot_lines(record)[0] + b" ", b"[]", b"", b"\xff"]:
        with pytest.raises(RecordError) as error:
            parse_ballot(1, line)
        assert error.value.line == 1


_KEYS = st.sampled_from(
    ["answers", "credential", "election_id", "manifest_hash", "signature", "alpha"]
)
_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
_VALUES = st.recursive(
    _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_the_fast_ballot_encoder_is_rfc_8785(value: dict[str, Any]) -> None:
    """The json.dumps shortcut equals crypto.canonical on the ballot value domain."""
    assert canonical_ballot_json(value) == canonical_json(value)


def test_lines_must_end_in_a_newline(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "ballots.jsonl").write_bytes(b"{}\n{}")
    lines = iter_lines(open_record(tmp_path), "ballots.jsonl")
    assert next(lines) == (1, b"{}")
    with pytest.raises(RecordError, match="newline") as error:
        next(lines)
    assert error.value.line == 2


def test_checkpoint_lines(record: BuiltRecord) -> None:
    first = (record.path / "checkpoints.jsonl").read_bytes().splitlines()[0]
    assert parse_checkpoint_line(1, first).note.startswith(b"stimmwerk/election/")
    with pytest.raises(RecordError) as error:
        parse_checkpoint_line(4, b'{"note":"x","size":1}')
    assert (error.value.file, error.value.line) == ("checkpoints.jsonl", 4)


# -- sources ----------------------------------------------------------------------------------


def _zip(record: BuiltRecord, target: Path, folder: str) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(record.path.iterdir()):
            archive.write(file, folder + file.name)
    return target


@pytest.mark.parametrize("folder", ["", "record/"])
def test_a_zip_is_read_in_place(record: BuiltRecord, tmp_path: Path, folder: str) -> None:
    with open_record(_zip(record, tmp_path / "r.zip", folder)) as source:
        assert read_manifest(source).election_id == record.election_id
        assert source.size("ballots.jsonl") == (record.path / "ballots.jsonl").stat().st_size


def test_missing_files_and_non_records(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(RecordError, match="missing") as error:
        read_tally(open_record(tmp_path))
    assert (error.value.file, error.value.line) == ("tally.json", None)
    (tmp_path / "plain.txt").write_text("no zip")
    with pytest.raises(NotARecordError):
        open_record(tmp_path / "plain.txt")
    with pytest.raises(NotARecordError):
        open_record(tmp_path / "absent")
