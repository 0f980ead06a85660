"""Append-only Merkle log hashing and proofs, RFC 9162 §2.1 (same hashing as RFC 6962).

What it protects: the bulletin board's history. Given a signed root (checkpoint), an
inclusion proof convinces a voter that their ballot is in the log, and a consistency
proof convinces anyone that a later log only *appended* to an earlier one, so a board
operator cannot drop or rewrite ballots without the signed roots contradicting each
other. Security rests on SHA-256 collision resistance; the 0x00/0x01 prefixes stop a
leaf from being passed off as an inner node (second-preimage attack on unprefixed
Merkle trees).

Symbols (RFC 9162 §2.1.1):

* leaf hash ``MTH({d}) = SHA-256(0x00 || d)``           -> ``leaf_hash``
* node hash ``SHA-256(0x01 || MTH(left) || MTH(right))`` -> ``node_hash``
* empty tree ``MTH({}) = SHA-256("")``                  -> ``EMPTY_ROOT``
* ``PATH(m, D[n])`` §2.1.3.1, verified per §2.1.3.2
  -> ``inclusion_proof`` / ``verify_inclusion``
* ``PROOF(m, D[n])`` §2.1.4.1, verified per §2.1.4.2
  -> ``consistency_proof`` / ``verify_consistency``

Costs: ``RootAccumulator`` streams leaves in O(log n) memory (a stack of perfect-subtree
roots, the "compact range"), which is what an auditor streaming 400,000 ballots needs.
``MerkleTree`` keeps every perfect subtree root (about 2n hashes, 64 bytes per leaf in
contiguous buffers) so that any proof costs O(log^2 n) hashes. The module-level
``inclusion_proof``/``consistency_proof`` over a plain ``Sequence`` recompute subtree
roots and cost O(n) hashes per proof: fine for tests and one-off proofs, use
``MerkleTree`` for serving proofs.

Verifiers return ``bool`` and never raise on malformed input. A proof binds a leaf (or
an old root) to a root, not to a tree size: the consistency path 1 -> 66 also passes as
1 -> 65 for the same two roots. Take (tree size, root) pairs only from verified signed
checkpoints (``crypto.checkpoints.verify_checkpoint_inclusion``/``_consistency``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "ConsistencyProof",
    "InclusionProof",
    "MerkleError",
    "MerkleTree",
    "RootAccumulator",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

_log = logging.getLogger(__name__)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
#: Tree sizes and indices are uint64 on the wire (RFC 9162 §4.1).
MAX_TREE_SIZE = 2**64 - 1

_SubtreeRoot = Callable[[int, int], bytes]


class MerkleError(ValueError):
    """Invalid arguments to a proof *generator* (verifiers never raise)."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """``k`` in RFC 9162 §2.1.1: the largest power of two strictly smaller than n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


class RootAccumulator:
    """Streaming root computation in O(log n) memory (RFC 9162 MTH, compact range).

    The stack holds the roots of the perfect subtrees that the leaves seen so far
    decompose into (largest, leftmost first). Appending merges equal-height subtrees
    like a binary counter; ``root()`` folds the stack from the right, which is
    exactly the MTH recursion (the left part of every split is a perfect subtree).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one *leaf hash* (not leaf data)."""
        if len(leaf) != HASH_SIZE:
            raise MerkleError("a leaf hash is 32 bytes")
        self._stack.append(bytes(leaf))
        self._size += 1
        size = self._size
        while size & 1 == 0:  # each trailing zero bit is one merge of equal subtrees
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            size >>= 1

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, largest (leftmost) first: the state to persist.

        Reversed, it is also the RFC 9162 inclusion path of the *next* leaf in the tree
        that this append will make (the siblings of the newest leaf are exactly these
        subtrees), which is how a board hands out a receipt's proof without the tree.
        """
        return tuple(self._stack)

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes]) -> RootAccumulator:
        """Rebuild an accumulator from ``size`` and its ``frontier`` (e.g. from a database)."""
        if not _is_size(size) or len(frontier) != size.bit_count():
            raise MerkleError("a frontier has one subtree root per set bit of the size")
        if not all(_is_hash(h) for h in frontier):
            raise MerkleError("frontier hashes are 32 bytes")
        acc = cls()
        acc._stack = [bytes(h) for h in frontier]
        acc._size = size
        return acc

    def root(self) -> bytes:
        """MTH of the leaves appended so far (``EMPTY_ROOT`` for none)."""
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over an iterable of leaf hashes, streaming (O(log n) memory)."""
    acc = RootAccumulator()
    for leaf in leaf_hashes:
        acc.append(leaf)
    return acc.root()


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 §4.12 inclusion_proof_v2: leaf_index, tree_size, inclusion_path."""

    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, int | list[str]]:
        """Record form: sizes as integers, hashes as lowercase hex."""
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "path": [h.hex() for h in self.path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 §4.11 consistency_proof_v2: tree_size_1, tree_size_2, consistency_path."""

    first_size: int
    second_size: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, int | list[str]]:
        """Record form: sizes as integers, hashes as lowercase hex."""
        return {
            "first_size": self.first_size,
            "second_size": self.second_size,
            "path": [h.hex() for h in self.path],
        }


