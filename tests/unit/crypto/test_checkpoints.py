"""C2SP signed notes and tlog checkpoints.

Interoperability vectors:
* golang/mod sumdb/note/note_test.go (TestSign, TestOpen): the PeterNeumann and
  EnochRoot keys, the note text and their published signature lines. Ed25519 is
  deterministic, so our ``sign_note`` must reproduce Go's output byte for byte.
* sigsum/sigsum-go pkg/checkpoint/checkpoint_test.go (TestGoSumDBCheckpoint): a real
  checkpoint fetched from sum.golang.org on 2024-09-23, with the sum.golang.org
  verifier key (as in golang/go src/cmd/go/internal/modfetch/key.go).
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from crypto.checkpoints import (
    Checkpoint,
    CheckpointError,
    NoteSigner,
    NoteVerifier,
    checkpoint_key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_checkpoint_inclusion,
)
from crypto.merkle import MerkleTree, leaf_hash
from crypto.signing import Ed25519SecretKey

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n".encode()
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n".encode()

SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n30055305\nmXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n\n"
    "— sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcAAlWFJJYle3EJlDCrQ+y3A8=\n"
).encode()

ORIGIN = "stimmwerk.example/election/2026-mitgliederentscheid-1"


def peter_signer() -> NoteSigner:
    blob = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert blob[0] == 1  # Ed25519
    return NoteSigner("PeterNeumann", Ed25519SecretKey(blob[1:]))


@pytest.fixture(scope="module")
def log_signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519SecretKey.generate())


@pytest.fixture(scope="module")
def tree() -> MerkleTree:
    return MerkleTree(leaf_hash(f"ballot {i}".encode()) for i in range(37))


def test_go_sumdb_note_sign_is_byte_identical() -> None:
    signer = peter_signer()
    assert signer.verifier.to_vkey() == PETER_VKEY
    assert sign_note(TEXT, signer) == TEXT + b"\n" + PETER_SIG


def test_go_sumdb_note_open() -> None:
    peter, enoch = NoteVerifier.from_vkey(PETER_VKEY), NoteVerifier.from_vkey(ENOCH_VKEY)
    note = TEXT + b"\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter]) == TEXT  # unknown (Enoch) signature ignored
    assert open_note(note, [peter, enoch]) == TEXT
    assert open_note(note, []) is None
    corrupt = PETER_SIG[:60] + b"ABCD" + PETER_SIG[60:]
    assert open_note(TEXT + b"\n" + corrupt, [peter]) is None
    tampered = note.replace(b"cryptography", b"cryptographY")
    assert open_note(tampered, [peter]) is None


@pytest.mark.parametrize(
    "bad",
    [
        TEXT,
        TEXT + b"\n",
        TEXT + b"\n" + PETER_SIG[:-1],
        b"\x01" + TEXT + b"\n" + PETER_SIG,
        b"\xff" + TEXT + b"\n" + PETER_SIG,
        TEXT
        + b"\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=".encode(),
        TEXT + b"\n" + PETER_SIG + b"Unexpected line.\n",
        TEXT + b"\n" + PETER_SIG * 101,
    ],
)
def test_go_sumdb_malformed_notes(bad: bytes) -> None:
    """golang/mod TestOpen "Invalid encoded message syntax" and "too many signatures"."""
    assert open_note(bad, [NoteVerifier.from_vkey(PETER_VKEY)]) is None


def test_real_sum_golang_org_checkpoint() -> None:
    verifier = NoteVerifier.from_vkey(SUMDB_VKEY)
    cp = open_checkpoint(SUMDB_CHECKPOINT, [verifier], expected_origin="go.sum database tree")
    assert cp is not None
    assert cp.tree_size == 30055305
    assert cp.root_hash == base64.b64decode("mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=")
    assert not verify_checkpoint(
        SUMDB_CHECKPOINT.replace(b"30055305", b"30055306"),
        verifier,
        expected_origin="go.sum database tree",
    )


def test_key_id_derivation() -> None:
    pk = peter_signer().secret_key.public_key
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + pk.raw).digest()[:4]
    assert checkpoint_key_id("PeterNeumann", pk) == expected == bytes.fromhex("c74f20a3")
    for bad in ("", "a b", "a+b", "a\nb"):
        with pytest.raises(CheckpointError):
            checkpoint_key_id(bad, pk)


def test_vkey_parsing_rejects_manglings() -> None:
    for bad in (
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),
        PETER_VKEY.replace("PeterNeumann", "PeterNeuman"),
        "PeterNeumann+c74f20a3",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        PETER_VKEY[:-2],
    ):
        with pytest.raises(CheckpointError):
            NoteVerifier.from_vkey(bad)


def test_checkpoint_body_format() -> None:
    cp = Checkpoint("example.com/log", 123, bytes(range(32)))
    root = base64.b64encode(bytes(range(32))).decode()
    assert cp.body() == f"example.com/log\n123\n{root}\n".encode()
    assert Checkpoint.from_body(cp.body()) == cp
    assert Checkpoint("l", 0, bytes(32)).body().split(b"\n")[1] == b"0"


@pytest.mark.parametrize(
    "body",
    [
        b"log\n0123\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
        b"log\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        b"log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",  # non-canonical base64
        b"log\n1\nYmFuYW5hcw==\n",  # not 32 bytes
        b"log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no final newline
        b"log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension\n",
        b"\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        b"log\n99999999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        b"\xfflog\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    ],
)
def test_checkpoint_body_rejects(body: bytes) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_body(body)


def test_sign_and_open_checkpoint(log_signer: NoteSigner, tree: MerkleTree) -> None:
    cp = Checkpoint(ORIGIN, tree.size, tree.root())
    note = sign_checkpoint(cp, log_signer)
    assert note.startswith(cp.body() + "\n— ".encode())
    assert open_checkpoint(note, [log_signer.verifier], expected_origin=ORIGIN) == cp
    assert verify_checkpoint(note, log_signer.verifier, expected_origin=ORIGIN)
    assert not verify_checkpoint(note, log_signer.verifier, expected_origin=ORIGIN + "-2")
    stranger = NoteSigner(ORIGIN, Ed25519SecretKey.generate()).verifier
    assert not verify_checkpoint(note, stranger, expected_origin=ORIGIN)


def test_mutated_checkpoints_fail(log_signer: NoteSigner, tree: MerkleTree) -> None:
    cp = Checkpoint(ORIGIN, tree.size, tree.root())
    note = sign_checkpoint(cp, log_signer)
    root_b64 = base64.b64encode(cp.root_hash)
    other_root = base64.b64encode(tree.root(tree.size - 1))
    mutations = [
        note.replace(f"\n{tree.size}\n".encode(), f"\n{tree.size + 1}\n".encode()),
        note.replace(root_b64, other_root),
        note.replace(b"stimmwerk.example", b"stimmwerk.evil"),
        note[:-5] + (b"A" if note[-5:-4] != b"A" else b"B") + note[-4:],
    ]
    for bad in mutations:
        assert bad != note
        assert not verify_checkpoint(bad, log_signer.verifier, expected_origin=ORIGIN)


def test_a_failing_known_signature_rejects_the_note(log_signer: NoteSigner) -> None:
    cp = Checkpoint(ORIGIN, 1, bytes(32))
    good = sign_checkpoint(cp, log_signer)
    forged_line = good.splitlines(keepends=True)[-1]
    blob = bytearray(base64.b64decode(forged_line.split(b" ")[-1]))
    blob[-1] ^= 1
    bad_line = forged_line.rsplit(b" ", 1)[0] + b" " + base64.b64encode(bytes(blob)) + b"\n"
    assert open_note(good + bad_line, [log_signer.verifier]) is None


def test_checkpoint_consistency(log_signer: NoteSigner, tree: MerkleTree) -> None:
    old = Checkpoint(ORIGIN, 20, tree.root(20))
    new = Checkpoint(ORIGIN, tree.size, tree.root())
    proof = tree.consistency_proof(20)
    assert verify_checkpoint_consistency(old, new, proof)
    assert not verify_checkpoint_consistency(new, old, proof)
    forked = Checkpoint(ORIGIN, 20, leaf_hash(b"rewritten history"))
    assert not verify_checkpoint_consistency(forked, new, proof)
    other_log = Checkpoint(ORIGIN + "-2", 20, tree.root(20))
    assert not verify_checkpoint_consistency(other_log, new, proof)
    assert not verify_checkpoint_consistency(old, new, tree.consistency_proof(21))
    assert not verify_checkpoint_consistency(old, new, "proof")  # type: ignore[arg-type]


def test_checkpoint_inclusion(tree: MerkleTree) -> None:
    cp = Checkpoint(ORIGIN, tree.size, tree.root())
    proof = tree.inclusion_proof(5)
    assert verify_checkpoint_inclusion(cp, proof, leaf_hash(b"ballot 5"))
    assert not verify_checkpoint_inclusion(cp, proof, leaf_hash(b"ballot 6"))
    assert not verify_checkpoint_inclusion(cp, tree.inclusion_proof(5, 30), leaf_hash(b"ballot 5"))


def test_checkpoint_validation() -> None:
    for origin in ("", "a\nb", " padded", "tab\there"):
        with pytest.raises(CheckpointError):
            Checkpoint(origin, 1, bytes(32))
    with pytest.raises(CheckpointError):
        Checkpoint("l", -1, bytes(32))
    with pytest.raises(CheckpointError):
        Checkpoint("l", 2**64, bytes(32))
    with pytest.raises(CheckpointError):
        Checkpoint("l", 1, bytes(31))
    with pytest.raises(CheckpointError):
        NoteSigner("has space", Ed25519SecretKey.generate())
    with pytest.raises(CheckpointError):
        sign_note(b"no final newline", peter_signer())


def test_open_never_raises() -> None:
    verifier = NoteVerifier.from_vkey(PETER_VKEY)
    for junk in (
        b"",
        b"\n\n",
        "text",
        None,
        b"x" * 70000,
        TEXT + b"\n" + "— PeterNeumann !!!\n".encode(),
    ):
        assert open_note(junk, [verifier]) is None  # type: ignore[arg-type]
        assert open_checkpoint(junk, [verifier], expected_origin="x") is None  # type: ignore[arg-type]
