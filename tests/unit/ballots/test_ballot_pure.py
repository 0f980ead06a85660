"""The pure cores: manifest, ballot checks, board, tally arithmetic, key files, client."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ballots import ballot_format, board, client, keyfile, tally
from ballots.ballot_check import BallotCheckFailed, ElectionKeys, check_ballot, parse_json
from ballots.cli_input import InputError, election_draft, postal_line
from ballots.manifest import (
    ElectionDraft,
    ManifestError,
    OptionDraft,
    QuestionDraft,
    build_manifest,
    manifest_hash,
    read_manifest,
)
from crypto import blind_rsa, elgamal
from crypto.checkpoints import NoteSigner
from crypto.elgamal import PublicKey
from crypto.group import Scalar
from crypto.merkle import MerkleError, MerkleTree, RootAccumulator, leaf_hash
from crypto.signing import Ed25519SecretKey
from tests.ballots_support import UP_TO, YES_NO, fixed_draft, shared_issuer_key

ELECTION_ID = "6b0f4c8e-3f7a-4c1e-9a55-0c8f3f1d2b7a"


def _draft(**changes: object) -> ElectionDraft:
    return fixed_draft(**{"title": "Mitgliederentscheid", "quorum_percent": 20, **changes})


@pytest.fixture(scope="module")
def keys() -> ElectionKeys:
    manifest = build_manifest(_draft(), ELECTION_ID)
    return ElectionKeys(manifest, elgamal.generate_keypair().public, shared_issuer_key().public_key)


def _credential(keys: ElectionKeys) -> client.Credential:
    request = client.request_credential(keys.issuer, ELECTION_ID)
    answer = blind_rsa.blind_sign(shared_issuer_key(), request.blinded_msg)
    return client.finish_credential(keys.issuer, request, answer)


@pytest.fixture(scope="module")
def credential(keys: ElectionKeys) -> client.Credential:
    return _credential(keys)


CHOICES = {"q1": ["no"], "q2": ["kiel"], "q3": ["a", "c"]}

# -- manifest --------------------------------------------------------------------------


def test_manifest_follows_the_record_format() -> None:
    manifest = build_manifest(_draft(), ELECTION_ID)
    raw = manifest.raw
    assert raw["format"] == "stimmwerk-election-record"
    assert raw["cutoff_at"] == "2026-11-01T00:00:00Z"
    assert raw["board_origin"] == f"stimmwerk/election/{ELECTION_ID}"
    assert raw["quorum"] == {"kind": "turnout", "min_percent": 20}
    assert raw["questions"][0]["options"] == [  # type: ignore[index]
        {"id": "yes", "label": "Ja"},
        {"id": "no", "label": "Nein"},
        {"id": "abstain", "label": "Enthaltung"},
    ]
    assert [(q.min_selections, q.max_selections) for q in manifest.questions] == [
        (1, 1),
        (1, 1),
        (0, 2),
    ]
    assert manifest.hash == manifest_hash(json.loads(json.dumps(raw)))
    assert read_manifest(json.loads(json.dumps(raw))).hash == manifest.hash


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"opens_at": datetime(2026, 10, 1, tzinfo=UTC)}, "window"),
        ({"questions": ()}, "questions"),
        ({"questions": (YES_NO, YES_NO)}, "questions"),
        ({"questions": (QuestionDraft("Q 1", "x", "yes_no_abstain"),)}, "questions[0].id"),
        ({"questions": (QuestionDraft("q1", "x", "ranked"),)}, "questions[0].method"),
        (
            {"questions": (QuestionDraft("q1", "x", "one_of", (OptionDraft("a", "A"),)),)},
            "questions[0].options",
        ),
        ({"questions": (replace(UP_TO, max_selections=4),)}, "questions[0].max_selections"),
        ({"threshold": 4}, "trustees"),
        ({"quorum_percent": 0}, "quorum"),
    ],
)
def test_manifest_rules(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ManifestError) as error:
        build_manifest(_draft(**changes), ELECTION_ID)
    assert field in error.value.errors


def test_a_changed_manifest_is_another_election() -> None:
    raw = dict(build_manifest(_draft(), ELECTION_ID).raw)
    raw["board_origin"] = "stimmwerk/election/other"
    with pytest.raises(ManifestError):
        read_manifest(raw)
    raw = dict(build_manifest(_draft(), ELECTION_ID).raw)
    raw["title"] = "Anders"
    assert manifest_hash(raw) != build_manifest(_draft(), ELECTION_ID).hash


# -- ballots ---------------------------------------------------------------------------


def test_a_client_ballot_passes_and_hashes_to_its_leaf(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    ballot = client.make_ballot(keys, credential, CHOICES)
    checked = check_ballot(parse_json(client.ballot_bytes(ballot)), keys)
    assert checked.line == client.ballot_bytes(ballot)
    assert checked.ballot_hash == ballot_format.ballot_hash(checked.line)
    assert checked.credential_key == credential.public_key_hex
    assert [len(row) for row in checked.ciphertexts] == [3, 3, 3]


def test_proofs_are_bound_to_the_credential(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    """Copying someone's encrypted answers under another credential fails (ballot copying)."""
    mine = client.make_ballot(keys, credential, CHOICES)
    thief = _credential(keys)
    copied = client.sign_ballot(
        client.SealedBallot(
            dict(client.encrypt_ballot(keys, thief, CHOICES).body, answers=mine["answers"]), ()
        ),
        thief,
    )
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(copied, keys)
    assert failed.value.check == "proofs"


