"""RFC 9162 / RFC 6962 Merkle hashing and proofs against published reference vectors.

Vectors copied from transparency-dev/merkle:
* rfc6962/rfc6962_test.go (TestRFC6962Hasher): empty root, leaf and node hashes;
* proof/verify_test.go: the 8 reference leaves, the roots of trees of size 1..8,
  inclusion proofs and consistency proofs (the classic certificate-transparency
  reference data), plus its corruption probes;
* proof/proof_test.go: which subtrees a proof consists of for sizes 7, 15, 31, 95.
"""

from __future__ import annotations

import hashlib

import pytest

from crypto.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    MerkleError,
    MerkleTree,
    RootAccumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(x)
    for x in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# (leaf number, 1-based as in the Go source; tree size; path)
INCLUSION = [
    (1, 8, ("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, ("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (3, 3, ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",)),
    (2, 5, ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, ("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, ("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (6, 7, ("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
LEAF_HASHES = [leaf_hash(d) for d in LEAVES]


def _path(hexes: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(bytes.fromhex(h) for h in hexes)


def test_rfc6962_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert (
        leaf_hash(b"L123456").hex()
        == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(size: int) -> None:
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == ROOTS[size - 1]
    assert MerkleTree(LEAF_HASHES).root(size) == ROOTS[size - 1]


def test_empty_tree() -> None:
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT
    assert RootAccumulator().size == 0


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_reference_inclusion_proofs(leaf: int, size: int, path: tuple[str, ...]) -> None:
    expected = InclusionProof(leaf - 1, size, _path(path))
    assert MerkleTree(LEAF_HASHES).inclusion_proof(leaf - 1, size) == expected
    assert inclusion_proof(LEAF_HASHES, leaf - 1, size) == expected
    assert verify_inclusion(expected, LEAF_HASHES[leaf - 1], ROOTS[size - 1])


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_corruption_probes(leaf: int, size: int, path: tuple[str, ...]) -> None:
    """The probes of transparency-dev/merkle corruptInclusionProof must all fail."""
    index, proof, root, lh = leaf - 1, _path(path), ROOTS[size - 1], LEAF_HASHES[leaf - 1]
    probes = [
        (index - 1, size, root, lh, proof),
        (index + 1, size, root, lh, proof),
        (index ^ 2, size, root, lh, proof),
        (index, size * 2, root, lh, proof),
        (index, size // 2, root, lh, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, lh, proof),
        (index, size, SOME_HASH, lh, proof),
        (index, size, root, lh, (*proof, b"")),
        (index, size, root, lh, (*proof, root)),
        (index, size, root, lh, (b"", *proof)),
        (index, size, root, lh, (root, *proof)),
        (index, size, root, lh, proof[:-1]),
    ]
    if len(proof) > 1:
        probes.append((index, size, root, lh, (proof[0], SOME_HASH, *proof[1:])))
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 8
        probes.append((index, size, root, lh, (*proof[:i], bytes(flipped), *proof[i + 1 :])))
    for p_index, p_size, p_root, p_leaf, p_path in probes:
        if p_index < 0:
            continue  # a uint64 index cannot be -1; see test_verifiers_reject_malformed
        assert not verify_inclusion(InclusionProof(p_index, p_size, p_path), p_leaf, p_root)


def test_single_leaf_inclusion() -> None:
    h = leaf_hash(b"data")
    assert verify_inclusion(InclusionProof(0, 1, ()), h, h)
    assert not verify_inclusion(InclusionProof(0, 1, ()), h, b"")
    assert not verify_inclusion(InclusionProof(0, 1, ()), b"", h)
    for index, size in ((0, 0), (1, 0), (2, 1)):
        assert not verify_inclusion(InclusionProof(index, size, ()), SOME_HASH, EMPTY_ROOT)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_reference_consistency_proofs(first: int, second: int, path: tuple[str, ...]) -> None:
    expected = ConsistencyProof(first, second, _path(path))
    assert MerkleTree(LEAF_HASHES).consistency_proof(first, second) == expected
    assert consistency_proof(LEAF_HASHES, first, second) == expected
    assert verify_consistency(expected, ROOTS[first - 1], ROOTS[second - 1])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_corruption_probes(first: int, second: int, path: tuple[str, ...]) -> None:
    """The probes of transparency-dev/merkle corruptConsistencyProof must all fail."""
    proof, r1, r2 = _path(path), ROOTS[first - 1], ROOTS[second - 1]
    probes = [
        (first - 1, second, r1, r2, proof),
        (first + 1, second, r1, r2, proof),
        (first ^ 2, second, r1, r2, proof),
        (first, second * 2, r1, r2, proof),
        (first, second // 2, r1, r2, proof),
        (first, second, b"WrongRoot", r2, proof),
        (first, second, r1, b"WrongRoot", proof),
        (first, second, r2, r1, proof),
        (first, second, r1, r2, ()),
        (first, second, r1, r2, (*proof, b"")),
        (first, second, r1, r2, (*proof, r1)),
        (first, second, r1, r2, (*proof, r2)),
        (first, second, r1, r2, (b"", *proof)),
        (first, second, r1, r2, (r1, *proof)),
        (first, second, r1, r2, (r2, *proof)),
        (first, second, r1, r2, (proof[0], *proof)),
        (first, second, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 16
        probes.append((first, second, r1, r2, (*proof[:i], bytes(flipped), *proof[i + 1 :])))
    for m, n, a, b, p in probes:
        assert not verify_consistency(ConsistencyProof(m, n, p), a, b)


def test_consistency_edge_cases() -> None:
    r = ROOTS[0]
    assert verify_consistency(ConsistencyProof(1, 1, ()), r, r)
    assert not verify_consistency(ConsistencyProof(1, 1, ()), r, ROOTS[1])
    assert not verify_consistency(ConsistencyProof(1, 1, (EMPTY_ROOT,)), r, r)
    assert verify_consistency(ConsistencyProof(0, 1, ()), EMPTY_ROOT, r)
    assert not verify_consistency(ConsistencyProof(0, 1, ()), r, r)  # first root must be empty
    assert not verify_consistency(ConsistencyProof(2, 1, ()), r, r)  # time travel
    assert not verify_consistency(ConsistencyProof(1, 2, ()), r, ROOTS[1])  # empty proof


def _subtree(lo: int, hi: int, leaves: list[bytes]) -> bytes:
    return root_from_leaf_hashes(leaves[lo:hi])


@pytest.mark.parametrize(
    ("index", "size", "ranges"),
    [
        # proof/proof_test.go TestInclusion: node IDs (level, index) as leaf ranges.
        (0, 7, [(1, 2), (2, 4), (4, 7)]),  # b h l=hash(i,j)
        (4, 7, [(5, 6), (6, 7), (0, 4)]),  # f j k
        (6, 7, [(4, 6), (0, 4)]),  # i k
        (3, 5, [(2, 3), (0, 2), (4, 5)]),  # c g e
        (10, 15, [(11, 12), (8, 10), (12, 15), (0, 8)]),  # rehash of (14, 1.6) in the middle
        (81, 95, [(80, 81), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)]),
    ],
)
def test_inclusion_proof_shape(index: int, size: int, ranges: list[tuple[int, int]]) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    proof = MerkleTree(leaves).inclusion_proof(index)
    assert proof.path == tuple(_subtree(lo, hi, leaves) for lo, hi in ranges)


@pytest.mark.parametrize(
    ("first", "second", "ranges"),
    [
        # proof/proof_test.go TestConsistency.
        (1, 2, [(1, 2)]),  # b
        (3, 7, [(2, 3), (3, 4), (0, 2), (4, 7)]),  # c d g l=hash(i,j)
        (5, 7, [(4, 5), (5, 6), (6, 7), (0, 4)]),  # e f j k
        (6, 7, [(4, 6), (6, 7), (0, 4)]),  # i j k
        (7, 8, [(6, 7), (7, 8), (4, 6), (0, 4)]),  # j leaf#7 i k
        (24, 31, [(16, 24), (24, 31), (0, 16)]),  # id(3,2) then rehash, then id(4,0)
    ],
)
def test_consistency_proof_shape(first: int, second: int, ranges: list[tuple[int, int]]) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(second)]
    proof = MerkleTree(leaves).consistency_proof(first)
    assert proof.path == tuple(_subtree(lo, hi, leaves) for lo, hi in ranges)


def test_tree_matches_accumulator_and_supports_past_sizes() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(300)]
    tree, acc = MerkleTree(), RootAccumulator()
    for i, h in enumerate(leaves):
        assert tree.append(h) == i
        acc.append(h)
        assert tree.root() == acc.root()
    assert tree.size == acc.size == 300
    assert tree.leaf_hash(299) == leaves[299]
    for size in (1, 2, 3, 64, 65, 129, 300):
        root = tree.root(size)
        for index in (0, size // 2, size - 1):
            assert verify_inclusion(tree.inclusion_proof(index, size), leaves[index], root)
        for first in (1, size // 3 or 1, size):
            proof = tree.consistency_proof(first, size)
            assert verify_consistency(proof, tree.root(first), root)


def test_generators_reject_bad_arguments() -> None:
    tree = MerkleTree(LEAF_HASHES)
    with pytest.raises(MerkleError):
        tree.inclusion_proof(8)
    with pytest.raises(MerkleError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(MerkleError):
        tree.consistency_proof(0, 8)
    with pytest.raises(MerkleError):
        tree.consistency_proof(5, 4)
    with pytest.raises(MerkleError):
        tree.append(b"short")
    with pytest.raises(MerkleError):
        RootAccumulator().append(b"short")
    with pytest.raises(MerkleError):
        inclusion_proof(LEAF_HASHES, 0, 9)


def test_verifiers_reject_malformed() -> None:
    good = InclusionProof(0, 1, ())
    h = LEAF_HASHES[0]
    assert root_from_inclusion_proof(InclusionProof(-1, 8, ()), h) is None
    assert root_from_inclusion_proof(InclusionProof(True, 8, ()), h) is None  # type: ignore[arg-type]
    assert root_from_inclusion_proof(InclusionProof(0, 2**64, ()), h) is None
    assert root_from_inclusion_proof(InclusionProof(0, 2, [h]), h) is None  # type: ignore[arg-type]
    assert not verify_inclusion("proof", h, h)  # type: ignore[arg-type]
    assert not verify_inclusion(good, "h", h)  # type: ignore[arg-type]
    assert not verify_consistency(ConsistencyProof(-1, 8, ()), h, h)
    assert not verify_consistency("proof", h, h)  # type: ignore[arg-type]
    assert not verify_consistency(ConsistencyProof(1, 2, ("x",)), h, h)  # type: ignore[arg-type]


def test_json_form() -> None:
    proof = MerkleTree(LEAF_HASHES).inclusion_proof(2, 5)
    assert proof.to_json() == {
        "leaf_index": 2,
        "tree_size": 5,
        "path": [h.hex() for h in proof.path],
    }
    cons = MerkleTree(LEAF_HASHES).consistency_proof(2, 5)
    assert cons.to_json()["first_size"] == 2
