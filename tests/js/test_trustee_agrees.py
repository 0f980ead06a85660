"""The trustee's browser code (frontend/src/trustee.js) agrees with the Python side.

Runs ``tests/js/trustee_harness.mjs`` under Node.js. Sealed boxes made in JavaScript
open with PyNaCl and the other way round; a JavaScript dealing passes
``verify_commitments`` and its sealed shares open and check with ``open_share``;
JavaScript opens Python's shares to the same key share and files complaints that
``verify_complaint`` upholds; and, end to end through the ballot services, dealings,
share checks and partial decryptions made in JavaScript are accepted by
``submit_dealing``, ``submit_share_check`` and ``submit_partial_decryption`` and the
tally comes out right. Skipped only when ``node`` is not installed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nacl import bindings as sodium
from nacl.public import PrivateKey, SealedBox
from sqlalchemy.orm import Session

from app.core.errors import ValidationFailed
from app.core.settings import Settings
from ballots import keyfile, services
from ballots.codec import (
    ciphertext_json,
    commitments_from_json,
    commitments_json,
    partial_from_json,
)
from ballots.models import ElectionStatus
from ballots.record import POSTAL_LINE_LABEL, ceremony_context, postal_line_payload
from ballots.tally import PostalLine
from crypto.group import Scalar
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.signing import Ed25519SecretKey, sign, verify
from crypto.threshold import (
    EncryptedShare,
    ShareComplaint,
    ThresholdParameters,
    combine_shares,
    deal,
    open_share,
    seal_share,
    verify_commitments,
    verify_complaint,
)
from referendums.commission import api as commission_api
from referendums.commission.pages import postal_line_from
from tests import ballots_support as support
from tests.js.node_harness import Harness, node_harness

CONTEXT = bytes(range(32))


@pytest.fixture(scope="module")
def js() -> Iterator[Harness]:
    yield from node_harness(
        "trustee_harness.mjs", what="the trustee's browser code", package="@noble/ciphers"
    )


def _doc(params: ThresholdParameters, keys: dict[int, PrivateKey]) -> dict[str, Any]:
    return {
        "threshold": params.threshold,
        "trustees": params.trustees,
        "context": params.context.hex(),
        "sealing_keys": {str(i): bytes(k.public_key).hex() for i, k in keys.items()},
    }


# -- sealed boxes --------------------------------------------------------------------------


def test_sealing_keys_and_box_keys_agree_with_libsodium(js: Harness) -> None:
    mine, theirs = PrivateKey.generate(), PrivateKey.generate()
    assert js.call("public_key", secret=bytes(mine).hex()) == bytes(mine.public_key).hex()
    expected = sodium.crypto_box_beforenm(bytes(theirs.public_key), bytes(mine))
    got = js.call("beforenm", public_key=bytes(theirs.public_key).hex(), secret=bytes(mine).hex())
    assert got == expected.hex()


def test_boxes_sealed_in_javascript_open_in_python_and_back(js: Harness) -> None:
    key = PrivateKey.generate()
    message = secrets.token_bytes(97)
    sealed = js.call("seal", message=message.hex(), public_key=bytes(key.public_key).hex())
    assert SealedBox(key).decrypt(bytes.fromhex(sealed)) == message
    python_sealed = SealedBox(key.public_key).encrypt(message)
    public, secret = bytes(key.public_key).hex(), bytes(key).hex()
    assert js.call("open", sealed=python_sealed.hex(), public_key=public, secret=secret) == (
        message.hex()
    )
    tampered = bytearray(python_sealed)
    tampered[-1] ^= 1
    assert js.call("open", sealed=tampered.hex(), public_key=public, secret=secret) is None


# -- dealing and checking -------------------------------------------------------------------


def test_a_javascript_dealing_verifies_and_its_shares_open_in_python(js: Harness) -> None:
    params = ThresholdParameters(2, 3, CONTEXT)
    keys = {i: PrivateKey.generate() for i in (1, 2, 3)}
    dealt = js.call("deal", doc=_doc(params, keys), dealer=2)
    commitments = commitments_from_json(dealt["body"]["commitments"], params.threshold)
    assert verify_commitments(params, commitments)
    coefficients = [Scalar.decode(bytes.fromhex(h)) for h in dealt["coefficients"]]
    for j, key in keys.items():
        box = EncryptedShare(2, j, bytes.fromhex(dealt["body"]["sealed"][str(j)]))
        share = open_share(params, box, key, commitments)
        assert isinstance(share, Scalar), j
        expected = coefficients[0] + coefficients[1] * Scalar.from_int(j)
        assert share == expected


def test_javascript_opens_python_shares_and_complains_about_a_bad_one(js: Harness) -> None:
    params = ThresholdParameters(2, 3, CONTEXT)
    keys = {i: PrivateKey.generate() for i in (1, 2, 3)}
    me = 3
    dealings = [deal(params, i) for i in (1, 2, 3)]
    shares = [
        {
            "dealer": d.dealer,
            "recipient": me,
            "sealed": seal_share(params, d, me, keys[me].public_key).sealed.hex(),
            "commitments": commitments_json(c),
        }
        for d, c in dealings
    ]
    opened = js.call(
        "open_shares", doc=_doc(params, keys), me=me, secret=bytes(keys[me]).hex(), shares=shares
    )
    assert opened["complaints"] == []
    expected = combine_shares(d.share_for(me) for d, _ in dealings)
    assert opened["share"] == expected.encoded.hex()

    # Dealer 1 seals a share that does not match its commitments.
    bad_dealing, _ = deal(params, 1)
    bad_box = seal_share(params, bad_dealing, me, keys[me].public_key)
    shares[0]["sealed"] = bad_box.sealed.hex()
    opened = js.call(
        "open_shares", doc=_doc(params, keys), me=me, secret=bytes(keys[me]).hex(), shares=shares
    )
    assert opened["share"] is None
    [complaint] = opened["complaints"]
    evidence = ShareComplaint(1, me, bytes.fromhex(complaint["box_key"]))
    assert verify_complaint(params, evidence, bad_box, keys[me].public_key, dealings[0][1])


def test_the_backup_round_trips_and_refuses_a_wrong_passphrase(js: Harness) -> None:
    secret_data = {
        "format": "stimmwerk-trustee-secrets/v1",
        "election_id": "0b7c3a52-9f1e-4d2a-8c6b-5e4f3a2b1c0d",
        "trustee": 2,
        "sealing_key": secrets.token_bytes(32).hex(),
        "coefficients": [Scalar.random().encoded.hex()],
        "share": Scalar.random().encoded.hex(),
    }
    result = js.call(
        "backup_round_trip",
        secrets=secret_data,
        passphrase="correct horse battery staple",
        wrong="correct horse battery stapler",
    )
    assert result["back"] == secret_data
    assert result["refused"]
    backup = result["backup"]
    assert backup["format"] == "stimmwerk-trustee-backup/v1"
    assert secret_data["sealing_key"] not in json.dumps(backup)


# -- end to end through the ballot services -----------------------------------------------------


def test_javascript_trustees_run_an_election_through_the_services(
    js: Harness, db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.make_world(db, settings, tmp_path, postal=())
    support.create(world, trustees=3, threshold=2)
    trustees = world.trustees()
    keys = {i: PrivateKey.generate() for i in (1, 2, 3)}
    for index, account in enumerate(trustees, start=1):
        # §2.1: the signing key the browser derives from its sealing key (checked below).
        signing = js.call("signing_key", sealing=bytes(keys[index]).hex())
        services.register_sealing_key(
            db, world.id, account, bytes(keys[index].public_key), bytes.fromhex(signing)
        )
    state = services.ceremony_state(db, world.id)
    doc = _doc(state.params, keys)
    for index, account in enumerate(trustees, start=1):
        body = js.call("deal", doc=doc, dealer=index)["body"]
        commitments = commitments_from_json(body["commitments"], state.params.threshold)
        sealed = {int(j): bytes.fromhex(box) for j, box in body["sealed"].items()}
        services.submit_dealing(db, world.id, account, commitments, sealed)
    key_shares: dict[int, str] = {}
    for index, account in enumerate(trustees, start=1):
        received = services.shares_for(db, world.id, account)
        shares = [
            {
                "dealer": item.encrypted.dealer,
                "recipient": item.encrypted.recipient,
                "sealed": item.encrypted.sealed.hex(),
                "commitments": commitments_json(item.commitments),
            }
            for item in received
        ]
        opened = js.call(
            "open_shares", doc=doc, me=index, secret=bytes(keys[index]).hex(), shares=shares
        )
        assert opened["complaints"] == []
        key_shares[index] = opened["share"]
        services.submit_share_check(db, world.id, account, [])
    assert world.election().status == ElectionStatus.KEYS

    services.freeze_roll(db, world.id, world.staff, now=world.cutoff)
    services.open_election(db, settings, world.id, world.staff, now=world.opens)
    for member, choice in (("anna", "yes"), ("ben", "yes"), ("cem", "no")):
        support.cast(world, support.credential(world, member), {"q1": [choice]})
    services.close_election(db, world.id, None, now=world.closes)

    for index in (1, 3):  # any 2 of 3
        account = trustees[index - 1]
        task = services.decryption_task(db, world.id, account)
        election = world.election()
        seat = next(t for t in election.trustees if t.index == index)
        task_json = {
            "threshold": task.params.threshold,
            "trustees": task.params.trustees,
            "context": task.params.context.hex(),
            "trustee": task.trustee,
            "verification_key": seat.verification_key,
            "aggregate": [[ciphertext_json(c) for c in row] for row in task.aggregate],
            **commission_api.statement_inputs(db, election, account, task),
        }
        # The browser recomputes H(statement) and checks the statement before signing.
        assert js.call("statement_context", task=task_json) == task.params.context.hex()
        mine = bytes(keys[index]).hex()
        checked = js.call("check_statement", task=task_json, share=key_shares[index], sealing=mine)
        assert checked["problems"] == []
        assert task_json["statement"]["joint_public_key"] == election.joint_public_key
        other = bytes(keys[2]).hex()  # a server that lists someone else's key for me
        problems = js.call(
            "check_statement", task=task_json, share=key_shares[index], sealing=other
        )["problems"]
        assert problems == ["my signing key"]
        assert checked["figures"]["ballots"] == 3
        forged = json.loads(json.dumps(task_json))
        forged["statement"]["roll"]["eligible"] += 1
        forged["evidence"]["board_public_key"] = "11" * 32
        problems = js.call("check_statement", task=forged, share=key_shares[index])["problems"]
        assert {"roll counts", "fingerprint", "board checkpoint signature"} <= set(problems)
        rows = js.call("partials", task=task_json, share=key_shares[index])
        partials = [[partial_from_json(index, p) for p in row] for row in rows]
        services.submit_partial_decryption(db, world.id, account, partials)
    services.tally_election(db, world.id, world.commission[1])
    tally = world.election().tally
    assert tally is not None
    assert tally["questions"][0]["result"] == [2, 1, 0]


# -- record v3: fingerprint, ceremony context, Merkle roots --------------------------------------


def test_javascript_recomputes_the_fingerprint_and_the_ceremony_context(
    js: Harness, db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.make_world(db, settings, tmp_path)
    election = support.create(world)
    support.ceremony(world)  # every trustee registered a signing key with the sealing key
    doc = commission_api.ceremony_document(db, world.election(), 1)
    assert doc["fingerprint"] == election.fingerprint
    sealing = keyfile.read_key_file(*world.key_files[1]).sealing_key.hex()
    context = js.call("ceremony_context", doc=doc, me=1, sealing=sealing)
    signing_keys = [doc["signing_keys"][str(i)] for i in (1, 2, 3)]
    assert context == ceremony_context(election.fingerprint or "", signing_keys).hex()
    assert context == doc["context"]
    other = keyfile.read_key_file(*world.key_files[2]).sealing_key.hex()
    with pytest.raises(AssertionError, match="does not list my own signing key"):
        js.call("ceremony_context", doc=doc, me=1, sealing=other)
    swapped = json.loads(json.dumps(doc))  # a server that swapped another trustee's key
    swapped["signing_keys"]["2"] = "22" * 32
    with pytest.raises(AssertionError, match="ceremony context is not the one"):
        js.call("ceremony_context", doc=swapped, me=1, sealing=sealing)
    assert (
        js.call(
            "fingerprint",
            manifest=doc["manifest"],
            issuer_spki=doc["issuer"]["public_key_spki"],
            board_public_key=doc["board_public_key"],
        )
        == election.fingerprint
    )
    doc["board_public_key"] = "11" * 32  # a server that swapped the board key
    with pytest.raises(AssertionError, match="fingerprint does not match"):
        js.call("ceremony_context", doc=doc)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 8, 13])
def test_javascript_merkle_roots_agree(js: Harness, size: int) -> None:
    entries = [secrets.token_bytes(32) for _ in range(size)]
    expected = root_from_leaf_hashes(leaf_hash(e) for e in sorted(entries)).hex()
    assert js.call("merkle_root", entries=[e.hex() for e in sorted(entries)]) == expected


def test_javascript_checks_the_postal_line_of_the_statement(
    js: Harness, db: Session, settings: Settings, tmp_path: Path
) -> None:
    """With a postal voter: the browser checks rules P1–P6 and the two confirmations."""
    world = support.make_world(db, settings, tmp_path)  # paul votes by post
    support.open_for_voting(world)
    support.cast(world, support.credential(world, "anna"), {"q1": ["yes"]})
    services.close_election(db, world.id, None, now=world.closes)
    support.enter_postal(world, PostalLine(((1, 0, 0),), (0,), 1))
    account = world.trustees()[0]
    task = services.decryption_task(db, world.id, account)
    election = world.election()
    path, passphrase = world.key_files[1]
    share = keyfile.read_key_file(path, passphrase).share
    assert share is not None
    task_json = {
        "threshold": task.params.threshold,
        "trustees": task.params.trustees,
        "trustee": task.trustee,
        **commission_api.statement_inputs(db, election, account, task),
    }
    sealing = keyfile.read_key_file(path, passphrase).sealing_key.hex()
    good = js.call("check_statement", task=task_json, share=share.encoded.hex(), sealing=sealing)
    assert good["problems"] == []
    assert (good["figures"]["postal"], good["figures"]["envelopes"]) == (1, 1)
    impossible = json.loads(json.dumps(task_json))
    impossible["statement"]["postal"]["questions"][0]["counts"] = [2, 0, 0]
    problems = js.call("check_statement", task=impossible, share=share.encoded.hex())["problems"]
    assert "P4 q0" in problems
    one_clerk = json.loads(json.dumps(task_json))
    confirmations = one_clerk["statement"]["postal"]["confirmations"]
    confirmations[1]["trustee"] = confirmations[0]["trustee"]
    problems = js.call("check_statement", task=one_clerk, share=share.encoded.hex())["problems"]
    assert problems == ["postal confirmations", "postal signatures"]
    forged = json.loads(json.dumps(task_json))  # §7.3: a signature by an operator's key
    operator = Ed25519SecretKey.generate()
    forged["statement"]["postal"]["confirmations"][0]["signature"] = sign(
        operator, POSTAL_LINE_LABEL, b"anything"
    ).hex()
    problems = js.call("check_statement", task=forged, share=share.encoded.hex())["problems"]
    assert problems == ["postal signatures"]
    joint = json.loads(json.dumps(task_json))
    joint["statement"]["joint_public_key"] = joint["evidence"]["dealings"][0]["commitments"][0]
    problems = js.call("check_statement", task=joint, share=share.encoded.hex())["problems"]
    assert problems == ["joint key"]


# -- record §2.1, §7.3: the trustee's signing key and the signed postal line -------------------


def test_javascript_derives_the_signing_key_and_signs_the_postal_line_like_python(
    js: Harness,
) -> None:
    sealing = secrets.token_bytes(32)
    mine = keyfile.TrusteeSecrets("e", 1, sealing).signing_key
    assert js.call("signing_key", sealing=sealing.hex()) == mine.public_key.hex()
    fingerprint = secrets.token_hex(32)
    line = {"envelopes": 7, "questions": [{"counts": [3, 2, 1], "invalid": 1}]}
    for step in ("entered", "confirmed"):
        signature = js.call(
            "sign_postal", sealing=sealing.hex(), fingerprint=fingerprint, step=step, line=line
        )
        payload = postal_line_payload(fingerprint, step, 7, [((3, 2, 1), 1)])
        # Ed25519 is deterministic: the same bytes, not merely a valid signature.
        assert signature == sign(mine, POSTAL_LINE_LABEL, payload).hex()
        assert verify(mine.public_key, POSTAL_LINE_LABEL, payload, bytes.fromhex(signature))


MANIFEST = {
    "questions": [
        {"id": "q1", "options": [{"id": "yes"}, {"id": "no"}, {"id": "abstain"}]},
        {"id": "q2", "options": [{"id": "a"}, {"id": "b"}]},
    ]
}
FORM = {
    "envelopes": " 12 ",
    "count-q1-yes": "7",
    "count-q1-no": "3",
    "count-q1-abstain": "0",
    "invalid-q1": "2",
    "count-q2-a": "10",
    "count-q2-b": "0",
    "invalid-q2": "2",
}


@pytest.mark.parametrize(
    "change", [{}, {"count-q1-no": "-1"}, {"invalid-q2": ""}, {"envelopes": "1234567890"}]
)
def test_javascript_reads_the_postal_form_as_the_server_does(
    js: Harness, change: dict[str, str]
) -> None:
    """The browser signs exactly the figures the server will read, or nothing."""
    form = FORM | change
    questions = [[q["id"], [o["id"] for o in q["options"]]] for q in MANIFEST["questions"]]
    line = js.call("postal_form", questions=questions, form=form)
    try:
        server = postal_line_from(MANIFEST, form)
    except ValidationFailed:
        assert line is None
        return
    assert line == {
        "envelopes": server.envelopes,
        "questions": [
            {"counts": list(counts), "invalid": invalid}
            for counts, invalid in zip(server.counts, server.invalid, strict=True)
        ],
    }