def test_a_ballot_for_another_manifest_is_refused(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    other = build_manifest(_draft(title="Anderer Entscheid"), ELECTION_ID)
    ballot = client.make_ballot(replace(keys, manifest=other), credential, CHOICES)
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(ballot, keys)
    assert failed.value.check == "election"


def test_a_dishonest_encryption_has_no_valid_proof(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    """Two "yes" in a one-of question: the range proof cannot be made to verify."""
    sealed = client.encrypt_ballot(keys, credential, CHOICES)
    body = json.loads(json.dumps(sealed.body))
    nonce = elgamal.fresh_nonce()
    doubled = elgamal.encrypt(keys.joint_key, 2, nonce)
    body["answers"][1]["ciphertexts"][0] = {
        "alpha": doubled.alpha.encoded.hex(),
        "beta": doubled.beta.encoded.hex(),
    }
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(client.sign_ballot(client.SealedBallot(body, ()), credential), keys)
    assert failed.value.check == "proofs"


@pytest.mark.parametrize(
    "text",
    [
        b"[]",
        b'{"a":1,"a":2}',
        b'{"a":1.5}',
        b'{"a":NaN}',
        b"\xff",
        b"{" * 10 + b"x",
        b"[" * 100_000,
        b'{"a":' + b"9" * 30 + b"}",
    ],
)
def test_strict_json(text: bytes) -> None:
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(
            parse_json(text),
            ElectionKeys(
                build_manifest(_draft(), ELECTION_ID),
                PublicKey(elgamal.generate_keypair().public),
                shared_issuer_key().public_key,
            ),
        )
    assert failed.value.check == "format"


def test_client_refuses_choices_the_manifest_does_not_allow(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    for bad in ({"q1": ["yes", "no"]}, {"q1": []}, {"q1": ["maybe"]}, {"q3": ["a", "b", "c"]}):
        with pytest.raises(ValueError, match="question"):
            client.encrypt_ballot(keys, credential, {**CHOICES, **bad})


# -- Benaloh audit ---------------------------------------------------------------------


def test_benaloh_audit_shows_the_encrypted_choices(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    reveal = client.spoil(client.encrypt_ballot(keys, credential, CHOICES))
    assert client.verify_audit(keys, reveal) == {"q1": ("no",), "q2": ("kiel",), "q3": ("a", "c")}


def test_benaloh_audit_catches_a_client_that_encrypts_something_else(
    keys: ElectionKeys, credential: client.Credential
) -> None:
    honest = client.encrypt_ballot(keys, credential, CHOICES)
    cheating = client.encrypt_ballot(keys, credential, {**CHOICES, "q1": ["yes"]})
    # The cheating client claims the voter's choice but shows the other ballot's openings.
    lie = client.AuditReveal(cheating.body, client.spoil(honest).openings)
    assert client.verify_audit(keys, lie) is None


# -- board and receipts ----------------------------------------------------------------


def test_board_appends_match_rfc9162_and_receipts_check() -> None:
    signer = NoteSigner("stimmwerk/election/test", Ed25519SecretKey.generate())
    verifier = board.note_verifier(signer.name, signer.secret_key.public_key.hex())
    state = board.BoardState.empty()
    tree = MerkleTree()
    for i in range(40):
        line = f"ballot {i}".encode()
        appended = board.append(state, leaf_hash(line), signer)
        tree.append(leaf_hash(line))
        assert appended.index == i
        assert appended.root == tree.root()
        assert appended.path == tree.inclusion_proof(i).path
        receipt = board.Receipt(
            leaf_hash(line).hex(), i, appended.note, tuple(h.hex() for h in appended.path)
        )
        assert board.check_receipt(receipt, line, verifier, origin=signer.name)
        assert not board.check_receipt(receipt, b"other", verifier, origin=signer.name)
        assert not board.check_receipt(
            replace(receipt, index=i + 1), line, verifier, origin=signer.name
        )
        assert not board.check_receipt(receipt, line, verifier, origin="stimmwerk/election/else")
        state = appended.state
    assert board.Receipt.from_json(receipt.to_json()) == receipt


def test_frontier_resume_is_checked() -> None:
    with pytest.raises(MerkleError):
        RootAccumulator.resume(3, [bytes(32)])
    with pytest.raises(MerkleError):
        RootAccumulator.resume(1, [b"short"])


# -- tally arithmetic ------------------------------------------------------------------


def test_turnout_and_quorum_are_integer_rules() -> None:
    turnout = tally.Turnout(eligible=3, online_ballots=1, postal_envelopes=0)
    assert turnout.percent_x100 == 3333
    assert turnout.quorum_met(33)
    assert not turnout.quorum_met(34)
    assert turnout.quorum_met(None)
    assert tally.Turnout(0, 0, 0).percent_x100 == 0


def test_postal_rules() -> None:
    manifest = build_manifest(_draft(), ELECTION_ID)
    good = tally.PostalLine(((5, 3, 1), (4, 4, 0), (6, 6, 2)), (1, 2, 0), 10)
    assert tally.postal_errors(manifest, good, postal_on_roll=10) == {}
    assert "envelopes" in tally.postal_errors(manifest, good, postal_on_roll=9)
    uneven = replace(good, counts=((5, 3, 0), *good.counts[1:]))
    assert "counts.q1" in tally.postal_errors(manifest, uneven, 10)
    too_many = replace(good, counts=(*good.counts[:2], (10, 10, 1)))
    assert "counts.q3" in tally.postal_errors(manifest, too_many, 10)
    negative = replace(good, invalid=(-1, 2, 0))
    assert "counts.q1" in tally.postal_errors(manifest, negative, 10)


# -- key files -------------------------------------------------------------------------


def test_key_file_round_trip_and_protection(tmp_path: Path) -> None:
    path = tmp_path / "trustee.key"
    value = keyfile.new_secrets(ELECTION_ID, 2).with_dealing((Scalar.random(), Scalar.random()))
    value = value.with_share(Scalar.random())
    keyfile.write_key_file(path, value, "a long passphrase", keyfile.CHEAP_LIMITS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyfile.read_key_file(path, "a long passphrase") == value
    assert value.sealing_key.hex() not in path.read_text()
    assert "sealing_key" not in repr(value)
    with pytest.raises(keyfile.KeyFileError, match="passphrase"):
        keyfile.read_key_file(path, "the wrong passphrase")
    document = json.loads(path.read_text())
    document["trustee"] = 3
    path.write_text(json.dumps(document))
    with pytest.raises(keyfile.KeyFileError, match="label"):
        keyfile.read_key_file(path, "a long passphrase")
    with pytest.raises(keyfile.KeyFileError, match="12"):
        keyfile.write_key_file(tmp_path / "other.key", value, "short", keyfile.CHEAP_LIMITS)


# -- CLI input files -------------------------------------------------------------------


def test_election_file_and_postal_file(tmp_path: Path) -> None:
    document = {
        "title": "Entscheid",
        "unit": "LV1",
        "cutoff_at": "2026-11-01T00:00:00Z",
        "opens_at": "2026-11-10T08:00:00+01:00",
        "closes_at": "2026-11-24T18:00:00Z",
        "threshold": 2,
        "trustees": ["a@example.org", "b@example.org", "c@example.org"],
        "questions": [
            {"id": "q1", "text": "Ja?", "method": "yes_no_abstain"},
            {
                "id": "q2",
                "text": "Wer?",
                "method": "up_to",
                "max_selections": 1,
                "options": ["A", "B"],
            },
        ],
    }
    draft, trustees = election_draft(document)
    assert trustees == ["a@example.org", "b@example.org", "c@example.org"]
    assert draft.opens_at == datetime(2026, 11, 10, 7, tzinfo=UTC)
    assert draft.questions[1].options == (OptionDraft("o1", "A"), OptionDraft("o2", "B"))
    assert draft.quorum_percent is None
    with pytest.raises(InputError, match="title"):
        election_draft({k: v for k, v in document.items() if k != "title"})
    with pytest.raises(InputError, match="time zone"):
        election_draft({**document, "cutoff_at": "2026-11-01T00:00:00"})
    manifest = build_manifest(replace(draft, unit_name="LV"), ELECTION_ID)
    line = postal_line(
        {
            "envelopes": 3,
            "questions": {
                "q1": {"counts": {"yes": 2, "no": 1, "abstain": 0}},
                "q2": {"counts": {"o1": 1, "o2": 1}, "invalid": 1},
            },
        },
        manifest,
    )
    assert line == tally.PostalLine(((2, 1, 0), (1, 1)), (0, 1), 3)
    with pytest.raises(InputError, match="q1"):
        postal_line({"envelopes": 3, "questions": {"q1": {"counts": {"yes": 2}}}}, manifest)
