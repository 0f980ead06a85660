"""Property tests for a receipt checked against a published board (batches, one signed
checkpoint each, as the survey board keeps them): an honest receipt passes against the
board it was given for and any board that only appends to it; any rewrite of the board
before the receipt's tree size, and any edit of the receipt, fails."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from ballots import board
from crypto.merkle import MerkleTree, leaf_hash

SETTINGS = settings(max_examples=80, deadline=None)
ORIGIN = "stimmwerk.test/survey/props"
SIGNER = board.signer(ORIGIN, bytes(range(32)))
VERIFIER = SIGNER.verifier


def _leaves(n: int, seed: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(f"{seed}:{i}".encode()).digest()) for i in range(n)]


def _receipt(leaves: list[bytes], batches: list[int], index: int) -> board.Receipt:
    """The receipt of the leaf at ``index`` as the survey service gives it: its batch's
    signed checkpoint and its inclusion path in that checkpoint's tree."""
    state, size = board.BoardState.empty(), 0
    for batch in batches:
        appended = board.append_batch(state, leaves[size : size + batch], SIGNER)
        state, size = appended.state, size + batch
        if size > index:
            path = MerkleTree(leaves[:size]).inclusion_proof(index).path
            return board.Receipt(
                leaves[index].hex(), index, appended.note, tuple(map(bytes.hex, path))
            )
    raise AssertionError("index beyond the batches")


def _check(receipt: board.Receipt, leaves: list[bytes]) -> dict[str, bool]:
    return board.check_receipt_on_board(receipt, VERIFIER, origin=ORIGIN, leaves=leaves)


@st.composite
def boards(draw: st.DrawFn) -> tuple[list[bytes], list[int], int]:
    """Leaves, the batch sizes that put them on the board, and a receipt's index."""
    batches = draw(st.lists(st.integers(1, 40), min_size=1, max_size=8))
    leaves = _leaves(sum(batches), draw(st.integers(0, 2**16)))
    return leaves, batches, draw(st.integers(0, len(leaves) - 1))


@SETTINGS
@given(boards(), st.integers(0, 50))
def test_an_honest_receipt_passes_on_its_board_and_on_any_extension(
    drawn: tuple[list[bytes], list[int], int], more: int
) -> None:
    leaves, batches, index = drawn
    receipt = _receipt(leaves, batches, index)
    assert all(_check(receipt, leaves).values())
    assert all(_check(receipt, leaves + _leaves(more, 99_999)).values())


@SETTINGS
@given(boards(), st.data())
def test_a_board_rewritten_before_the_receipts_size_fails(
    drawn: tuple[list[bytes], list[int], int], data: st.DataObject
) -> None:
    leaves, batches, index = drawn
    receipt = _receipt(leaves, batches, index)
    size = int(receipt.checkpoint.split("\n")[1])
    rewrites = ["swap", "drop", "change"] if size > 1 else ["drop", "change"]
    rewrite = data.draw(st.sampled_from(rewrites))
    at = data.draw(st.integers(0, size - 1))
    forged = list(leaves)
    if rewrite == "swap":
        other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda j: j != at))
        forged[at], forged[other] = forged[other], forged[at]
    elif rewrite == "drop":
        del forged[at]
    else:
        forged[at] = leaf_hash(b"minted")
    outcome = _check(receipt, forged)
    assert outcome["checkpoint"]  # the receipt itself is still good
    assert outcome["inclusion"]
    assert not outcome["consistency"]


@SETTINGS
@given(boards(), st.data())
def test_any_edit_of_the_receipt_fails(
    drawn: tuple[list[bytes], list[int], int], data: st.DataObject
) -> None:
    leaves, batches, index = drawn
    receipt = _receipt(leaves, batches, index)
    size = int(receipt.checkpoint.split("\n")[1])
    edits = {
        "hash": lambda r: replace(r, ballot_hash=leaf_hash(b"other").hex()),
        "index": lambda r: replace(
            r, index=data.draw(st.integers(0, size + 3).filter(lambda i: i != index))
        ),
        "path": lambda r: replace(r, path=(*r.path, r.ballot_hash)),
        "path_shorter": lambda r: replace(r, path=r.path[:-1]),
        "note": lambda r: replace(r, checkpoint=_flip(r.checkpoint, data)),
        "foreign_key": lambda r: replace(r, checkpoint=_signed_by_another(r.checkpoint)),
    }
    if not receipt.path:  # a one-leaf tree has no path to shorten
        del edits["path_shorter"]
    edited = edits[data.draw(st.sampled_from(sorted(edits)))](receipt)
    outcome = _check(edited, leaves)
    assert not all(outcome.values()), (edited, outcome)


def _flip(note: str, data: st.DataObject) -> str:
    """One character of the note's text or signature changed (not the trailing newline)."""
    at = data.draw(st.integers(0, len(note) - 2))
    replacement = "A" if note[at] != "A" else "B"
    return note[:at] + replacement + note[at + 1 :]


def _signed_by_another(note: str) -> str:
    """The same checkpoint body signed by a key with the board's name but not its key."""
    from crypto.checkpoints import Checkpoint, sign_checkpoint

    body = note.split("\n\n", maxsplit=1)[0] + "\n"
    other = board.signer(ORIGIN, bytes(32))
    return sign_checkpoint(Checkpoint.from_body(body.encode()), other).decode()
