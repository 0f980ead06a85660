"""Property tests of the ballot check: a client's ballot passes; any mutation is refused.

A ballot is signed as a whole (all fields but the signature) and its signature is
checked strictly, so *every* change must be refused by some check, whichever it is;
the tests assert refusal, and that the refusal is a named check, never a crash.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots import client
from ballots.ballot_check import BallotCheckFailed, ElectionKeys, check_ballot, parse_json
from ballots.manifest import ElectionDraft, build_manifest
from crypto import blind_rsa, elgamal
from tests.ballots_support import ONE_OF, UP_TO, YES_NO, shared_issuer_key

ELECTION_ID = "0d9c7f3e-5a1b-4e8f-8c2d-6b7a9e0f1c23"
CHECKS = {"format", "election", "credential_signature", "signature", "proofs"}
HEX = "0123456789abcdef"


@functools.cache
def _keys() -> ElectionKeys:
    draft = ElectionDraft(
        title="Eigenschaften",
        description="",
        unit_code="LV1",
        unit_name="Landesverband",
        cutoff_at=datetime(2026, 11, 1, tzinfo=UTC),
        opens_at=datetime(2026, 11, 2, tzinfo=UTC),
        closes_at=datetime(2026, 11, 3, tzinfo=UTC),
        questions=(YES_NO, ONE_OF, UP_TO),
        trustees=1,
        threshold=1,
    )
    manifest = build_manifest(draft, ELECTION_ID)
    return ElectionKeys(manifest, elgamal.generate_keypair().public, shared_issuer_key().public_key)


def _credential() -> client.Credential:
    keys = _keys()
    request = client.request_credential(keys.issuer, ELECTION_ID)
    answer = blind_rsa.blind_sign(shared_issuer_key(), request.blinded_msg)
    return client.finish_credential(keys.issuer, request, answer)


@functools.cache
def _valid_ballots() -> tuple[str, ...]:
    """A few valid ballots (as JSON text, so every example mutates a fresh copy)."""
    choices = [
        {"q1": ["yes"], "q2": ["berlin"], "q3": []},
        {"q1": ["abstain"], "q2": ["kiel"], "q3": ["a", "c"]},
        {"q1": ["no"], "q2": ["bonn"], "q3": ["b"]},
    ]
    return tuple(json.dumps(client.make_ballot(_keys(), _credential(), c)) for c in choices)


choices_strategy = st.fixed_dictionaries(
    {
        "q1": st.sampled_from(("yes", "no", "abstain")).map(lambda o: [o]),
        "q2": st.sampled_from(("berlin", "bonn", "kiel")).map(lambda o: [o]),
        "q3": st.lists(st.sampled_from(("a", "b", "c")), max_size=2, unique=True),
    }
)


@settings(max_examples=12, deadline=None)
@given(choices_strategy)
def test_a_client_ballot_passes_the_server_check(choices: dict[str, list[str]]) -> None:
    keys = _keys()
    ballot = client.make_ballot(keys, _credential(), choices)
    checked = check_ballot(parse_json(client.ballot_bytes(ballot)), keys)
    assert checked.line == client.ballot_bytes(ballot)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in the JSON tree (objects' keys and lists' indices)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _mutated_leaf(leaf: Any, data: st.DataObject) -> Any:
    if isinstance(leaf, str) and leaf and all(c in HEX for c in leaf):
        position = data.draw(st.integers(0, len(leaf) - 1))
        other = data.draw(st.sampled_from(HEX.replace(leaf[position], "")))
        return leaf[:position] + other + leaf[position + 1 :]
    if isinstance(leaf, str):
        return leaf + data.draw(st.sampled_from(["x", "-", "0"]))
    if isinstance(leaf, int):
        return leaf + data.draw(st.sampled_from([-1, 1]))
    return data.draw(st.sampled_from([None, 0, "", [], {}]))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_mutated_field_is_refused(data: st.DataObject) -> None:
    keys = _keys()
    ballot = json.loads(data.draw(st.sampled_from(_valid_ballots())))
    path = data.draw(st.sampled_from([p for p in _paths(ballot) if p]))
    parent, last = _get(ballot, path[:-1]), path[-1]
    kind = data.draw(st.sampled_from(["change", "drop", "duplicate", "retype"]))
    if kind == "change":
        parent[last] = _mutated_leaf(parent[last], data)
    elif kind == "drop":
        del parent[last]
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    elif kind == "duplicate":
        parent[f"{last}_copy"] = copy.deepcopy(parent[last])
    else:
        parent[last] = data.draw(
            st.sampled_from([None, True, 7, "", [], {}]).filter(lambda v: v != parent[last])
        )
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(ballot, keys)
    assert failed.value.check in CHECKS, (kind, path)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_swapping_answers_or_ciphertexts_between_valid_ballots_is_refused(
    data: st.DataObject,
) -> None:
    """Re-using parts of another voter's valid ballot (even re-signed) never passes."""
    keys = _keys()
    first, second = (json.loads(b) for b in _valid_ballots()[:2])
    q = data.draw(st.integers(0, 2))
    part = data.draw(st.sampled_from(["ciphertexts", "option_proofs", "selection_proof"]))
    first["answers"][q][part] = second["answers"][q][part]
    credential = _credential()
    resigned = data.draw(st.booleans())
    if resigned:  # the thief signs with a credential of their own
        first["credential"] = {
            "public_key": credential.public_key_hex,
            "prefix": credential.prefix.hex(),
            "signature": credential.signature.hex(),
        }
        first = client.sign_ballot(
            client.SealedBallot({k: v for k, v in first.items() if k != "signature"}, ()),
            credential,
        )
    with pytest.raises(BallotCheckFailed) as failed:
        check_ballot(first, keys)
    assert failed.value.check == ("proofs" if resigned else "signature")
