"""Property tests for the RFC 9162 Merkle log: valid proofs verify, mutated ones fail."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.checkpoints import (
    Checkpoint,
    verify_checkpoint_consistency,
    verify_checkpoint_inclusion,
)
from crypto.merkle import (
    ConsistencyProof,
    InclusionProof,
    MerkleTree,
    RootAccumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

SETTINGS = settings(max_examples=60, deadline=None)


def leaves_for(n: int, seed: int = 0) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(f"{seed}:{i}".encode()).digest()) for i in range(n)]


def reference_mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, written as literally as the RFC states it."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(reference_mth(hashes[:k]), reference_mth(hashes[k:]))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


sizes = st.integers(min_value=1, max_value=300)


@SETTINGS
@given(n=sizes, seed=st.integers(0, 2**16))
def test_roots_agree_with_reference(n: int, seed: int) -> None:
    hashes = leaves_for(n, seed)
    acc = RootAccumulator()
    for h in hashes:
        acc.append(h)
    assert acc.root() == MerkleTree(hashes).root() == reference_mth(hashes)


@SETTINGS
@given(data=st.data(), n=sizes)
def test_inclusion_round_trip_and_mutations(data: st.DataObject, n: int) -> None:
    hashes = leaves_for(n)
    tree = MerkleTree(hashes)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = tree.inclusion_proof(index)
    root = tree.root()
    assert proof == inclusion_proof(hashes, index)
    assert verify_inclusion(proof, hashes[index], root)

    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_inclusion(proof, flip(hashes[index], bit), root)
    assert not verify_inclusion(proof, hashes[index], flip(root, bit))
    if proof.path:
        i = data.draw(st.integers(0, len(proof.path) - 1), label="path element")
        path = list(proof.path)
        path[i] = flip(path[i], bit)
        assert not verify_inclusion(InclusionProof(index, n, tuple(path)), hashes[index], root)
        assert not verify_inclusion(InclusionProof(index, n, proof.path[:-1]), hashes[index], root)
    assert not verify_inclusion(InclusionProof(index, n, (*proof.path, root)), hashes[index], root)

    other = data.draw(st.integers(0, 2 * n), label="other index")
    if other != index:
        assert not verify_inclusion(InclusionProof(other, n, proof.path), hashes[index], root)


@SETTINGS
@given(data=st.data(), n=sizes)
def test_inclusion_binds_size_through_the_checkpoint(data: st.DataObject, n: int) -> None:
    """A proof authenticates a leaf against a root. Its tree size is bound to that root
    by the signed checkpoint: a proof whose size differs from the checkpoint's fails,
    and relabelling the size only 'works' when both sizes give the very same path."""
    hashes = leaves_for(n + 40)
    tree = MerkleTree(hashes)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = tree.inclusion_proof(index, n)
    checkpoint = Checkpoint("log", n, tree.root(n))
    assert verify_checkpoint_inclusion(checkpoint, proof, hashes[index])

    other = data.draw(st.integers(1, n + 40).filter(lambda s: s != n), label="other size")
    relabelled = InclusionProof(index, other, proof.path)
    assert not verify_checkpoint_inclusion(checkpoint, relabelled, hashes[index])
    # Against the genuine root of the other size, the old path passes only if it *is*
    # that size's proof (then the claim is true anyway).
    if verify_inclusion(relabelled, hashes[index], tree.root(other)):
        assert tree.inclusion_proof(index, other).path == proof.path


@SETTINGS
@given(data=st.data(), n=st.integers(min_value=2, max_value=300))
def test_consistency_round_trip_and_mutations(data: st.DataObject, n: int) -> None:
    hashes = leaves_for(n)
    tree = MerkleTree(hashes)
    m = data.draw(st.integers(1, n - 1), label="first size")
    proof = tree.consistency_proof(m)
    r1, r2 = tree.root(m), tree.root()
    assert proof == consistency_proof(hashes, m)
    assert verify_consistency(proof, r1, r2)

    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(proof, flip(r1, bit), r2)
    assert not verify_consistency(proof, r1, flip(r2, bit))
    i = data.draw(st.integers(0, len(proof.path) - 1), label="path element")
    path = list(proof.path)
    path[i] = flip(path[i], bit)
    assert not verify_consistency(ConsistencyProof(m, n, tuple(path)), r1, r2)
    assert not verify_consistency(ConsistencyProof(m, n, proof.path[:-1]), r1, r2)
    assert not verify_consistency(ConsistencyProof(m, n, (*proof.path, r2)), r1, r2)

    # Tree sizes are bound to roots by the signed checkpoints, not by the proof: e.g. the
    # proof 1 -> 66 also passes as 1 -> 65 against the same two roots (found by
    # Hypothesis). So a relabelled size must fail at the checkpoint level ...
    old_cp, new_cp = Checkpoint("log", m, r1), Checkpoint("log", n, r2)
    assert verify_checkpoint_consistency(old_cp, new_cp, proof)
    other_m = data.draw(st.integers(0, n + 5).filter(lambda s: s != m), label="other first size")
    other_n = data.draw(st.integers(m, 2 * n).filter(lambda s: s != n), label="other second size")
    for relabelled in (
        ConsistencyProof(other_m, n, proof.path),
        ConsistencyProof(m, other_n, proof.path),
    ):
        assert not verify_checkpoint_consistency(old_cp, new_cp, relabelled)
    # ... and against the genuine roots of the other sizes the old path only passes
    # if it *is* the proof for those sizes (then the claim is true anyway).
    longer = MerkleTree(leaves_for(2 * n + 5))
    if verify_consistency(ConsistencyProof(m, other_n, proof.path), r1, longer.root(other_n)):
        assert longer.consistency_proof(m, other_n).path == proof.path
    if verify_consistency(ConsistencyProof(other_m, n, proof.path), longer.root(other_m), r2):
        assert longer.consistency_proof(other_m, n).path == proof.path


@SETTINGS
@given(data=st.data(), n=st.integers(min_value=2, max_value=200))
def test_rewritten_history_is_inconsistent(data: st.DataObject, n: int) -> None:
    """Changing any leaf before the first size breaks consistency with the new tree."""
    hashes = leaves_for(n)
    m = data.draw(st.integers(1, n - 1), label="first size")
    victim = data.draw(st.integers(0, m - 1), label="rewritten leaf")
    forged = list(hashes)
    forged[victim] = leaf_hash(b"forged")
    honest_old = MerkleTree(hashes).root(m)
    forged_tree = MerkleTree(forged)
    proof = forged_tree.consistency_proof(m)
    assert verify_consistency(proof, forged_tree.root(m), forged_tree.root())
    assert not verify_consistency(proof, honest_old, forged_tree.root())
