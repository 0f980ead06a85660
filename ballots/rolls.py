"""The commitment to a frozen list of members, shared by every vote and survey; pure.

A frozen list (the voter roll of an election, the audience of a survey) is published as
salted entry hashes, never names: each member, told their salt, finds their own entry,
and anyone can recompute the commitment and count the entries. The commitment is the
RFC 9162 Merkle root over the entries in byte order (leaf data = the 32 entry bytes),
so a member can also be given an inclusion proof. Imports only ``crypto``: the
verifiers use it without the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from crypto.merkle import leaf_hash, root_from_leaf_hashes


def roll_commitment(entries_sorted: Iterable[str]) -> str:
    """RFC 9162 root over the sorted entries (hex), as hex."""
    return root_from_leaf_hashes(leaf_hash(bytes.fromhex(e)) for e in entries_sorted).hex()
