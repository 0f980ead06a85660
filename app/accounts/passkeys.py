"""Passkeys (WebAuthn) as a second factor, through the maintained ``webauthn`` library.

The relying party is this installation: its id is the host of ``base_url`` and the
only accepted origin is ``base_url``'s scheme, host and port, so a passkey made here
answers no other site and a phishing copy of the login page gets nothing usable. Only
the public key is stored. The challenge lives in the server-side session and is used
once. Attestation is not asked for ("none"): the passkey proves possession, the
password proves the person, and no device vendor's certificate is needed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts.models import Passkey

log = logging.getLogger(__name__)

RP_NAME = "Stimmwerk"
MAX_CREDENTIAL_JSON = 20_000  # a real response is a few KB; refuse anything bigger unparsed


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(base_url: str) -> RelyingParty:
    parts = urlsplit(base_url)
    return RelyingParty(id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}")


def passkeys_of(session: Session, account_id: uuid.UUID) -> list[Passkey]:
    query = select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.id)
    return list(session.scalars(query))


def _descriptors(keys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(key.credential_id))
        for key in keys
    ]


def registration_options(
    rp: RelyingParty, account_id: uuid.UUID, user_name: str, existing: list[Passkey]
) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.create`` (JSON) and their challenge."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=user_name,
        user_id=account_id.bytes,
        exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return webauthn.options_to_json(options), options.challenge


def authentication_options(rp: RelyingParty, keys: list[Passkey]) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.get`` (JSON) limited to the account's keys."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=_descriptors(keys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), options.challenge


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_registration(
    rp: RelyingParty, credential_json: str, challenge: bytes
) -> NewCredential | None:
    """The verified new credential, or None (logged: which check failed)."""
    if len(credential_json) > MAX_CREDENTIAL_JSON:
        return None
    try:
        verified = webauthn.verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        log.info("passkey registration refused: %s", type(error).__name__)
        return None
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def verify_authentication(
    rp: RelyingParty, keys: list[Passkey], credential_json: str, challenge: bytes
) -> Passkey | None:
    """The account's passkey that signed the challenge, or None.

    The library refuses a signature counter that did not grow (a cloned authenticator);
    the stored counter is advanced here, in the caller's transaction.
    """
    if len(credential_json) > MAX_CREDENTIAL_JSON:
        return None
    try:
        credential = parse_authentication_credential_json(credential_json)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    key = next((k for k in keys if k.credential_id == credential.id), None)
    if key is None:
        return None
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        log.info("passkey assertion refused: %s: %s", type(error).__name__, error)
        return None
    key.sign_count = verified.new_sign_count
    return key
