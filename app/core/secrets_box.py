"""Encryption of sensitive fields at rest (bank details, TOTP seeds).

AES-256-GCM with a key derived per purpose from ``STIMMWERK_SECRET_KEY`` by HKDF-SHA256,
so one field's key never decrypts another's. The purpose is also bound as associated
data. Stored form: ``v1.<base64url(nonce || ciphertext)>``; the version prefix leaves
room for key rotation.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class DecryptionError(ValueError):
    """The stored value was altered or was encrypted under another key."""


def _field_key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"stimmwerk/field-encryption",
        info=f"{_VERSION}/{purpose}".encode(),
    )
    return hkdf.derive(secret_key.encode())


def encrypt_field(secret_key: str, purpose: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_field_key(secret_key, purpose)).encrypt(
        nonce, plaintext.encode(), purpose.encode()
    )
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_field(secret_key: str, purpose: str, stored: str) -> str:
    version, _, payload = stored.partition(".")
    if version != _VERSION:
        raise DecryptionError("unknown field encryption version")
    try:
        raw = base64.urlsafe_b64decode(payload)
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        plaintext = AESGCM(_field_key(secret_key, purpose)).decrypt(nonce, sealed, purpose.encode())
    except Exception as error:
        raise DecryptionError("field could not be decrypted") from error
    return plaintext.decode()
