"""A trustee's key file: the secrets a trustee keeps, sealed with a passphrase.

What it protects, against whom: the trustee's X25519 sealing key (which opens the key
shares dealt to them), their own dealing polynomial (needed only while the ceremony
runs) and their election key share ``x_j``. The server never sees any of these; a
stolen file (laptop, backup) is useless without the passphrase.

How: libsodium ``crypto_secretbox`` (XSalsa20-Poly1305) under a key derived from the
passphrase with Argon2id (``crypto_pwhash``, PyNaCl ``nacl.pwhash.argon2id``) and a
random 16-byte salt stored beside the box. The default cost is libsodium's MODERATE
(3 passes, 256 MiB, about a second); tests pass `CHEAP_LIMITS`. The election id and the
trustee index are stored in clear (to find the right file) and again inside the box,
and must match on opening, so a file cannot be passed off as another trustee's.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from crypto.group import Scalar
from crypto.signing import Ed25519SecretKey

FORMAT: Final = "stimmwerk-trustee-key"
VERSION: Final = 1


class KeyFileError(ValueError):
    """Wrong passphrase, damaged file, or a file of another election or trustee."""


@dataclass(frozen=True, slots=True)
class KdfLimits:
    opslimit: int
    memlimit: int


MODERATE_LIMITS: Final = KdfLimits(
    nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE
)
INTERACTIVE_LIMITS: Final = KdfLimits(
    nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
)
CHEAP_LIMITS: Final = KdfLimits(
    nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN
)
"""For tests only."""


@dataclass(frozen=True, slots=True)
class TrusteeSecrets:
    """Everything secret a trustee holds for one election. Never printed."""

    election_id: str
    trustee: int
    sealing_key: bytes = field(repr=False)
    """X25519 private key that opens the shares dealt to this trustee."""
    coefficients: tuple[Scalar, ...] = field(default=(), repr=False)
    """a_j0 .. a_j,t-1 of this trustee's own dealing (kept until the ceremony ends)."""
    share: Scalar | None = field(default=None, repr=False)
    """x_j, this trustee's share of the election key."""

    @property
    def signing_key(self) -> Ed25519SecretKey:
        """The trustee's Ed25519 key for the postal line (record §2.1), derived from the
        sealing key, so every key file and browser backup that holds one restores both."""
        return Ed25519SecretKey(signing_seed(self.sealing_key))

    def with_dealing(self, coefficients: tuple[Scalar, ...]) -> TrusteeSecrets:
        return replace(self, coefficients=coefficients)

    def with_share(self, share: Scalar) -> TrusteeSecrets:
        return replace(self, share=share)


SIGNING_SEED_LABEL: Final = b"stimmwerk/trustee-signing-key/v3"


def signing_seed(sealing_key: bytes) -> bytes:
    """``SHA-256("stimmwerk/trustee-signing-key/v3" || 0x00 || sealing secret key)``.

    One-way, so the public signing key reveals nothing of the sealing key; the browser
    (``trustee.js`` ``signingKeyPair``) derives the same seed.
    """
    return hashlib.sha256(SIGNING_SEED_LABEL + b"\x00" + sealing_key).digest()


def new_secrets(election_id: str, trustee: int) -> TrusteeSecrets:
    return TrusteeSecrets(election_id, trustee, secrets.token_bytes(32))


def _plaintext(value: TrusteeSecrets) -> bytes:
    return json.dumps(
        {
            "election_id": value.election_id,
            "trustee": value.trustee,
            "sealing_key": value.sealing_key.hex(),
            "coefficients": [c.encoded.hex() for c in value.coefficients],
            "share": None if value.share is None else value.share.encoded.hex(),
        },
        sort_keys=True,
    ).encode()


def _derive(passphrase: str, salt: bytes, limits: KdfLimits) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode(),
        salt,
        opslimit=limits.opslimit,
        memlimit=limits.memlimit,
    )


def write_key_file(
    path: Path, value: TrusteeSecrets, passphrase: str, limits: KdfLimits = MODERATE_LIMITS
) -> None:
    """Seal ``value`` into ``path`` (mode 0600, replaced atomically)."""
    if len(passphrase) < 12:  # noqa: PLR2004
        raise KeyFileError("the passphrase must have at least 12 characters")
    salt = secrets.token_bytes(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_derive(passphrase, salt, limits)).encrypt(_plaintext(value))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "election_id": value.election_id,
        "trustee": value.trustee,
        "kdf": {
            "algorithm": "argon2id13",
            "opslimit": limits.opslimit,
            "memlimit": limits.memlimit,
            "salt": salt.hex(),
        },
        "box": bytes(box).hex(),
    }
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    temporary.replace(path)


def read_key_file(path: Path, passphrase: str) -> TrusteeSecrets:
    """Open a key file; raises `KeyFileError` for a wrong passphrase or a damaged file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document["format"] != FORMAT or document["version"] != VERSION:
            raise KeyFileError("not a Stimmwerk trustee key file")
        kdf = document["kdf"]
        limits = KdfLimits(int(kdf["opslimit"]), int(kdf["memlimit"]))
        key = _derive(passphrase, bytes.fromhex(kdf["salt"]), limits)
        inner = json.loads(nacl.secret.SecretBox(key).decrypt(bytes.fromhex(document["box"])))
        value = _from_plaintext(inner)
    except nacl.exceptions.CryptoError as error:
        raise KeyFileError("wrong passphrase, or the key file was altered") from error
    except (OSError, KeyError, TypeError, ValueError) as error:
        if isinstance(error, KeyFileError):
            raise
        raise KeyFileError(f"unreadable key file: {error}") from error
    if (value.election_id, value.trustee) != (document["election_id"], document["trustee"]):
        raise KeyFileError("the key file's label does not match its sealed content")
    return value


def _from_plaintext(inner: dict[str, Any]) -> TrusteeSecrets:
    share = inner["share"]
    return TrusteeSecrets(
        election_id=str(inner["election_id"]),
        trustee=int(inner["trustee"]),
        sealing_key=bytes.fromhex(inner["sealing_key"]),
        coefficients=tuple(Scalar.decode(bytes.fromhex(c)) for c in inner["coefficients"]),
        share=None if share is None else Scalar.decode(bytes.fromhex(share)),
    )
