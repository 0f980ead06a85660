"""A software WebAuthn authenticator for tests: real P-256 keys, real CBOR, real signatures.

It answers ``navigator.credentials.create``/``get`` options the way a platform
authenticator does (attestation "none"), so the server's checks run on genuine
structures through the ``webauthn`` library, with nothing stubbed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _UV, _AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    sign_count: int = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {
            "type": kind,
            "challenge": challenge,
            "origin": origin or self.origin,
            "crossOrigin": False,
        }
        return json.dumps(data).encode()

    def register(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The response of ``navigator.credentials.create`` as the browser's JSON."""
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
        auth_data = rp_hash + bytes([_UP | _UV | _AT]) + self.sign_count.to_bytes(4, "big")
        attestation = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": auth_data + attested + self._cose_key()}
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def sign(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The response of ``navigator.credentials.get``: a signature over the challenge."""
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        self.sign_count += 1
        rp_hash = hashlib.sha256(options["rpId"].encode()).digest()
        auth_data = rp_hash + bytes([_UP | _UV]) + self.sign_count.to_bytes(4, "big")
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }


def options_on(page_text: str) -> dict[str, Any]:
    """The passkey options a page carries in ``<script id="passkey-options">``."""
    import html
    import re

    match = re.search(
        r'<script type="application/json" id="passkey-options">(.*?)</script>', page_text, re.DOTALL
    )
    assert match, "no passkey options on the page"
    return json.loads(html.unescape(match.group(1)))


def post_from_page(client: Any, page_text: str, action: str, data: dict[str, str]) -> Any:
    """Post a form with the CSRF token of the page already shown.

    Fetching the page again would issue a new challenge, as a reload in the browser does.
    """
    import re

    match = re.search(r'name="_csrf_token" value="([^"]+)"', page_text)
    assert match, "no CSRF token on the page"
    return client.post(action, data={**data, "_csrf_token": match.group(1)}, follow_redirects=False)
