"""Every byte-level vector printed in the docs is reproduced by the code.

The docs print their vectors in fenced blocks with the info string ``vectors``, one
``name = value`` per line. This test parses every such block of ``docs/**/*.md``,
recomputes each named value with the code (``crypto/``, ``ballots.record``) and
compares. It also scans the rest of the docs: every hex string of 32 or more
characters, and every abbreviated hash like ``773885a6…5701``, must be one of the
vectors (so a value printed in prose is checked too, and a vector nobody computes fails
as "unknown"). An independent verifier's author can rely on each printed value.
"""

# The table of vectors is lazy on purpose (each entry computes when its test runs):
# ruff: noqa: PLW0108

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ballots import recovery
from ballots.keyfile import signing_seed
from ballots.record import (
    POSTAL_LINE_LABEL,
    StatementInput,
    ceremony_context,
    commission_member_tag,
    election_fingerprint,
    postal_line_payload,
    statement_document,
    statement_hash,
)
from crypto import transcript
from crypto.canonical import domain_hash
from crypto.checkpoints import Checkpoint, NoteSigner, sign_checkpoint
from crypto.elgamal import Nonce, PublicKey, encrypt
from crypto.group import GENERATOR, Scalar, base_mul, hash_to_point, hash_to_scalar
from crypto.merkle import inclusion_proof, leaf_hash, root_from_leaf_hashes
from crypto.signing import Ed25519SecretKey, sign

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"^```vectors\n(.*?)^```", re.DOTALL | re.MULTILINE)
_LONG_HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{32,}(?![0-9a-fA-F])")
_SHORT_HASH = re.compile(r"(?<![0-9a-f])([0-9a-f]{8})…([0-9a-f]{4})(?![0-9a-f])")
_ZEROS = re.compile(r"^0+$")


def _k() -> PublicKey:
    return PublicKey(base_mul(Scalar.from_int(0x5EED)))


def _ciphertext(m: int) -> tuple[str, str]:
    ct = encrypt(_k(), m, Nonce(Scalar.from_int(0xABCDEF)))
    return ct.alpha.encoded.hex(), ct.beta.encoded.hex()


def _leaves() -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(5)]


_SEED = bytes.fromhex("d878e5753109b2809e439d11f870e12cfd4fb39cc3ed5c73880d2b33ff5298ba")
_ORIGIN = "stimmwerk.example/election/demo"


def _note() -> str:
    signer = NoteSigner(_ORIGIN, Ed25519SecretKey(_SEED))
    checkpoint = Checkpoint(_ORIGIN, 5, root_from_leaf_hashes(_leaves()))
    return sign_checkpoint(checkpoint, signer).decode()


def _fingerprint() -> bytes:
    return election_fingerprint("11" * 32, "RSABSSA-SHA384-PSS-Randomized", "3082", "22" * 32)


def _trustee_key(j: int) -> Ed25519SecretKey:
    """§2.1: trustee j's signing key, derived from the sealing secret ``j`` × 32 bytes."""
    return Ed25519SecretKey(signing_seed(bytes([j]) * 32))


def _signing_keys() -> list[str]:
    return [_trustee_key(j).public_key.hex() for j in (1, 2, 3)]


def _postal_signature(j: int, step: str) -> str:
    payload = postal_line_payload(_fingerprint().hex(), step, 1, [((1, 0, 0), 0)])
    return sign(_trustee_key(j), POSTAL_LINE_LABEL, payload).hex()


def _statement(*, signed: bool = True) -> str:
    confirmations: tuple[tuple[str, str], ...] | tuple[tuple[str, int, str], ...] = (
        ("entered", "66" * 32),
        ("confirmed", "77" * 32),
    )
    if signed:
        confirmations = (
            ("entered", 1, _postal_signature(1, "entered")),
            ("confirmed", 2, _postal_signature(2, "confirmed")),
        )
    document = statement_document(
        StatementInput(
            fingerprint_hex=_fingerprint().hex(),
            roll_commitment_hex="33" * 32,
            eligible=10,
            postal=1,
            issuance_root_hex="44" * 32,
            issued=7,
            board_size=7,
            board_root_hex="55" * 32,
            envelopes=1,
            postal_questions=(((1, 0, 0), 0),),
            confirmations=confirmations,
            joint_public_key_hex=GENERATOR.encoded.hex() if signed else None,
        )
    )
    return statement_hash(document).hex()


ZERO = "00000000-0000-4000-8000-000000000000"
RECOVERY_ELECTION = "0b7c3a52-9f1e-4d2a-8c6b-5e4f3a2b1c0d"


def _recovery_code() -> bytes:
    return recovery.parse_code("ABCD-EFGH-IJKL-MNOP-QRST-UVWX")


def _recovered(purpose: str, length: int) -> bytes:
    return recovery.derive_bytes(_recovery_code(), RECOVERY_ELECTION, purpose, length)


