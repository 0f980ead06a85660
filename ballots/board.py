"""The ballot board: an RFC 9162 Merkle log with signed checkpoints (pure).

The server persists only the board's frontier (one subtree root per set bit of the
size, at most 64 hashes), so appending a ballot and signing the new checkpoint costs
O(log n) hashes and one Ed25519 signature, whichever process handles the request.
The frontier before an append, reversed, is the inclusion path of the appended leaf in
the new tree (`crypto.merkle.RootAccumulator.frontier`), so every receipt comes with
its proof at no extra cost.

Protects voters against a board that drops or rewrites their ballot: the receipt's
checkpoint is signed, the path proves the ballot is in it, and every later checkpoint
must be consistent with it (the verifier recomputes all of them from ``ballots.jsonl``;
`check_receipt_on_board` checks one receipt against a published board).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.checkpoints import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
    verify_checkpoint_consistency,
    verify_checkpoint_inclusion,
)
from crypto.merkle import (
    HASH_SIZE,
    ConsistencyProof,
    InclusionProof,
    MerkleTree,
    RootAccumulator,
    leaf_hash,
)
from crypto.signing import Ed25519PublicKey, Ed25519SecretKey


@dataclass(frozen=True, slots=True)
class BoardState:
    size: int
    frontier: bytes
    """the frontier's hashes concatenated, largest subtree first."""

    @classmethod
    def empty(cls) -> BoardState:
        return cls(0, b"")


@dataclass(frozen=True, slots=True)
class Appended:
    """The result of one append: the new state, the leaf's proof and the signed note."""

    state: BoardState
    index: int
    leaf_hash: bytes
    root: bytes
    path: tuple[bytes, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the voter keeps: the ballot hash, its index and the signed checkpoint.

    ``path`` is the RFC 9162 inclusion proof of the ballot in that checkpoint's tree.
    """

    ballot_hash: str
    index: int
    checkpoint: str
    path: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ballot_hash": self.ballot_hash,
            "index": self.index,
            "checkpoint": self.checkpoint,
            "inclusion_path": list(self.path),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Receipt:
        return cls(
            ballot_hash=str(value["ballot_hash"]),
            index=int(value["index"]),
            checkpoint=str(value["checkpoint"]),
            path=tuple(str(h) for h in value["inclusion_path"]),
        )


def signer(origin: str, seed: bytes) -> NoteSigner:
    """The board's checkpoint signer: key name = origin (``manifest.board_origin``)."""
    return NoteSigner(origin, Ed25519SecretKey(seed))


def note_verifier(origin: str, public_key_hex: str) -> NoteVerifier:
    return NoteVerifier(origin, Ed25519PublicKey.from_hex(public_key_hex))


def _split(frontier: bytes) -> list[bytes]:
    return [frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)]


def sign_empty(board_signer: NoteSigner) -> str:
    """The checkpoint of the empty board, signed when the election opens."""
    accumulator = RootAccumulator()
    checkpoint = Checkpoint(board_signer.name, 0, accumulator.root())
    return sign_checkpoint(checkpoint, board_signer).decode()


def append(state: BoardState, leaf: bytes, board_signer: NoteSigner) -> Appended:
    """Append one leaf hash, sign the new checkpoint, return the receipt material."""
    accumulator = RootAccumulator.resume(state.size, _split(state.frontier))
    path = tuple(reversed(accumulator.frontier))
    accumulator.append(leaf)
    root = accumulator.root()
    checkpoint = Checkpoint(board_signer.name, accumulator.size, root)
    note = sign_checkpoint(checkpoint, board_signer).decode()
    new_state = BoardState(accumulator.size, b"".join(accumulator.frontier))
    return Appended(new_state, state.size, leaf, root, path, note)


@dataclass(frozen=True, slots=True)
class Batch:
    """The result of appending several leaves under one checkpoint (`append_batch`)."""

    state: BoardState
    first_index: int
    root: bytes
    note: str


