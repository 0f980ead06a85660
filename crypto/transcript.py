"""The one byte encoding hashed for Fiat–Shamir challenges and domain-separated hashes.

Protects against: ambiguity attacks on hashed statements (two different statements
that serialise to the same bytes, as in ElectionGuard issues #218/#539), and
cross-protocol reuse of a proof (a challenge computed for one proof type or election
being accepted for another). Every hash input in ``crypto`` goes through `encode`.

Encoding, precisely (so that a JavaScript client reproduces it byte for byte)::

    encode(label, f_1, ..., f_k) = u32(len(label)) || label
                                   || u32(len(f_1)) || f_1 || ... || u32(len(f_k)) || f_k

where ``u32(n)`` is ``n`` as 4 bytes unsigned big-endian and ``||`` is concatenation.
The label is an ASCII string from the registry below (one per purpose, never reused).
Each field is a byte string, made from a typed value as follows:

- a group element (point): its 32-byte canonical ristretto255 encoding (RFC 9496 §4.3.2;
  the identity is 32 zero bytes);
- a scalar: 32 bytes, little-endian, canonical (``< ℓ``);
- a small non-negative integer (a bound, a count, a trustee index): `u32` (4 bytes,
  big-endian);
- caller-supplied bytes (the context: election hash, ballot context): the bytes as-is.

Each field carries its own length; a list of fields does not: its items are consecutive
fields, and every list's length is fixed by an earlier field (``u32(t)`` before the
dealer's commitments, ``u32(n)`` before the range proof's ciphertexts) or by the proof
type, so field positions never depend on guessing. A challenge is derived as
``c = int.from_bytes(SHA-512(encode(label, ...)), "little") mod ℓ`` (see
`crypto.group.hash_to_scalar`); the 512-bit reduction makes the bias below 2^-259.

In JavaScript (``@noble/hashes`` and ``BigInt``)::

    const u32 = (n) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n); // big-endian by default
      return b;
    };
    const encode = (label, ...fields) =>
      concatBytes(...[label, ...fields].flatMap((f) => [u32(f.length), f]));
    const challenge = (label, ...fields) =>
      mod(bytesToNumberLE(sha512(encode(label, ...fields))), L);
"""

from __future__ import annotations

from typing import Final

MAX_FIELD_LENGTH: Final = 2**32 - 1
"""Largest field (and largest integer) `u32` can express."""

# The label registry. One label per purpose; a new proof type or a changed field list
# gets a new label (bump the version), never a reused one. Labels are ASCII.
SCHNORR: Final = b"stimmwerk/v1/proof/schnorr"
"""Schnorr proof of knowledge of a discrete log (`crypto.proofs.prove_dlog`)."""
CHAUM_PEDERSEN: Final = b"stimmwerk/v1/proof/chaum-pedersen"
"""Chaum–Pedersen proof of equal discrete logs (`crypto.proofs.prove_equal_dlogs`)."""
ZERO_ONE: Final = b"stimmwerk/v1/proof/zero-one"
"""Disjunctive proof that a ciphertext encrypts 0 or 1 (`crypto.proofs.prove_zero_one`)."""
RANGE: Final = b"stimmwerk/v1/proof/range"
"""Disjunctive proof that a ballot's aggregate lies in [min, max] (`crypto.proofs.prove_range`)."""
DKG_COMMITMENT: Final = b"stimmwerk/v1/threshold/commitment"
"""Context of a dealer's proof of knowledge of its constant coefficient."""
DKG_SHARE: Final = b"stimmwerk/v1/threshold/share"
"""Plaintext framing of a secret share inside a sealed box."""
PARTIAL_DECRYPTION: Final = b"stimmwerk/v1/threshold/partial-decryption"
"""Context of the Chaum–Pedersen proof on a trustee's partial decryption."""

ALL_LABELS: Final = (
    SCHNORR,
    CHAUM_PEDERSEN,
    ZERO_ONE,
    RANGE,
    DKG_COMMITMENT,
    DKG_SHARE,
    PARTIAL_DECRYPTION,
)


def u32(value: int) -> bytes:
    """Encode a non-negative integer below 2^32 as 4 bytes big-endian.

    Raises:
        ValueError: if the value does not fit (a silent wrap would make two statements
            hash alike).
    """
    if not 0 <= value <= MAX_FIELD_LENGTH:
        raise ValueError(f"{value} does not fit in an unsigned 32-bit field")
    return value.to_bytes(4, "big")


def encode(label: bytes, *fields: bytes) -> bytes:
    """Return ``u32(len(label)) || label || (u32(len(f)) || f for each field f)``.

    Raises:
        ValueError: if the label or a field is longer than 2^32 - 1 bytes.
    """
    out = bytearray()
    for field in (label, *fields):
        out += u32(len(field))
        out += field
    return bytes(out)