class MerkleTree:
    """An append-only tree that stores every perfect subtree root, level by level.

    ``levels[h]`` is one contiguous buffer holding the roots of the complete
    subtrees of height ``h`` (2**h leaves, aligned to multiples of 2**h), 32 bytes
    each. Every subtree that RFC 9162's PATH/PROOF recursion visits is either such a
    stored node or a right edge built from O(log n) of them, so proofs for *any*
    earlier tree size are cheap too.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf: bytes) -> int:
        """Append a *leaf hash*; returns its index."""
        if len(leaf) != HASH_SIZE:
            raise MerkleError("a leaf hash is 32 bytes")
        index = self.size
        self._levels[0] += leaf
        height, count = 0, index + 1
        while count % 2 == 0:  # a new complete subtree one level up
            level = self._levels[height]
            parent = node_hash(bytes(level[-2 * HASH_SIZE : -HASH_SIZE]), bytes(level[-HASH_SIZE:]))
            if height + 1 == len(self._levels):
                self._levels.append(bytearray())
            self._levels[height + 1] += parent
            height, count = height + 1, count // 2
        return index

    def leaf_hash(self, index: int) -> bytes:
        """The stored leaf hash at ``index``."""
        self._check_size(index + 1)
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def root(self, tree_size: int | None = None) -> bytes:
        """MTH of the first ``tree_size`` leaves (default: all)."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree_root(0, size)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> InclusionProof:
        """PATH(index, D[tree_size]) of RFC 9162 §2.1.3.1."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        return _inclusion(index, size, self._subtree_root)

    def consistency_proof(
        self, first_size: int, second_size: int | None = None
    ) -> ConsistencyProof:
        """PROOF(first_size, D[second_size]) of RFC 9162 §2.1.4.1."""
        size = self.size if second_size is None else second_size
        self._check_size(size)
        return _consistency(first_size, size, self._subtree_root)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size} outside 0..{self.size}")

    def _subtree_root(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]), using stored perfect subtrees where aligned."""
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            height = width.bit_length() - 1
            offset = (lo >> height) * HASH_SIZE
            return bytes(self._levels[height][offset : offset + HASH_SIZE])
        k = _largest_power_of_two_below(width)
        return node_hash(self._subtree_root(lo, lo + k), self._subtree_root(lo + k, hi))


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, tree_size: int | None = None
) -> InclusionProof:
    """PATH(index, D[tree_size]) over a plain sequence of leaf hashes; O(n) hashes."""
    size = len(leaf_hashes) if tree_size is None else tree_size
    if not 0 <= size <= len(leaf_hashes):
        raise MerkleError("tree size larger than the sequence")
    return _inclusion(index, size, _sequence_subtree_root(leaf_hashes))


def consistency_proof(
    leaf_hashes: Sequence[bytes], first_size: int, second_size: int | None = None
) -> ConsistencyProof:
    """PROOF(first_size, D[second_size]) over a plain sequence; O(n) hashes."""
    size = len(leaf_hashes) if second_size is None else second_size
    if not 0 <= size <= len(leaf_hashes):
        raise MerkleError("tree size larger than the sequence")
    return _consistency(first_size, size, _sequence_subtree_root(leaf_hashes))


def _sequence_subtree_root(leaf_hashes: Sequence[bytes]) -> _SubtreeRoot:
    def subtree_root(lo: int, hi: int) -> bytes:
        return root_from_leaf_hashes(leaf_hashes[i] for i in range(lo, hi))

    return subtree_root