def append_batch(state: BoardState, leaves: Sequence[bytes], board_signer: NoteSigner) -> Batch:
    """Append leaf hashes and sign one checkpoint over all of them.

    For a board whose entries wait in batches anyway (surveys): nobody can hold a
    checkpoint between two leaves of one batch, so one signature per batch is enough.
    A receipt's inclusion path is then computed against this checkpoint later, from the
    board's leaves (`crypto.merkle.MerkleTree.inclusion_proof` with its tree size).
    """
    accumulator = RootAccumulator.resume(state.size, _split(state.frontier))
    for leaf in leaves:
        accumulator.append(leaf)
    root = accumulator.root()
    note = sign_checkpoint(Checkpoint(board_signer.name, accumulator.size, root), board_signer)
    new_state = BoardState(accumulator.size, b"".join(accumulator.frontier))
    return Batch(new_state, state.size, root, note.decode())


def check_receipt(receipt: Receipt, line: bytes, verifier: NoteVerifier, *, origin: str) -> bool:
    """Is the ballot ``line`` in the signed checkpoint of ``receipt`` at its index?"""
    leaf = leaf_hash(line)
    if leaf.hex() != receipt.ballot_hash:
        return False
    checkpoint = open_checkpoint(receipt.checkpoint.encode(), [verifier], expected_origin=origin)
    if checkpoint is None:
        return False
    try:
        path = tuple(bytes.fromhex(h) for h in receipt.path)
    except ValueError:
        return False
    proof = InclusionProof(receipt.index, checkpoint.tree_size, path)
    return verify_checkpoint_inclusion(checkpoint, proof, leaf)


RECEIPT_CHECKS = ("checkpoint", "inclusion", "place", "consistency")
"""What `check_receipt_on_board` decides, in order."""


def check_receipt_on_board(
    receipt: Receipt, verifier: NoteVerifier, *, origin: str, leaves: Sequence[bytes]
) -> dict[str, bool]:
    """A receipt against a published board (its leaf hashes in board order).

    ``checkpoint``: the receipt's checkpoint is signed by ``verifier`` for ``origin``;
    ``inclusion``: its path puts the receipt's hash at its index under that checkpoint;
    ``place``: the board's leaf at that index is the receipt's hash; ``consistency``: the
    board is an append-only extension of the checkpoint (RFC 9162 §2.1.4 proof from the
    checkpoint's size to the board's, made from ``leaves``, checked against both roots).

    A board rewritten after the receipt was handed out (reordered, an entry dropped or
    changed before the receipt's tree size) fails ``consistency`` whoever signed it; this
    is what lets a receipt holder catch an operator who holds the board key.
    """
    outcome = dict.fromkeys(RECEIPT_CHECKS, False)
    checkpoint = open_checkpoint(receipt.checkpoint.encode(), [verifier], expected_origin=origin)
    try:
        leaf = bytes.fromhex(receipt.ballot_hash)
        path = tuple(bytes.fromhex(h) for h in receipt.path)
    except ValueError:
        return outcome
    if checkpoint is None:
        return outcome
    outcome["checkpoint"] = True
    proof = InclusionProof(receipt.index, checkpoint.tree_size, path)
    outcome["inclusion"] = verify_checkpoint_inclusion(checkpoint, proof, leaf)
    index = receipt.index
    outcome["place"] = 0 <= index < len(leaves) and leaves[index] == leaf
    outcome["consistency"] = _extended_by(checkpoint, leaves)
    return outcome


def _extended_by(checkpoint: Checkpoint, leaves: Sequence[bytes]) -> bool:
    if checkpoint.tree_size > len(leaves):
        return False
    tree = MerkleTree(leaves)
    board = Checkpoint(checkpoint.origin, tree.size, tree.root())
    proof = (
        tree.consistency_proof(checkpoint.tree_size)
        if checkpoint.tree_size
        else ConsistencyProof(0, tree.size, ())
    )
    return verify_checkpoint_consistency(checkpoint, board, proof)
