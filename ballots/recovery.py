"""Credential recovery: one credential, re-derivable on a second device from a short code.

What it protects, against whom: a member who lost the browser that holds their
credential (another device, a private window, cleared data) can still vote exactly
once, *without* the server learning which credential is theirs. The client derives the
credential key and every random value of the RFC 9474 request (``msg_prefix``, the
EMSA-PSS salt and the blind ``r``) from a secret it made itself, the recovery code. The
same code yields, on any device, the byte-identical blinded request; the server answers
it with the blind signature it stored for that request (it keeps the request's hash and
the signature for retries), so it sees nothing it has not seen before, and a different
request for the same roll entry is still refused. Blindness rests on the code staying
secret: 120 bits, drawn from the CSPRNG, expanded with HKDF (RFC 5869), so ``r`` is as
unpredictable to the issuer as a fresh random one.

Spec (the browser's ``frontend/src/crypto/recovery.js`` is byte-identical):

- code: 15 random bytes, RFC 4648 base32 without padding, six groups of four letters;
- ``derive(purpose, length) = HKDF-SHA256(ikm=code, salt="stimmwerk/credential-recovery/v1",
  info=utf8(election_id) || 0x00 || utf8(purpose), length)``;
- ``seed`` (32 bytes) is the Ed25519 credential key; ``prefix`` (32) the msg_prefix;
  ``salt`` (48) the EMSA-PSS salt; ``blind`` (modulus_len + 32 bytes, big-endian)
  reduced mod n is ``r`` (the 256 extra bits make the bias negligible).
"""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ballots import ballot_format as fmt
from ballots.client import CredentialRequest
from crypto import blind_rsa
from crypto.blind_rsa import BlindRsaPublicKey, PreparedMessage
from crypto.signing import Ed25519SecretKey

RECOVERY_SALT = b"stimmwerk/credential-recovery/v1"
CODE_BYTES = 15
_CODE_CHARS = 24
_SEED_SIZE = 32
_EXTRA_BYTES = 32


class RecoveryCodeInvalid(ValueError):
    """The text is not a recovery code (wrong length or characters)."""


def format_code(code: bytes) -> str:
    """``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`` (base32, upper case)."""
    if len(code) != CODE_BYTES:
        raise RecoveryCodeInvalid
    text = base64.b32encode(code).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_code(text: str) -> bytes:
    """The code's bytes; case, spaces and dashes do not matter; 0/1/8 read as O/I/B."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("018", "OIB"))
    if len(cleaned) != _CODE_CHARS or not re.fullmatch(r"[A-Z2-7]+", cleaned):
        raise RecoveryCodeInvalid
    return base64.b32decode(cleaned)


def derive_bytes(code: bytes, election_id: str, purpose: str, length: int) -> bytes:
    info = election_id.encode() + b"\x00" + purpose.encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=RECOVERY_SALT, info=info).derive(
        code
    )


def recoverable_request(
    issuer: BlindRsaPublicKey, election_id: str, code: bytes
) -> CredentialRequest:
    """The credential request derived from ``code`` (same bytes on every device)."""
    secret_key = Ed25519SecretKey(derive_bytes(code, election_id, "seed", _SEED_SIZE))
    message = fmt.credential_message(election_id, secret_key.public_key.hex())
    prefix = derive_bytes(code, election_id, "prefix", blind_rsa.PREFIX_LEN)
    prepared = PreparedMessage(issuer.variant, prefix, message)
    salt = derive_bytes(code, election_id, "salt", issuer.variant.salt_len)
    wide = derive_bytes(code, election_id, "blind", issuer.modulus_len + _EXTRA_BYTES)
    r = int.from_bytes(wide, "big") % issuer.n
    if r == 0:
        raise blind_rsa.BlindingError("derived blind is zero")
    # The RFC's Blind with given salt and r: here they come from the member's secret
    # through HKDF, not from a caller, which is what RFC 9474 §7.4 guards against.
    state = blind_rsa._blind(issuer, prepared, salt, r)  # noqa: SLF001
    return CredentialRequest(election_id, secret_key, state)