COMPUTE: dict[str, Callable[[], str]] = {
    # docs/crypto/primitives.md
    "group.generator": lambda: GENERATOR.encoded.hex(),
    "transcript.encode_example": lambda: transcript.encode(
        b"L", b"", b"\x01\x02", transcript.u32(258)
    ).hex(),
    "elgamal.public_key": lambda: _k().encoded.hex(),
    "elgamal.alpha": lambda: _ciphertext(1)[0],
    "elgamal.beta": lambda: _ciphertext(1)[1],
    "elgamal.beta_m0": lambda: _ciphertext(0)[1],
    "group.hash_to_scalar": lambda: hash_to_scalar(b"stimmwerk/test", b"abc").encoded.hex(),
    "group.hash_to_point": lambda: hash_to_point(b"stimmwerk/test", b"abc").encoded.hex(),
    # docs/crypto/credentials-and-board.md
    "canonical.domain_hash_example": lambda: domain_hash(
        "stimmwerk/example/v1", {"b": [1, "x"], "a": None}
    ).hex(),
    **{f"merkle.leaf{i}": (lambda i=i: _leaves()[i].hex()) for i in range(5)},  # type: ignore[misc]
    "merkle.root": lambda: root_from_leaf_hashes(_leaves()).hex(),
    "merkle.inclusion_2_5": lambda: ",".join(h.hex() for h in inclusion_proof(_leaves(), 2).path),
    "checkpoint.seed": lambda: _SEED.hex(),
    "checkpoint.public_key": lambda: Ed25519SecretKey(_SEED).public_key.hex(),
    "checkpoint.verifier_key": lambda: NoteSigner(
        _ORIGIN, Ed25519SecretKey(_SEED)
    ).verifier.to_vkey(),
    "checkpoint.signature_line": lambda: _note().rstrip("\n").rsplit("\n", 1)[1],
    # docs/browser-client.md (recovery code ABCD-EFGH-IJKL-MNOP-QRST-UVWX)
    "recovery.code_bytes": lambda: _recovery_code().hex(),
    "recovery.seed": lambda: _recovered("seed", 32).hex(),
    "recovery.public_key": lambda: Ed25519SecretKey(_recovered("seed", 32)).public_key.hex(),
    "recovery.prefix": lambda: _recovered("prefix", 32).hex(),
    # docs/election-record.md
    "record.fingerprint": lambda: _fingerprint().hex(),
    "record.statement": _statement,
    "record.statement_unsigned": lambda: _statement(signed=False),
    "record.trustee_signing_seed": lambda: signing_seed(bytes([1]) * 32).hex(),
    "record.trustee_signing_keys": lambda: ",".join(_signing_keys()),
    "record.ceremony_context": lambda: ceremony_context(
        _fingerprint().hex(), _signing_keys()
    ).hex(),
    "record.postal_signatures": lambda: ",".join(
        (_postal_signature(1, "entered"), _postal_signature(2, "confirmed"))
    ),
    "record.commission_member": lambda: commission_member_tag(ZERO, ZERO[:-1] + "1"),
    "record.roll_entry": lambda: domain_hash(
        "stimmwerk/roll-entry/v1", {"election": ZERO, "salt": "88" * 32, "member": "100001"}
    ).hex(),
}


def _documents() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _vectors() -> dict[str, tuple[Path, str]]:
    found: dict[str, tuple[Path, str]] = {}
    for path in _documents():
        for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if not line.strip():
                    continue
                name, _, value = line.partition(" = ")
                assert value, f"{path.name}: a vector line is 'name = value': {line!r}"
                assert name not in found, f"{name} is printed twice"
                found[name] = (path, value.strip())
    return found


VECTORS = _vectors()


def test_the_docs_print_vectors() -> None:
    assert len(VECTORS) >= len(COMPUTE) - 2, sorted(set(COMPUTE) - set(VECTORS))


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_each_printed_vector_is_reproduced_by_the_code(name: str) -> None:
    path, printed = VECTORS[name]
    assert name in COMPUTE, f"{path.name}: no code computes the vector {name}"
    assert COMPUTE[name]() == printed, f"{path.name}: {name}"


def _outside_blocks(text: str) -> str:
    return _BLOCK.sub("", text)


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_hash_printed_in_prose_is_a_checked_vector(path: Path) -> None:
    values = [value for _, value in VECTORS.values()]
    pieces = {piece for value in values for piece in value.split(",")}
    text = _outside_blocks(path.read_text(encoding="utf-8"))
    for found in _LONG_HEX.findall(text):
        if _ZEROS.match(found) or found.isdigit():  # the identity; decimal numbers (ℓ)
            continue  # the identity (64 hex zeros) and zero-filled examples
        assert found in pieces, f"{path.name}: {found} is printed but no vector checks it"
    for prefix, suffix in _SHORT_HASH.findall(text):
        assert any(p.startswith(prefix) and p.endswith(suffix) for p in pieces), (
            f"{path.name}: {prefix}…{suffix} is printed but no vector checks it"
        )
