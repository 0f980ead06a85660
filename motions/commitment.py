"""The commitment to an initiative's signature list (issue 13, point 3).

Each counted signature is one leaf: a domain-separated SHA-256 of the initiative id,
the signer's membership number and a random per-signature salt. Without the salt the
leaf reveals nothing (membership numbers are guessable; salts are not). The leaves are
sorted (so their order says nothing about when anyone signed) and committed to with the
RFC 9162 Merkle tree of ``crypto.merkle`` (the one the ballot board uses). At the
deadline the root, the count and the list of leaves are published:

- a signer recomputes their leaf from their receipt (membership number and salt) and
  finds it in the list (`receipt_leaf`, `includes`; on the initiative page and with
  ``stimmwerk initiative-check FILE --salt S --number N``);
- an auditor recomputes the root from the list and checks it against the published
  root and that the number of leaves equals the published count
  (`check_published`, ``stimmwerk initiative-check FILE``).

No database here: the functions work on bytes and plain JSON, so an auditor's check
runs without the server.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from app.core.i18n import N_
from crypto.merkle import MerkleTree, leaf_hash, verify_inclusion

_DOMAIN: Final = b"stimmwerk/initiative-signature/v1\x00"
FORMAT: Final = "stimmwerk-initiative-signatures/1"
SALT_HEX: Final = 32
"""A salt is 16 random bytes, written as 32 hexadecimal characters."""
LEAF_HEX: Final = 64
RECIPE: Final = (
    'SHA-256("stimmwerk/initiative-signature/v1" 0x00 | initiative id (16 bytes) | '
    "membership number (UTF-8) | 0x00 | salt (16 bytes))"
)
"""How a leaf is made, in words a signer can follow with any SHA-256 tool."""


def leaf(initiative_id: uuid.UUID, membership_number: str, salt_hex: str) -> bytes:
    """The 32 bytes a signer's entry is published as."""
    data = (
        _DOMAIN
        + initiative_id.bytes
        + membership_number.strip().encode()
        + b"\x00"
        + bytes.fromhex(salt_hex)
    )
    return hashlib.sha256(data).digest()


def receipt_leaf(initiative_id: uuid.UUID, membership_number: str, salt_hex: str) -> bytes:
    """The leaf a receipt stands for; ValueError for a malformed number or salt."""
    salt = salt_hex.strip().lower()
    if len(salt) != SALT_HEX or not membership_number.strip():
        raise ValueError("a receipt has a membership number and a 32-character salt")
    return leaf(initiative_id, membership_number, salt)


def parse_leaf(text: str) -> bytes:
    """A leaf typed or pasted as 64 hexadecimal characters; ValueError otherwise."""
    value = text.strip().lower()
    if len(value) != LEAF_HEX:
        raise ValueError("a leaf is 64 hexadecimal characters")
    return bytes.fromhex(value)


def initiative_of(document: Mapping[str, Any]) -> uuid.UUID:
    """The initiative a published list is of; ValueError if it names none."""
    try:
        return uuid.UUID(str(document["initiative"]))
    except (KeyError, TypeError) as error:
        raise ValueError("the list names no initiative") from error


def published(
    initiative_id: uuid.UUID, leaves: Iterable[bytes], count: int, *, root: str | None = None
) -> dict[str, Any]:
    """The list as published: ``root`` is the one fixed at the deadline (computed from
    the leaves if not given)."""
    ordered = sorted(leaves)
    if root is None:
        root = MerkleTree(leaf_hash(item) for item in ordered).root().hex()
    return {
        "format": FORMAT,
        "initiative": str(initiative_id),
        "count": count,
        "root": root,
        "leaves": [item.hex() for item in ordered],
    }


def _parts(document: Mapping[str, Any]) -> tuple[list[bytes], bytes, int]:
    """Leaves, root and count of a list in exactly the published shape, refusing
    anything else (a count of 7.9 or "7" or true, leaves given as an object); TypeError
    or ValueError otherwise."""
    leaves, count = document["leaves"], document["count"]
    if not isinstance(leaves, list) or not all(isinstance(item, str) for item in leaves):
        raise TypeError("leaves must be a list of hexadecimal strings")
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("the count must be a whole number")
    return [bytes.fromhex(item) for item in leaves], bytes.fromhex(str(document["root"])), count


def check_published(document: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """Each check of a published signature list, named, with its outcome."""
    try:
        leaves, root, count = _parts(document)
    except (KeyError, TypeError, ValueError):
        return [(N_("the file is a published signature list"), False)]
    well_formed = all(len(item) == 32 for item in leaves)  # noqa: PLR2004
    sorted_unique = leaves == sorted(set(leaves))
    recomputed = MerkleTree(leaf_hash(item) for item in leaves).root()
    return [
        (N_("the list is in the published format"), document.get("format") == FORMAT),
        (N_("every leaf is 32 bytes"), well_formed),
        (N_("leaves are sorted and distinct (one per signer)"), sorted_unique),
        (N_("the root matches the leaves"), recomputed == root),
        (N_("the count equals the number of leaves"), count == len(leaves)),
    ]


def includes(document: Mapping[str, Any], item: bytes) -> bool:
    """Whether ``item`` is in the published list, proven against its root (a withdrawn
    signature is not in the list, so its receipt is not found)."""
    try:
        leaves = [bytes.fromhex(str(value)) for value in document["leaves"]]
    except (KeyError, TypeError, ValueError):
        return False
    if item not in leaves:
        return False
    built = MerkleTree(leaf_hash(value) for value in leaves)
    proof = built.inclusion_proof(leaves.index(item))
    return verify_inclusion(proof, leaf_hash(item), bytes.fromhex(str(document["root"])))
