"""The respondent's side, as a Python library (tests, CLI, benchmarks); pure.

1. `request_credential`: a fresh Ed25519 key; its credential message (survey, audience,
   key) is blinded for the audience's issuer and sent with the login.
2. `finish_credential`: unblind and verify the issuer's answer.
3. `answer_line`: the answers, checked against the manifest, signed with the credential
   key; sent *without* the login.

The browser (``frontend/src/survey.js``) produces the same bytes;
``tests/js/test_survey_client_agrees.py`` checks that byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crypto import blind_rsa
from crypto.blind_rsa import BlindedMessage, BlindRsaPublicKey
from crypto.signing import Ed25519SecretKey
from surveys import answer_format as fmt
from surveys.definition import SurveyManifest, check_answers


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    survey_id: str
    audience: str
    secret_key: Ed25519SecretKey = field(repr=False)
    state: BlindedMessage = field(repr=False)

    @property
    def blinded_msg(self) -> bytes:
        return self.state.blinded_msg


@dataclass(frozen=True, slots=True)
class SurveyCredential:
    survey_id: str
    audience: str
    secret_key: Ed25519SecretKey = field(repr=False)
    prefix: bytes
    signature: bytes

    def as_json(self) -> dict[str, str]:
        return {
            "public_key": self.secret_key.public_key.hex(),
            "prefix": self.prefix.hex(),
            "signature": self.signature.hex(),
        }


def request_credential(
    issuer: BlindRsaPublicKey, survey_id: str, audience: str
) -> CredentialRequest:
    secret_key = Ed25519SecretKey.generate()
    message = fmt.credential_message(survey_id, audience, secret_key.public_key.hex())
    prepared = blind_rsa.prepare(issuer, message)
    return CredentialRequest(survey_id, audience, secret_key, blind_rsa.blind(issuer, prepared))


def finish_credential(
    issuer: BlindRsaPublicKey, request: CredentialRequest, blind_signature: bytes
) -> SurveyCredential:
    signed = blind_rsa.finalize(issuer, request.state, blind_signature)
    return SurveyCredential(
        request.survey_id,
        request.audience,
        request.secret_key,
        signed.prepared.msg_prefix,
        signed.sig,
    )


def answer_line(
    manifest: SurveyManifest,
    fingerprint: str,
    credential: SurveyCredential,
    answers: Mapping[str, Any],
    *,
    check: bool = True,
) -> bytes:
    """The signed answer line; ``check=False`` lets tests send what the server must refuse."""
    body_answers = check_answers(manifest, answers) if check else dict(answers)
    body = fmt.answer_body(
        credential.survey_id, fingerprint, credential.audience, credential.as_json(), body_answers
    )
    return fmt.sign_answer(credential.secret_key, body)
