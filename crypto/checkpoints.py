"""Signed checkpoints (tree heads) for the bulletin board: C2SP tlog-checkpoint + signed-note.

What it protects: a checkpoint is the board's signed statement "the log named
``origin`` has ``tree_size`` entries with Merkle root ``root_hash``". Voters keep one
with their receipt; auditors and witnesses compare checkpoints with consistency proofs.
A board operator who shows different histories to different people (split view) or
rewrites history must sign two inconsistent checkpoints, which is evidence anyone can
check. The signature (Ed25519) stops everyone without the log key from forging one.

Formats (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note, both v1):

* checkpoint body (the note text)::

      <origin>\\n<tree size, ASCII decimal, no leading zeros>\\n<base64(root hash)>\\n

* signed note: ``body || "\\n" || signature lines``, each line
  ``"— " <key name> " " base64(key ID (4 bytes) || Ed25519 signature (64 bytes)) "\\n"``
  where the em dash is U+2014 and the signature covers exactly the body bytes;
* key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4];
* verifier key string (Go ``sumdb/note``): ``<name>+<key ID hex>+base64(0x01 || pk)``.

This interoperates with Go's ``golang.org/x/mod/sumdb/note`` and C2SP witnesses
(tests reproduce its published signature byte for byte and verify a real
sum.golang.org checkpoint). Extension lines are rejected: we never write them, and
C2SP says they are not auditable. Verifiers return ``bool``/``None`` and never raise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crypto.merkle import (
    HASH_SIZE,
    MAX_TREE_SIZE,
    ConsistencyProof,
    InclusionProof,
    verify_consistency,
    verify_inclusion,
)
from crypto.signing import (
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    Ed25519PublicKey,
    Ed25519SecretKey,
    sign_message,
    verify_message,
)

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "Checkpoint",
    "CheckpointError",
    "NoteSigner",
    "NoteVerifier",
    "checkpoint_key_id",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_checkpoint_consistency",
    "verify_checkpoint_inclusion",
]

if TYPE_CHECKING:
    from collections.abc import Sequence

_log = logging.getLogger(__name__)

ED25519_SIGNATURE_TYPE = 0x01  # signed-note "Signature types"
EM_DASH = "\u2014"
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 100  # signed-note: verifiers MUST accept at least 16
KEY_ID_SIZE = 4

# Key names: non-empty, no Unicode whitespace, no '+', no control characters.
_KEY_NAME_RE = re.compile(r"[^\s+\x00-\x1f\x7f]+")
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f]")  # all C0 controls except \n


class CheckpointError(ValueError):
    """Malformed checkpoint, note or key (raised by constructors and parsers only)."""


def checkpoint_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_key_name(name)
    data = name.encode() + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + public_key.raw
    return hashlib.sha256(data).digest()[:KEY_ID_SIZE]


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or _KEY_NAME_RE.fullmatch(name) is None:
        raise CheckpointError("key name must be non-empty, without spaces, '+' or controls")


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted log (or witness) key: name + Ed25519 public key."""

    name: str
    public_key: Ed25519PublicKey
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", checkpoint_key_id(self.name, self.public_key))

    def to_vkey(self) -> str:
        """Go ``sumdb/note`` verifier key: ``name+<key ID hex>+base64(0x01 || pk)``."""
        blob = bytes([ED25519_SIGNATURE_TYPE]) + self.public_key.raw
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(blob).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string, checking its embedded key ID."""
        name, sep1, rest = vkey.partition("+")
        key_id_hex, sep2, blob_b64 = rest.partition("+")
        if not (sep1 and sep2) or re.fullmatch(r"[0-9a-f]{8}", key_id_hex) is None:
            raise CheckpointError("verifier key must be name+<8 hex>+<base64>")
        blob = _strict_b64decode(blob_b64)
        if blob is None or len(blob) != 1 + PUBLIC_KEY_SIZE or blob[0] != ED25519_SIGNATURE_TYPE:
            raise CheckpointError("verifier key is not an Ed25519 note key")
        verifier = cls(name, Ed25519PublicKey(blob[1:]))
        if verifier.key_id.hex() != key_id_hex:
            raise CheckpointError("verifier key ID does not match name and key")
        return verifier


@dataclass(frozen=True)
class NoteSigner:
    """The log's signing key under its key name (which SHOULD equal the origin)."""

    name: str
    secret_key: Ed25519SecretKey = field(repr=False)

    def __post_init__(self) -> None:
        _check_key_name(self.name)

    @property
    def verifier(self) -> NoteVerifier:
        """The matching public verifier."""
        return NoteVerifier(self.name, self.secret_key.public_key)


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin (the election's log name), tree size and RFC 9162 root hash."""

    origin: str
    tree_size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise CheckpointError("origin must be a non-empty single line")
        if _CONTROL_RE.search(self.origin) or self.origin != self.origin.strip():
            raise CheckpointError("origin must not contain controls or edge whitespace")
        if type(self.tree_size) is not int or not 0 <= self.tree_size <= MAX_TREE_SIZE:
            raise CheckpointError("tree size must be an integer in 0..2**64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("root hash must be 32 bytes")

    def body(self) -> bytes:
        """The note text that is signed: ``origin\\nsize\\nbase64(root)\\n`` in UTF-8."""
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n".encode()

    @classmethod
    def from_body(cls, text: bytes) -> Checkpoint:
        """Parse a note text into a checkpoint (exactly three lines, canonical fields)."""
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("checkpoint is not UTF-8") from exc
        lines = decoded.split("\n")
        if len(lines) != 4 or lines[3] != "":  # noqa: PLR2004  # 3 lines + final newline
            raise CheckpointError("checkpoint must be exactly three newline-terminated lines")
        origin, size_text, root_b64 = lines[:3]
        if _SIZE_RE.fullmatch(size_text) is None:
            raise CheckpointError("tree size must be decimal without leading zeros")
        root = _strict_b64decode(root_b64)
        if root is None:
            raise CheckpointError("root hash is not canonical base64")
        return cls(origin, int(size_text), root)


def _strict_b64decode(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 §4) with padding, rejecting non-canonical forms."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def sign_note(text: bytes, signer: NoteSigner) -> bytes:
    """signed-note: ``text || "\\n" || "— name base64(key ID || sig)\\n"``."""
    _check_note_text(text)
    sig = sign_message(signer.secret_key, text)
    blob = base64.b64encode(signer.verifier.key_id + sig).decode()
    return text + f"\n{EM_DASH} {signer.name} {blob}\n".encode()


def _check_note_text(text: bytes) -> None:
    try:
        decoded = text.decode("utf-8")
    except (UnicodeDecodeError, AttributeError) as exc:
        raise CheckpointError("note text must be UTF-8 bytes") from exc
    if not decoded.endswith("\n") or _CONTROL_RE.search(decoded):
        raise CheckpointError("note text must end in a newline and have no controls")


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> bytes:
    """The signed checkpoint note, ready to publish."""
    return sign_note(checkpoint.body(), signer)


@dataclass(frozen=True)
class _SignatureLine:
    name: str
    key_id: bytes
    signature: bytes


def _decode_note(note: bytes) -> str | None:
    """signed-note well-formedness: bounded UTF-8, no controls but \\n, final newline."""
    if not isinstance(note, bytes) or len(note) > MAX_NOTE_BYTES:
        return None
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL_RE.search(decoded) or not decoded.endswith("\n"):
        return None
    return decoded


def _split_note(note: bytes) -> tuple[bytes, list[_SignatureLine]] | None:
    """Parse a signed note into (text, signature lines), or None if malformed."""
    decoded = _decode_note(note)
    split = -1 if decoded is None else decoded.rfind("\n\n")  # text ends at last empty line
    if decoded is None or split < 0:
        return None
    lines = decoded[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        return None
    parsed = [_parse_signature_line(line) for line in lines]
    signatures = [sig for sig in parsed if sig is not None]
    if len(signatures) != len(parsed):
        return None
    return decoded[: split + 1].encode(), signatures


def _parse_signature_line(line: str) -> _SignatureLine | None:
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        return None
    name, sep, blob_b64 = line[len(prefix) :].partition(" ")
    if not sep or _KEY_NAME_RE.fullmatch(name) is None:
        return None
    blob = _strict_b64decode(blob_b64)
    if blob is None or len(blob) <= KEY_ID_SIZE:
        return None
    return _SignatureLine(name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:])


def open_note(note: bytes, verifiers: Sequence[NoteVerifier]) -> bytes | None:
    """Verify a signed note; return its text, or None.

    signed-note rules: signatures from unknown keys (name and key ID not both
    matching a verifier) are ignored; a known key whose signature fails rejects the
    whole note; at least one known key must have signed. Never raises.
    """
    split = _split_note(note)
    if split is None:
        _log.debug("signed note is malformed")
        return None
    text, lines = split
    verified = 0
    for line in lines:
        for verifier in verifiers:
            if verifier.name != line.name or not hmac.compare_digest(verifier.key_id, line.key_id):
                continue
            if len(line.signature) != SIGNATURE_SIZE or not verify_message(
                verifier.public_key, text, line.signature
            ):
                _log.debug("signed note: signature by %s does not verify", line.name)
                return None
            verified += 1
    if verified == 0:
        _log.debug("signed note: no signature from a trusted key")
        return None
    return text


def open_checkpoint(
    note: bytes, verifiers: Sequence[NoteVerifier], *, expected_origin: str
) -> Checkpoint | None:
    """Verify a signed checkpoint for the log ``expected_origin``; None if invalid.

    Checking the origin matters: the same key may sign several logs (one per
    election), and a checkpoint of one must not pass for another.
    """
    text = open_note(note, verifiers)
    if text is None:
        return None
    try:
        checkpoint = Checkpoint.from_body(text)
    except CheckpointError as exc:
        _log.debug("checkpoint body malformed: %s", exc)
        return None
    if checkpoint.origin != expected_origin:
        _log.debug("checkpoint origin %r is not %r", checkpoint.origin, expected_origin)
        return None
    return checkpoint


def verify_checkpoint(note: bytes, verifier: NoteVerifier, *, expected_origin: str) -> bool:
    """True iff ``note`` is a checkpoint for ``expected_origin`` signed by ``verifier``."""
    return open_checkpoint(note, [verifier], expected_origin=expected_origin) is not None


def verify_checkpoint_consistency(
    old: Checkpoint, new: Checkpoint, proof: ConsistencyProof
) -> bool:
    """Is ``new`` an append-only extension of ``old`` (same origin, RFC 9162 §2.1.4.2)?"""
    if not (isinstance(old, Checkpoint) and isinstance(new, Checkpoint)):
        return False
    if not isinstance(proof, ConsistencyProof) or old.origin != new.origin:
        _log.debug("consistency: different logs or no proof")
        return False
    if (proof.first_size, proof.second_size) != (old.tree_size, new.tree_size):
        _log.debug("consistency: proof sizes do not match the checkpoints")
        return False
    return verify_consistency(proof, old.root_hash, new.root_hash)


def verify_checkpoint_inclusion(checkpoint: Checkpoint, proof: InclusionProof, leaf: bytes) -> bool:
    """Is the leaf hash ``leaf`` in the tree the checkpoint commits to?"""
    if not isinstance(checkpoint, Checkpoint) or not isinstance(proof, InclusionProof):
        return False
    if proof.tree_size != checkpoint.tree_size:
        _log.debug("inclusion: proof tree size differs from the checkpoint")
        return False
    return verify_inclusion(proof, leaf, checkpoint.root_hash)