def _inclusion(index: int, size: int, subtree_root: _SubtreeRoot) -> InclusionProof:
    """RFC 9162 §2.1.3.1 PATH, unrolled: walk down, collect siblings, reverse."""
    if not 0 <= index < size:
        raise MerkleError(f"leaf index {index} not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            path.append(subtree_root(lo + k, hi))
            hi = lo + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            path.append(subtree_root(lo, lo + k))
            lo += k
    path.reverse()  # the RFC lists the deepest sibling first
    return InclusionProof(index, size, tuple(path))


def _consistency(first: int, second: int, subtree_root: _SubtreeRoot) -> ConsistencyProof:
    """RFC 9162 §2.1.4.1 PROOF = SUBPROOF(m, D[n], true), unrolled."""
    if not 0 < first <= second:
        raise MerkleError(f"need 0 < first_size <= second_size, got {first}, {second}")
    path: list[bytes] = []
    m, lo, hi, complete = first, 0, second, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            path.append(subtree_root(lo + k, hi))
            hi = lo + k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            path.append(subtree_root(lo, lo + k))
            m, lo, complete = m - k, lo + k, False
    if not complete:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        path.append(subtree_root(lo, hi))
    path.reverse()
    return ConsistencyProof(first, second, tuple(path))


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_TREE_SIZE


def _well_formed_path(path: object) -> bool:
    return isinstance(path, tuple) and len(path) <= 64 and all(_is_hash(p) for p in path)  # noqa: PLR2004


def root_from_inclusion_proof(proof: InclusionProof, leaf: bytes) -> bytes | None:
    """The root implied by ``proof`` for ``leaf`` (RFC 9162 §2.1.3.2 steps 1-4), or None."""
    if not isinstance(proof, InclusionProof) or not _is_hash(leaf):
        return None
    index, size, path = proof.leaf_index, proof.tree_size, proof.path
    if not (_is_size(index) and _is_size(size) and _well_formed_path(path)) or index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None  # proof longer than the tree is high
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:  # skip levels where we are a lone right edge
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(proof: InclusionProof, leaf: bytes, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show ``leaf`` (a leaf hash) under ``root``?"""
    computed = root_from_inclusion_proof(proof, leaf)
    if computed is None or not _is_hash(root):
        _log.debug("inclusion proof malformed for its index and tree size")
        return False
    if not hmac.compare_digest(computed, root):
        _log.debug("inclusion proof does not lead to the given root")
        return False
    return True


def verify_consistency(proof: ConsistencyProof, first_root: bytes, second_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2: is the tree with ``first_root`` a prefix of ``second_root``'s?

    Edge cases (outside the RFC's 0 < m < n): equal sizes need an empty proof and equal
    roots; ``first_size == 0`` needs an empty proof and ``first_root == EMPTY_ROOT``.
    """
    if not isinstance(proof, ConsistencyProof) or not (
        _is_hash(first_root) and _is_hash(second_root)
    ):
        return False
    m, n, path = proof.first_size, proof.second_size, proof.path
    if not (_is_size(m) and _is_size(n) and _well_formed_path(path)) or m > n:
        _log.debug("consistency proof sizes or path malformed")
        return False
    if m in (0, n):
        expected = EMPTY_ROOT if m == 0 else second_root
        return not path and hmac.compare_digest(first_root, expected)
    roots = _consistency_roots(m, n, path, first_root)
    if roots is None:
        _log.debug("consistency proof has the wrong shape for its sizes")
        return False
    ok_first = hmac.compare_digest(roots[0], first_root)
    ok_second = hmac.compare_digest(roots[1], second_root)
    if not (ok_first and ok_second):
        _log.debug(
            "consistency proof roots differ (first ok=%s, second ok=%s)", ok_first, ok_second
        )
    return ok_first and ok_second


def _consistency_roots(
    m: int, n: int, path: tuple[bytes, ...], first_root: bytes
) -> tuple[bytes, bytes] | None:
    """RFC 9162 §2.1.4.2 steps 1-6 for 0 < m < n: the two roots the path implies."""
    if not path:
        return None
    if m & (m - 1) == 0:  # step 2: first tree is a perfect subtree, its root is implied
        path = (first_root, *path)
    fn, sn = m - 1, n - 1
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None
