"""The browser client (frontend/src/crypto, JavaScript) agrees byte for byte with Python.

Runs ``tests/js/harness.mjs`` under Node.js: one JSON request per line in, one answer per
line out. Every value the browser makes (points, proofs, canonical JSON, blinded
messages, ballots) is compared with Python's, or checked by Python's verifiers, and
every value Python makes is checked by the JavaScript verifiers. Skipped only when
``node`` is not installed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import gmpy2
import pytest

from ballots import ballot_format as fmt
from ballots import board, client
from ballots.ballot_check import BallotCheckFailed, check_ballot, parse_json
from ballots.board import Receipt
from ballots.manifest import ElectionDraft, build_manifest
from crypto import blind_rsa, elgamal, transcript
from crypto.blind_rsa import BlindRsaPrivateKey, PreparedMessage, Variant
from crypto.canonical import canonical_json, domain_hash
from crypto.checkpoints import Checkpoint, checkpoint_key_id, sign_checkpoint
from crypto.elgamal import Ciphertext, Nonce, PublicKey
from crypto.group import GROUP_ORDER, InvalidEncodingError, Point, Scalar, base_mul
from crypto.group import hash_to_point as py_hash_to_point
from crypto.group import hash_to_scalar as py_hash_to_scalar
from crypto.merkle import MerkleTree, leaf_hash
from crypto.proofs import (
    DisjunctiveProof,
    prove_dlog,
    prove_equal_dlogs,
    prove_range,
    prove_zero_one,
    verify_range,
    verify_zero_one,
)
from crypto.signing import Ed25519PublicKey, Ed25519SecretKey, sign, verify
from tests.ballots_support import fixed_draft, shared_issuer_key
from tests.js.node_harness import Harness, node_harness
from tests.unit.crypto import test_blind_rsa as rsa_vectors
from tests.unit.crypto.test_group import (
    RFC9496_DERIVED,
    RFC9496_INVALID,
    RFC9496_MULTIPLES,
)

ELECTION_ID = "0b7c3a52-9f1e-4d2a-8c6b-5e4f3a2b1c0d"


@pytest.fixture(scope="module")
def js() -> Iterator[Harness]:
    yield from node_harness("harness.mjs", what="the browser client", package="@noble/curves")


def _scalars(count: int) -> list[Scalar]:
    return [Scalar.random() for _ in range(count)]


def _queue(scalars: list[Scalar]) -> Callable[[], Scalar]:
    return iter(scalars).__next__


def _hexes(scalars: list[Scalar]) -> list[str]:
    return [s.encoded.hex() for s in scalars]


def _ct_json(c: Ciphertext) -> dict[str, str]:
    return {"alpha": c.alpha.encoded.hex(), "beta": c.beta.encoded.hex()}


def _proof_json(p: DisjunctiveProof) -> dict[str, list[str]]:
    return {
        "challenges": [c.encoded.hex() for c in p.challenges],
        "responses": [z.encoded.hex() for z in p.responses],
    }


def _flip_hex(text: str, position: int = -1) -> str:
    chars = list(text)
    chars[position] = "0" if chars[position] != "0" else "1"
    return "".join(chars)


# -- group and transcript ------------------------------------------------------------


def test_rfc9496_multiples_of_the_generator(js: Harness) -> None:
    for k, encoding in enumerate(RFC9496_MULTIPLES):
        assert js.call("base_mul", scalar=Scalar.from_int(k).encoded.hex()) == encoding
        if k:
            assert js.call("decode_point", hex=encoding) == encoding
    identity = RFC9496_MULTIPLES[0]
    assert js.fails("decode_point", hex=identity)
    assert js.call("decode_point", hex=identity, allow_identity=True) == identity


def test_rfc9496_invalid_encodings_are_rejected(js: Harness) -> None:
    bad = [encoding for group in RFC9496_INVALID.values() for encoding in group]
    # Bit 255 set on valid encodings: libsodium ignores it, RFC 9496 (and we) reject it.
    for valid in RFC9496_MULTIPLES[1:4]:
        raw = bytearray.fromhex(valid)
        raw[31] |= 0x80
        bad.append(raw.hex())
    for encoding in bad:
        with pytest.raises(InvalidEncodingError):
            Point.decode(bytes.fromhex(encoding))
        assert js.fails("decode_point", hex=encoding), encoding
    assert js.fails("decode_point", hex="00" * 31)


def test_scalars_and_multiplication_agree(js: Harness) -> None:
    for scalar in [*_scalars(4), Scalar.from_int(GROUP_ORDER - 1)]:
        point = base_mul(Scalar.random())
        assert js.call("base_mul", scalar=scalar.encoded.hex()) == base_mul(scalar).encoded.hex()
        assert (
            js.call("mul", point=point.encoded.hex(), scalar=scalar.encoded.hex())
            == (point * scalar).encoded.hex()
        )
    order = GROUP_ORDER.to_bytes(32, "little").hex()
    assert js.fails("decode_scalar", hex=order)
    assert js.call("decode_scalar", hex=(GROUP_ORDER - 1).to_bytes(32, "little").hex())


def test_transcript_and_hash_known_answers(js: Harness) -> None:
    encoded = js.call("transcript", label=b"L".hex(), fields=["", "0102", "00000102"])
    assert encoded == "000000014c" + "00000000" + "000000020102" + "0000000400000102"
    label = b"stimmwerk/test".hex()
    assert (
        js.call("hash_to_scalar", label=label, fields=[b"abc".hex()])
        == "659bcff9322fdbf6ac96952b72513407b1476a9b74fcc5ac78200cac31ff9604"
    )
    assert (
        js.call("hash_to_point", label=label, fields=[b"abc".hex()])
        == "9ae184cdacd047167ef15dda0d034267092a4e227c3edd1dd3d45ac2a04ce53b"
    )
    for _ in range(5):
        fields = [secrets.token_bytes(n) for n in (0, 1, 32, 77)]
        for lab in transcript.ALL_LABELS:
            args = {"label": lab.hex(), "fields": [f.hex() for f in fields]}
            assert js.call("transcript", **args) == transcript.encode(lab, *fields).hex()
            assert (
                js.call("hash_to_scalar", **args) == py_hash_to_scalar(lab, *fields).encoded.hex()
            )
        assert (
            js.call("hash_to_point", label=b"t".hex(), fields=[f.hex() for f in fields])
            == py_hash_to_point(b"t", *fields).encoded.hex()
        )
    assert RFC9496_DERIVED  # element derivation is covered through hash_to_point above


# -- ElGamal and proofs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def election_key() -> PublicKey:
    return elgamal.generate_keypair().public


def test_encryption_with_fixed_nonces(js: Harness, election_key: PublicKey) -> None:
    key = election_key.encoded.hex()
    for m in (0, 1, 2, 7):
        r = Nonce(Scalar.random())
        expected = _ct_json(elgamal.encrypt(election_key, m, r))
        assert js.call("encrypt", key=key, m=m, r=r.encoded.hex()) == expected
        c = elgamal.encrypt(election_key, m, r)
        assert js.call("verify_opening", key=key, ciphertext=_ct_json(c), m=m, r=r.encoded.hex())
        assert not js.call(
            "verify_opening", key=key, ciphertext=_ct_json(c), m=m + 1, r=r.encoded.hex()
        )


def test_zero_one_proofs_agree(js: Harness, election_key: PublicKey) -> None:
    key = election_key.encoded.hex()
    context = hashlib.sha256(b"ctx").digest()
    for m in (0, 1):
        r = Nonce(Scalar.random())
        c = elgamal.encrypt(election_key, m, r)
        nonces = _scalars(3)
        py_proof = prove_zero_one(election_key, c, m, r, context, random_scalar=_queue(nonces))
        js_proof = js.call(
            "prove_zero_one",
            key=key,
            ciphertext=_ct_json(c),
            m=m,
            r=r.encoded.hex(),
            context=context.hex(),
            nonces=_hexes(nonces),
        )
        assert js_proof == _proof_json(py_proof)
        args = {"key": key, "ciphertext": _ct_json(c), "context": context.hex()}
        assert js.call("verify_zero_one", proof=_proof_json(py_proof), **args)
        bad = copy.deepcopy(js_proof)
        bad["responses"][0] = Scalar.random().encoded.hex()
        assert not js.call("verify_zero_one", proof=bad, **args)
        assert not js.call("verify_zero_one", proof=js_proof, **{**args, "context": "00" * 32})
    c2 = elgamal.encrypt(election_key, 2, Nonce(Scalar.random()))
    assert js.fails(
        "prove_zero_one",
        key=key,
        ciphertext=_ct_json(c2),
        m=2,
        r=Scalar.random().encoded.hex(),
        context=context.hex(),
        nonces=_hexes(_scalars(3)),
    )
    assert verify_zero_one(election_key, c, py_proof, context)


@pytest.mark.parametrize(
    ("plain", "bounds"), [((1, 0, 0), (1, 1)), ((1, 0, 1), (0, 2)), ((0, 0, 0, 0), (0, 3))]
)
def test_range_proofs_agree(
    js: Harness, election_key: PublicKey, plain: tuple[int, ...], bounds: tuple[int, int]
) -> None:
    key = election_key.encoded.hex()
    context = hashlib.sha256(b"range").digest()
    openings = [(m, Nonce(Scalar.random())) for m in plain]
    cts = [elgamal.encrypt(election_key, m, r) for m, r in openings]
    nonces = _scalars(2 * (bounds[1] - bounds[0]) + 1)
    py_proof = prove_range(
        election_key, cts, openings, bounds, context, random_scalar=_queue(nonces)
    )
    js_proof = js.call(
        "prove_range",
        key=key,
        ciphertexts=[_ct_json(c) for c in cts],
        openings=[[m, r.encoded.hex()] for m, r in openings],
        bounds=list(bounds),
        context=context.hex(),
        nonces=_hexes(nonces),
    )
    assert js_proof == _proof_json(py_proof)
    args = {"key": key, "ciphertexts": [_ct_json(c) for c in cts], "context": context.hex()}
    assert js.call("verify_range", bounds=list(bounds), proof=js_proof, **args)
    assert verify_range(election_key, cts, bounds, py_proof, context)
    tampered = copy.deepcopy(js_proof)
    tampered["challenges"][-1] = Scalar.random().encoded.hex()
    assert not js.call("verify_range", bounds=list(bounds), proof=tampered, **args)


def test_schnorr_and_chaum_pedersen_agree(js: Harness) -> None:
    secret = Scalar.random()
    context = b"trustee-context"
    nonce = Scalar.random()
    py = prove_dlog(secret, context, random_scalar=_queue([nonce]))
    got = js.call(
        "prove_dlog",
        secret=secret.encoded.hex(),
        context=context.hex(),
        nonces=[nonce.encoded.hex()],
    )
    assert got == {"challenge": py.challenge.encoded.hex(), "response": py.response.encoded.hex()}
    base = base_mul(Scalar.random())
    image = base * secret
    py_cp = prove_equal_dlogs(secret, base, image, context, random_scalar=_queue([nonce]))
    got = js.call(
        "prove_equal_dlogs",
        secret=secret.encoded.hex(),
        base=base.encoded.hex(),
        image=image.encoded.hex(),
        context=context.hex(),
        nonces=[nonce.encoded.hex()],
    )
    assert got == {
        "challenge": py_cp.challenge.encoded.hex(),
        "response": py_cp.response.encoded.hex(),
    }


# -- canonical JSON, ballot format, signatures ------------------------------------------


CANONICAL_SAMPLES: list[Any] = [
    {"b": 1, "a": [True, False, None], "": "", "ä": "Grüße \u2014 \U0001f600"},
    {"\U0001f600": 1, "\uffff": 2, "z": 3, "Z": 4, "\u00e9": 5},
    {"nested": {"k": [{"y": -1, "x": 9007199254740991}]}, "esc": '"\\\n\t\u0001\u007f</'},
    [],
    {},
    "text",
    -9007199254740991,
    0,
]


def test_canonical_json_agrees(js: Harness) -> None:
    for value in CANONICAL_SAMPLES:
        assert js.call("canonical", value=value) == canonical_json(value).hex(), value
        assert js.call("domain_hash", label="stimmwerk/test/v1", value=value) == (
            domain_hash("stimmwerk/test/v1", value).hex()
        )
    assert js.fails("canonical", value=1.5)
    assert js.fails("canonical", value=2**53)


def test_credential_message_and_contexts(js: Harness) -> None:
    public_key = Ed25519SecretKey.generate().public_key.hex()
    assert js.call("credential_message", election_id=ELECTION_ID, public_key=public_key) == (
        fmt.credential_message(ELECTION_ID, public_key).hex()
    )
    manifest_hash = secrets.token_hex(32)
    for q, o in ((0, 0), (2, 1), (1, fmt.SELECTION)):
        got = js.call(
            "proof_context",
            manifest_hash=manifest_hash,
            credential=public_key,
            question=q,
            option=o,
        )
        assert got == fmt.proof_context(manifest_hash, public_key, q, o).hex()


def test_ed25519_signatures_agree(js: Harness) -> None:
    key = Ed25519SecretKey.generate()
    payload = canonical_json({"x": "y"})
    got = js.call("sign", seed=key.hex(), label=fmt.BALLOT_LABEL, payload=payload.hex())
    assert got["public_key"] == key.public_key.hex()
    assert got["signature"] == sign(key, fmt.BALLOT_LABEL, payload).hex()  # deterministic
    assert verify(key.public_key, fmt.BALLOT_LABEL, payload, bytes.fromhex(got["signature"]))


# -- blind RSA ------------------------------------------------------------------------------


def test_spki_parsing(js: Harness) -> None:
    pk = shared_issuer_key().public_key
    got = js.call("spki", der=pk.to_der().hex())
    assert (int(got["n"], 16), got["e"], got["modulus_len"]) == (pk.n, pk.e, pk.modulus_len)
    assert js.fails("spki", der=pk.to_der()[:-1].hex())
    assert js.fails("spki", der=pk.to_der().hex() + "00")


def test_rfc9474_vector_blinds_identically(js: Harness) -> None:
    prefix, salt, blinded_hex, _blind_sig, sig_hex = rsa_vectors.VECTORS[Variant.PSS_RANDOMIZED]
    pk = rsa_vectors.rfc_key(Variant.PSS_RANDOMIZED).public_key
    r = int(gmpy2.invert(int(rsa_vectors.INV, 16), pk.n))
    got = js.call(
        "blind_with",
        spki=pk.to_der().hex(),
        prefix=prefix,
        msg=rsa_vectors.MSG,
        salt=salt,
        r=format(r, "x"),
    )
    assert got["blinded_msg"] == blinded_hex
    assert int(got["inv"], 16) == int(rsa_vectors.INV, 16)
    input_msg = bytes.fromhex(prefix + rsa_vectors.MSG)
    assert js.call("rsa_verify", spki=pk.to_der().hex(), input_msg=input_msg.hex(), sig=sig_hex)
    assert not js.call(
        "rsa_verify", spki=pk.to_der().hex(), input_msg=input_msg.hex(), sig=_flip_hex(sig_hex)
    )


def test_prepare_blind_finalize_with_python_issuer(js: Harness) -> None:
    sk = shared_issuer_key()
    pk = sk.public_key
    spki = pk.to_der().hex()
    msg = fmt.credential_message(ELECTION_ID, Ed25519SecretKey.generate().public_key.hex())
    got = js.call("prepare_blind", spki=spki, msg=msg.hex(), random_seed="01" * 16)
    # Fixed randomness: prefix is the first draw, salt the second (RFC 9474 order).
    assert got["prefix"] == got["draws"][0]
    assert len(got["draws"][1]) == 96
    prepared = PreparedMessage(Variant.PSS_RANDOMIZED, bytes.fromhex(got["prefix"]), msg)
    r = int(gmpy2.invert(int(got["inv"], 16), pk.n))
    state = blind_rsa._blind(pk, prepared, bytes.fromhex(got["draws"][1]), r)
    assert state.blinded_msg.hex() == got["blinded_msg"]
    again = js.call("prepare_blind", spki=spki, msg=msg.hex(), random_seed="01" * 16)
    assert again["blinded_msg"] == got["blinded_msg"]  # deterministic given the source

    blind_sig = blind_rsa.blind_sign(sk, bytes.fromhex(got["blinded_msg"]))
    sig = js.call("finalize", spki=spki, id=got["id"], blind_sig=blind_sig.hex())
    assert blind_rsa.verify(pk, prepared.input_msg, bytes.fromhex(sig))
    assert sig == blind_rsa.finalize(pk, state, blind_sig).sig.hex()
    other = blind_rsa.blind_sign(sk, bytes.fromhex(again["blinded_msg"])[:-1] + b"\x01")
    assert js.fails("finalize", spki=spki, id=got["id"], blind_sig=other.hex())


# -- a whole ballot ------------------------------------------------------------------------


def _draft() -> ElectionDraft:
    return fixed_draft(description="Grüße aus Köln \u2014 bitte abstimmen.")


class Election:
    def __init__(self) -> None:
        self.manifest = build_manifest(_draft(), ELECTION_ID)
        self.joint = elgamal.generate_keypair().public
        self.issuer: BlindRsaPrivateKey = shared_issuer_key()
        self.board_seed = secrets.token_bytes(32)
        self.board_signer = board.signer(self.manifest.board_origin, self.board_seed)
        self.keys_doc: dict[str, Any] = {
            "manifest_hash": self.manifest.hash_hex,
            "trustees": [],
            "joint_public_key": self.joint.encoded.hex(),
            "issuer": {
                "variant": Variant.PSS_RANDOMIZED.value,
                "public_key_spki": self.issuer.public_key.to_der().hex(),
            },
            "board_public_key": self.board_signer.verifier.public_key.hex(),
        }
        self.keys = client.election_keys_from_record(self.manifest.raw, self.keys_doc)

    def record(self) -> dict[str, Any]:
        return {"manifest": json.loads(json.dumps(self.manifest.raw)), "keys": self.keys_doc}


CHOICES = {"q1": ["yes"], "q2": ["bonn"], "q3": ["a", "c"]}


@pytest.fixture(scope="module")
def election() -> Election:
    return Election()


@pytest.fixture(scope="module")
def js_ballot(js: Harness, election: Election) -> dict[str, Any]:
    record = election.record()
    request = js.call("request_credential", random_seed=secrets.token_hex(16), **record)
    blind_sig = blind_rsa.blind_sign(election.issuer, bytes.fromhex(request["blinded_msg"]))
    made: dict[str, Any] = js.call(
        "make_ballot",
        id=request["id"],
        blind_sig=blind_sig.hex(),
        choices=CHOICES,
        random_seed=secrets.token_hex(16),
        **record,
    )
    made["request"] = request
    return made


def test_client_data_keys_agree(js: Harness, election: Election) -> None:
    got = js.call("election_keys", **election.record())
    assert got["manifest_hash"] == election.manifest.hash_hex
    assert got["board_origin"] == election.manifest.board_origin
    bad = election.record()
    bad["manifest"]["title"] += "!"
    assert js.fails("election_keys", **bad)


def test_js_ballot_passes_the_python_check(js_ballot: dict[str, Any], election: Election) -> None:
    line = bytes.fromhex(js_ballot["line"])
    assert line == client.ballot_bytes(js_ballot["ballot"])
    parsed = parse_json(line)
    checked = check_ballot(parsed, election.keys)
    assert checked.ballot_hash == js_ballot["ballot_hash"] == fmt.ballot_hash(line)
    assert checked.credential_key == js_ballot["request"]["public_key"]


def test_benaloh_audit_agrees(js: Harness, js_ballot: dict[str, Any], election: Election) -> None:
    expected = {q: list(options) for q, options in CHOICES.items()}
    assert js_ballot["audit"] == expected
    body = {k: v for k, v in js_ballot["ballot"].items() if k != "signature"}
    reveal = client.AuditReveal(
        body, tuple(tuple((m, r) for m, r in row) for row in js_ballot["reveal"])
    )
    assert client.verify_audit(election.keys, reveal) == {q: tuple(o) for q, o in CHOICES.items()}
    # A Python-spoiled ballot checks in JavaScript; a lying opening does not.
    credential = _python_credential(election)
    sealed = client.encrypt_ballot(election.keys, credential, CHOICES)
    spoiled = client.spoil(sealed)
    openings: list[list[list[Any]]] = [[list(pair) for pair in row] for row in spoiled.openings]
    record = election.record()
    assert js.call("verify_audit", body=spoiled.body, openings=openings, **record) == expected
    openings[0][0][0] = 1 - openings[0][0][0]
    assert js.call("verify_audit", body=spoiled.body, openings=openings, **record) is None


def _python_credential(election: Election) -> client.Credential:
    request = client.request_credential(election.keys.issuer, ELECTION_ID)
    answer = blind_rsa.blind_sign(election.issuer, request.blinded_msg)
    return client.finish_credential(election.keys.issuer, request, answer)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    result = copy.deepcopy(value)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return result


def _mutated(leaf: Any) -> Any:
    if isinstance(leaf, str):
        try:
            bytes.fromhex(leaf)
        except ValueError:
            return leaf + "x"
        return _flip_hex(leaf, len(leaf) // 2)
    if isinstance(leaf, bool):
        return not leaf
    if isinstance(leaf, int):
        return leaf + 1
    return "x"


def _fails(ballot: dict[str, Any], election: Election) -> bool:
    try:
        check_ballot(parse_json(client.ballot_bytes(ballot)), election.keys)
    except BallotCheckFailed:
        return True
    return False


def test_every_mutated_field_fails_the_python_check(
    js_ballot: dict[str, Any], election: Election
) -> None:
    ballot = js_ballot["ballot"]
    leaves = list(_leaves(ballot))
    assert len(leaves) > 40
    for path, leaf in leaves:
        assert _fails(_set(ballot, path, _mutated(leaf)), election), path
    # Structural mutations: a missing field, an extra field, a dropped list item.
    for key in ballot:
        assert _fails({k: v for k, v in ballot.items() if k != key}, election), key
    assert _fails({**ballot, "extra": 1}, election)
    dropped = copy.deepcopy(ballot)
    dropped["answers"][2]["ciphertexts"].pop()
    assert _fails(dropped, election)


def test_mutations_fail_even_when_resigned(js: Harness, election: Election) -> None:
    # The voter's own client re-signing a tampered ballot is still caught by the proofs
    # and the issuer signature: use a credential whose key the test knows.
    record = election.record()
    request = js.call("request_credential", random_seed=secrets.token_hex(16), **record)
    blind_sig = blind_rsa.blind_sign(election.issuer, bytes.fromhex(request["blinded_msg"]))
    made = js.call(
        "make_ballot",
        id=request["id"],
        blind_sig=blind_sig.hex(),
        choices=CHOICES,
        random_seed=secrets.token_hex(16),
        **record,
    )
    seed_hex = made["secret_key"]
    key = Ed25519SecretKey.from_hex(seed_hex)
    ballot = made["ballot"]
    assert not _fails(ballot, election)
    for path, leaf in _leaves(ballot):
        if path[0] == "signature" or path[:2] == ("credential", "public_key"):
            continue
        mutated = _set(ballot, path, _mutated(leaf))
        mutated["signature"] = sign(key, fmt.BALLOT_LABEL, fmt.signing_payload(mutated)).hex()
        assert _fails(mutated, election), path


# -- receipts --------------------------------------------------------------------------


def _receipt_for(election: Election, line: bytes, before: int) -> tuple[Receipt, MerkleTree]:
    state = board.BoardState.empty()
    tree = MerkleTree()
    for _ in range(before):
        leaf = leaf_hash(secrets.token_bytes(40))
        state = board.append(state, leaf, election.board_signer).state
        tree.append(leaf)
    appended = board.append(state, leaf_hash(line), election.board_signer)
    tree.append(leaf_hash(line))
    receipt = Receipt(
        appended.leaf_hash.hex(),
        appended.index,
        appended.note,
        tuple(h.hex() for h in appended.path),
    )
    return receipt, tree


def test_receipt_check_agrees(js: Harness, js_ballot: dict[str, Any], election: Election) -> None:
    line = bytes.fromhex(js_ballot["line"])
    origin = election.manifest.board_origin
    board_key = election.keys_doc["board_public_key"]
    verifier = board.note_verifier(origin, board_key)

    def both(receipt: Receipt, data: bytes = line, key: str = board_key, org: str = origin) -> bool:
        got = js.call(
            "check_receipt",
            receipt=receipt.to_json(),
            line=data.hex(),
            board_public_key=key,
            origin=org,
        )
        try:
            expected = board.check_receipt(receipt, data, board.note_verifier(org, key), origin=org)
        except ValueError:
            expected = False
        assert got == expected, (receipt, got, expected)
        return bool(got)

    for before in (0, 1, 5, 12):
        receipt, tree = _receipt_for(election, line, before)
        assert both(receipt)
        # The board's later answer: a path in a bigger tree under a newer checkpoint.
        for _ in range(7):
            tree.append(leaf_hash(secrets.token_bytes(8)))
        proof = tree.inclusion_proof(receipt.index)
        note = sign_checkpoint(
            Checkpoint(origin, tree.size, tree.root()), election.board_signer
        ).decode()
        later = Receipt(
            receipt.ballot_hash, receipt.index, note, tuple(p.hex() for p in proof.path)
        )
        assert both(later)
        assert board.check_receipt(later, line, verifier, origin=origin)

    receipt, _ = _receipt_for(election, line, 5)
    mutations = [
        replace(receipt, index=receipt.index + 1),
        replace(receipt, index=receipt.index - 1),
        replace(receipt, ballot_hash=_flip_hex(receipt.ballot_hash)),
        replace(receipt, path=(_flip_hex(receipt.path[0]), *receipt.path[1:])),
        replace(receipt, path=receipt.path[:-1]),
        replace(receipt, path=(*receipt.path, "00" * 32)),
        replace(receipt, checkpoint=receipt.checkpoint.replace("\n", "\n\n", 1)),
        replace(receipt, checkpoint=_tamper_signature(receipt.checkpoint)),
        replace(receipt, checkpoint=receipt.checkpoint.replace(f"{origin}\n6\n", f"{origin}\n7\n")),
    ]
    for mutated in mutations:
        assert not both(mutated), mutated
    assert not both(receipt, data=line + b" ")
    other_key = Ed25519SecretKey.generate().public_key.hex()
    assert not both(receipt, key=other_key)
    assert not both(receipt, org=origin + "x")


def _tamper_signature(note: str) -> str:
    body, _, signature_line = note.rstrip("\n").rpartition("\n")
    prefix, _, blob = signature_line.rpartition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    return f"{body}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


def test_note_key_id_agrees(js: Harness) -> None:
    key = Ed25519SecretKey.generate().public_key
    name = f"stimmwerk/election/{ELECTION_ID}"
    assert js.call("note_key_id", name=name, public_key=key.hex()) == (
        checkpoint_key_id(name, Ed25519PublicKey(key.raw)).hex()
    )
    for size in range(7):
        data = secrets.token_bytes(size)
        assert js.call("base64", hex=data.hex()) == base64.b64encode(data).decode()


# --- credential recovery (ballots/recovery.py, frontend/src/crypto/recovery.js) ---------

RECOVERY_CODE = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"
RECOVERY_VECTOR = {
    "code_bytes": "00443214c74254b635cf84653a56d7",
    "seed": "28c568b35e7e7a9db3a2604bab8330bee1a52d77ae2a2d1d190f1ff2cf2392f3",
    "public_key": "e99ebc309604c52c4c95b8f45df23e5c28183c41ac014a8f16218bf622e254d7",
    "prefix": "25091d3de89a699315f0ad8ae317b19e4e94384d90871e2adc37a269e4a83ad0",
}
"""Known answers for election ``ELECTION_ID`` (docs/browser-client.md prints them)."""


def test_recovery_derivation_known_answers() -> None:
    from ballots import recovery

    code = recovery.parse_code(RECOVERY_CODE)
    assert code.hex() == RECOVERY_VECTOR["code_bytes"]
    assert recovery.format_code(code) == RECOVERY_CODE
    assert recovery.parse_code("abcd efgh ijkl mnop qrst uvwx") == code
    seed = recovery.derive_bytes(code, ELECTION_ID, "seed", 32)
    assert seed.hex() == RECOVERY_VECTOR["seed"]
    assert Ed25519SecretKey(seed).public_key.hex() == RECOVERY_VECTOR["public_key"]
    assert recovery.derive_bytes(code, ELECTION_ID, "prefix", 32).hex() == RECOVERY_VECTOR["prefix"]


def test_recovered_request_is_byte_identical_in_browser_and_python(
    js: Harness, election: Election
) -> None:
    from ballots import recovery

    got = js.call("recover_request", code=RECOVERY_CODE.lower(), **election.record())
    assert got["code"] == RECOVERY_CODE
    assert got["seed"] == RECOVERY_VECTOR["seed"]
    assert got["public_key"] == RECOVERY_VECTOR["public_key"]
    python = recovery.recoverable_request(
        election.keys.issuer, ELECTION_ID, recovery.parse_code(RECOVERY_CODE)
    )
    assert got["blinded_msg"] == python.blinded_msg.hex()
    # Asked twice, the same request: the server's stored answer fits the second device.
    again = js.call("recover_request", code=RECOVERY_CODE, **election.record())
    assert again["blinded_msg"] == got["blinded_msg"]
    # The browser finishes the credential from the issuer's answer and casts with it.
    blind_sig = blind_rsa.blind_sign(election.issuer, python.blinded_msg)
    made = js.call(
        "make_ballot",
        id=again["id"],
        blind_sig=blind_sig.hex(),
        choices=CHOICES,
        random_seed=secrets.token_hex(16),
        **election.record(),
    )
    checked = check_ballot(parse_json(bytes.fromhex(made["line"])), election.keys)
    assert checked.credential_key == RECOVERY_VECTOR["public_key"]
    assert js.fails("recover_request", code="ABCD-EFGH", **election.record())
