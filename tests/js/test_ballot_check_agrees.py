"""The independent check of an opened ballot agrees with Python, and catches lies.

Issue 10, point 4. ``frontend/src/audit/check.js`` (the public check page's code, which
shares only the group arithmetic with the booth) and ``ballots.audit_check`` (the
``stimmwerk check-audit`` command) both accept opened ballots made by the booth's
browser code and by the Python client, and both refuse a changed opening, a changed
ciphertext, a ballot made under another key, a listed choice that is not the encrypted
one and check data of another election.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ballots import board, client
from ballots.audit_check import check_audit
from ballots.manifest import build_manifest
from crypto import elgamal
from crypto.blind_rsa import Variant
from crypto.canonical import canonical_json, domain_hash
from tests.ballots_support import fixed_draft, shared_issuer_key
from tests.js.node_harness import Harness, node_harness

ELECTION_ID = "5d1e0f3a-2b4c-4d6e-8f00-112233445566"
CHOICES = {"q1": ["no"], "q2": ["kiel"], "q3": ["b"]}


@pytest.fixture(scope="module")
def js() -> Iterator[Harness]:
    yield from node_harness("audit_harness.mjs", what="the ballot check page")


def _client_data(joint: elgamal.PublicKey | None = None) -> dict[str, Any]:
    draft = fixed_draft(closes_at=datetime(2026, 12, 18, 17, tzinfo=UTC))
    manifest = build_manifest(draft, ELECTION_ID)
    key = joint or elgamal.generate_keypair().public
    signer = board.signer(manifest.board_origin, secrets.token_bytes(32))
    keys = {
        "manifest_hash": manifest.hash_hex,
        "trustees": [],
        "joint_public_key": key.encoded.hex(),
        "issuer": {
            "variant": Variant.PSS_RANDOMIZED.value,
            "public_key_spki": shared_issuer_key().public_key.to_der().hex(),
        },
        "board_public_key": signer.verifier.public_key.hex(),
    }
    return {
        "election_id": ELECTION_ID,
        "manifest": json.loads(json.dumps(manifest.raw)),
        "keys": keys,
    }


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return _client_data()


@pytest.fixture(scope="module")
def booth_audit(js: Harness, data: dict[str, Any]) -> dict[str, Any]:
    made: dict[str, Any] = js.call("booth_audit", choices=CHOICES, **data)
    return made


def _python_audit(data: dict[str, Any]) -> dict[str, Any]:
    keys = client.election_keys_from_record(data["manifest"], data["keys"])
    credential = client.Credential(
        ELECTION_ID, client.Ed25519SecretKey.generate(), b"\0" * 32, b"\0" * 384
    )
    opened = client.spoil(client.encrypt_ballot(keys, credential, CHOICES))
    return json.loads(
        json.dumps(
            {
                "format": "stimmwerk/ballot-audit/v1",
                "election_id": ELECTION_ID,
                "ballot": opened.body,
                "openings": [[list(pair) for pair in row] for row in opened.openings],
                "choices": CHOICES,
            }
        )
    )


def _both(js: Harness, audit: dict[str, Any], data: dict[str, Any]) -> tuple[bool, bool]:
    outcome = js.call("check", audit=audit, client_data=data)
    return outcome["ok"], check_audit(audit, data).ok


def test_the_checkers_canonical_json_and_manifest_hash_are_pythons(
    js: Harness, data: dict[str, Any]
) -> None:
    value = {"b": [1, -2, True, None], "a": 'Grüße \u2028 "x"', "é": {"z": 0, "Z": "\U0001f600"}}
    assert js.call("canonical", value=value).encode() == canonical_json(value)
    manifest_hash = js.call("domain_hash", label="stimmwerk/manifest/v1", value=data["manifest"])
    assert manifest_hash == domain_hash("stimmwerk/manifest/v1", data["manifest"]).hex()
    assert manifest_hash == data["keys"]["manifest_hash"]


def test_an_audit_made_by_the_booth_checks_in_both(
    js: Harness, booth_audit: dict[str, Any], data: dict[str, Any]
) -> None:
    outcome = js.call("check", audit=booth_audit, client_data=data)
    assert outcome["ok"], outcome["problems"]
    assert outcome["choices"] == CHOICES
    assert outcome["ballotHash"] == booth_audit["ballot_hash"]
    python = check_audit(booth_audit, data)
    assert python.ok, python.problems
    assert python.choices == {q: tuple(o) for q, o in CHOICES.items()}
    assert python.ballot_hash == booth_audit["ballot_hash"]
    # Offline: the copy of the election data inside the file.
    assert check_audit(booth_audit).ok


def test_an_audit_made_by_python_checks_in_the_browser_checker(
    js: Harness, data: dict[str, Any]
) -> None:
    assert _both(js, _python_audit(data), data) == (True, True)


def _flip_opening(audit: dict[str, Any]) -> None:
    row = audit["openings"][0]
    row[0][0], row[1][0] = row[1][0], row[0][0]  # "no" becomes "yes" in the opening
    audit["choices"] = {**audit["choices"], "q1": ["yes"]}


def _other_nonce(audit: dict[str, Any]) -> None:
    audit["openings"][2][1][1] = "01" + "00" * 31


def _swap_ciphertexts(audit: dict[str, Any]) -> None:
    cts = audit["ballot"]["answers"][1]["ciphertexts"]
    cts[0], cts[2] = cts[2], cts[0]
    audit.pop("ballot_hash")


def _claim_other_choice(audit: dict[str, Any]) -> None:
    audit["choices"] = {**audit["choices"], "q3": ["a"]}


def _other_election(audit: dict[str, Any]) -> None:
    audit["election_id"] = "00000000-0000-4000-8000-000000000000"


def _other_hash(audit: dict[str, Any]) -> None:
    audit["ballot_hash"] = "00" * 32


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_opening,
        _other_nonce,
        _swap_ciphertexts,
        _claim_other_choice,
        _other_election,
        _other_hash,
    ],
)
def test_a_tampered_audit_fails_in_both(
    js: Harness, booth_audit: dict[str, Any], data: dict[str, Any], tamper: Any
) -> None:
    audit = copy.deepcopy(booth_audit)
    tamper(audit)
    assert _both(js, audit, data) == (False, False)


def test_a_ballot_made_under_another_key_fails_against_the_servers_key(
    js: Harness, data: dict[str, Any]
) -> None:
    # A device that encrypts under a key of its own and puts that key into the file:
    # it "opens" against its own copy, never against the election's public data.
    forged_data = copy.deepcopy(data)
    forged_data["keys"]["joint_public_key"] = elgamal.generate_keypair().public.encoded.hex()
    audit = js.call("booth_audit", choices=CHOICES, **forged_data)
    assert check_audit(audit).ok  # its own copy agrees with itself ...
    assert _both(js, audit, data) == (False, False)  # ... the election's key does not


def test_junk_is_refused_without_an_exception(js: Harness, data: dict[str, Any]) -> None:
    for junk in ({}, {"format": "stimmwerk/ballot-audit/v1"}, {"format": "x"}, []):
        assert js.call("check", audit=junk, client_data=data)["ok"] is False
        assert check_audit(junk, data).ok is False  # type: ignore[arg-type]
