"""A small, independent generator of valid election records (docs/election-record.md v3).

``version=2`` writes a version-2 record (no fingerprint, no outcome statement);
``signed=False`` a version-3 record as made before signed postal lines (no trustee
signing keys, confirmations by pseudonym, no joint key in the statement).

Builds every file of a record directly with ``crypto/`` — the trustees' dealing, the
issuer key, the roll, blind-RSA credentials, encrypted ballots with proofs, the board
with signed checkpoints and the threshold tally with postal lines — following the
record spec only, without the ballot engine or a database. Tests use it to get a valid
record in well under a second, and keep its secrets (credential keys, board key,
trustee shares) to make precise tampered copies; ``bench/verify_record.py`` uses it
with worker processes to make records of 10,000 and 100,000 ballots.

It shares no code with the verifier on purpose: the formulas of the spec (credential
message, proof contexts, ballot signature, leaves) are written out again here.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import random
import secrets
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto import blind_rsa, elgamal, threshold
from crypto.canonical import canonical_json, domain_hash
from crypto.checkpoints import Checkpoint, NoteSigner, sign_checkpoint
from crypto.elgamal import Ciphertext, PublicKey
from crypto.group import Point
from crypto.merkle import RootAccumulator, leaf_hash, root_from_leaf_hashes
from crypto.proofs import prove_range, prove_zero_one
from crypto.signing import Ed25519SecretKey, sign

MANIFEST_LABEL = "stimmwerk/manifest/v1"
FINGERPRINT_LABEL = "stimmwerk/election-fingerprint/v3"
STATEMENT_LABEL = "stimmwerk/outcome-statement/v3"
CEREMONY_LABEL = "stimmwerk/ceremony-context/v3"
POSTAL_LINE_LABEL = "stimmwerk/postal-line/v3"
ROLL_ENTRY_LABEL = "stimmwerk/roll-entry/v1"
CONTEXT_LABEL = "stimmwerk/ballot-context/v1"
BALLOT_LABEL = "stimmwerk/ballot/v1"
CREDENTIAL_LABEL = b"stimmwerk/credential/v1"
VARIANT = "RSABSSA-SHA384-PSS-Randomized"


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    method: str
    options: tuple[str, ...]
    min_selections: int
    max_selections: int
    text: str = "Soll der Antrag angenommen werden?"


YES_NO_ABSTAIN = QuestionSpec("q1", "yes_no_abstain", ("yes", "no", "abstain"), 1, 1)
ONE_OF = QuestionSpec("q2", "one_of", ("a", "b", "c", "d"), 1, 1, "Wer soll kandidieren?")
UP_TO = QuestionSpec("q3", "up_to", ("x", "y", "z"), 0, 2, "Welche Themen?")

Choice = tuple[tuple[int, ...], ...]
"""Per question, the indices of the selected options."""


@functools.cache
def issuer_key() -> blind_rsa.BlindRsaPrivateKey:
    """One 3072-bit issuer key per process (generation takes a second or two)."""
    return blind_rsa.BlindRsaPrivateKey.generate(3072)


def hexs(data: bytes) -> str:
    return data.hex()


def credential_message(election_id: str, public_key_hex: str) -> bytes:
    """§5: ``"stimmwerk/credential/v1" || 0x00 || canonical_json({election, public_key})``."""
    body = canonical_json({"election": election_id, "public_key": public_key_hex})
    return CREDENTIAL_LABEL + b"\x00" + body


def proof_context(manifest_hash_hex: str, credential_hex: str, question: int, option: int) -> bytes:
    """§5: ``context(q, o)``, 32 raw bytes (``option = -1`` for the selection proof)."""
    value: dict[str, str | int] = {
        "manifest_hash": manifest_hash_hex,
        "credential": credential_hex,
        "question": question,
        "option": option,
    }
    return domain_hash(CONTEXT_LABEL, value)


def _proof_json(proof: Any) -> dict[str, list[str]]:
    return {
        "challenges": [c.encoded.hex() for c in proof.challenges],
        "responses": [z.encoded.hex() for z in proof.responses],
    }


def _ct_json(ciphertext: Ciphertext) -> dict[str, str]:
    return {"alpha": ciphertext.alpha.encoded.hex(), "beta": ciphertext.beta.encoded.hex()}


@dataclass(frozen=True)
class MadeBallot:
    line: bytes
    credential_seed: bytes
    ciphertexts: tuple[tuple[bytes, ...], ...]
    """Per question, per option: ``alpha || beta``."""


@dataclass(frozen=True)
class BallotFactory:
    """Everything a (worker) process needs to make ballots; picklable."""

    election_id: str
    manifest_hash_hex: str
    joint_key: bytes
    questions: tuple[QuestionSpec, ...]
    issuer: blind_rsa.BlindRsaPrivateKey

    def credential(self, key: Ed25519SecretKey) -> dict[str, str]:
        """A blind-RSA credential for ``key`` (RFC 9474 prepare/blind/sign/finalize)."""
        public = self.issuer.public_key
        message = credential_message(self.election_id, key.public_key.hex())
        prepared = blind_rsa.prepare(public, message)
        blinded = blind_rsa.blind(public, prepared)
        signed = blind_rsa.finalize(
            public, blinded, blind_rsa.blind_sign(self.issuer, blinded.blinded_msg)
        )
        return {
            "public_key": key.public_key.hex(),
            "prefix": prepared.msg_prefix.hex(),
            "signature": signed.sig.hex(),
        }

    def answer(
        self, index: int, selected: tuple[int, ...], credential_hex: str
    ) -> tuple[dict[str, Any], tuple[bytes, ...]]:
        spec = self.questions[index]
        key = PublicKey(Point.decode(self.joint_key))
        openings = [(int(o in selected), elgamal.fresh_nonce()) for o in range(len(spec.options))]
        texts = [elgamal.encrypt(key, m, r) for m, r in openings]
        proofs = [
            prove_zero_one(
                key, c, m, r, proof_context(self.manifest_hash_hex, credential_hex, index, o)
            )
            for o, (c, (m, r)) in enumerate(zip(texts, openings, strict=True))
        ]
        bounds = (spec.min_selections, spec.max_selections)
        selection = prove_range(
            key,
            texts,
            openings,
            bounds,
            proof_context(self.manifest_hash_hex, credential_hex, index, -1),
        )
        answer = {
            "question": spec.id,
            "ciphertexts": [_ct_json(c) for c in texts],
            "option_proofs": [_proof_json(p) for p in proofs],
            "selection_proof": _proof_json(selection),
        }
        return answer, tuple(c.encode() for c in texts)

    def make(self, choice: Choice) -> MadeBallot:
        key = Ed25519SecretKey.generate()
        credential = self.credential(key)
        answers = [
            self.answer(q, selected, credential["public_key"]) for q, selected in enumerate(choice)
        ]
        ballot: dict[str, Any] = {
            "election_id": self.election_id,
            "manifest_hash": self.manifest_hash_hex,
            "credential": credential,
            "answers": [answer for answer, _ in answers],
        }
        ballot["signature"] = sign(key, BALLOT_LABEL, canonical_json(ballot)).hex()
        return MadeBallot(canonical_json(ballot), key.seed, tuple(texts for _, texts in answers))


def default_choice(voter: int, questions: Sequence[QuestionSpec]) -> Choice:
    """A deterministic spread of votes: voter i picks option i mod k (up_to: a prefix)."""
    choice: list[tuple[int, ...]] = []
    for spec in questions:
        if spec.max_selections == spec.min_selections == 1:
            choice.append((voter % len(spec.options),))
        else:
            count = spec.min_selections + voter % (spec.max_selections - spec.min_selections + 1)
            choice.append(tuple(range(count)))
    return tuple(choice)


@dataclass
class Secrets:
    """What a tampering test needs to re-sign a changed record."""

    issuer: blind_rsa.BlindRsaPrivateKey
    board: NoteSigner
    params: threshold.ThresholdParameters
    trustee_secrets: dict[int, elgamal.SecretKey]
    credential_seeds: list[bytes] = field(default_factory=list)
    """Per ballot line (index 0 is line 1): the credential key's seed."""
    decryption_params: threshold.ThresholdParameters | None = None
    """v3: the partial decryptions' parameters (context = H(statement))."""
    signing_keys: dict[int, Ed25519SecretKey] = field(default_factory=dict)
    """§2.1: each trustee's postal-line signing key (empty for ``signed=False``)."""


@dataclass
class BuiltRecord:
    path: Path
    secrets: Secrets
    choices: list[Choice]
    election_id: str
    manifest_hash_hex: str


@dataclass(frozen=True)
class PostalSpec:
    """Postal counts per question (``counts``, ``invalid``); ``envelopes`` for all."""

    envelopes: int
    counts: tuple[tuple[int, ...], ...] | None = None
    invalid: tuple[int, ...] | None = None


def write_json(path: Path, value: Any) -> None:
    path.write_bytes(canonical_json(value))


def _manifest(  # noqa: PLR0917  # a private helper with one caller
    election_id: str,
    questions: Sequence[QuestionSpec],
    n: int,
    t: int,
    quorum: int | None,
    version: int,
) -> dict[str, Any]:
    return {
        "format": "stimmwerk-election-record",
        "version": version,
        "election_id": election_id,
        "title": "Mitgliederentscheid über den Testantrag",
        "description": "Ein Testentscheid, erzeugt von tests/support/record_builder.py",
        "unit": {"code": "LV-NW", "name": "Landesverband Nordwest", "includes_sub_units": True},
        "cutoff_at": "2026-11-01T00:00:00Z",
        "opens_at": "2026-11-10T08:00:00Z",
        "closes_at": "2026-11-24T18:00:00Z",
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "method": q.method,
                "options": [{"id": o, "label": o.capitalize()} for o in q.options],
                "min_selections": q.min_selections,
                "max_selections": q.max_selections,
            }
            for q in questions
        ],
        "quorum": None if quorum is None else {"kind": "turnout", "min_percent": quorum},
        "trustees": {"n": n, "threshold": t},
        "board_origin": f"stimmwerk/election/{election_id}",
    }


def _deal(
    params: threshold.ThresholdParameters,
) -> tuple[list[threshold.DealerCommitments], dict[int, elgamal.SecretKey]]:
    dealt = [threshold.deal(params, i) for i in range(1, params.trustees + 1)]
    shares = {
        j: threshold.combine_shares(dealing.share_for(j) for dealing, _ in dealt)
        for j in range(1, params.trustees + 1)
    }
    return [published for _, published in dealt], shares


def _keys_json(
    manifest_hash_hex: str,
    published: list[threshold.DealerCommitments],
    issuer: blind_rsa.BlindRsaPrivateKey,
    board: NoteSigner,
    signing: dict[int, Ed25519SecretKey] | None = None,
) -> dict[str, Any]:
    return {
        "manifest_hash": manifest_hash_hex,
        "trustees": [
            {
                "index": c.dealer,
                "commitments": [p.encoded.hex() for p in c.coefficients],
                "proof": {
                    "challenge": c.proof.challenge.encoded.hex(),
                    "response": c.proof.response.encoded.hex(),
                },
            }
            | ({"signing_key": signing[c.dealer].public_key.hex()} if signing else {})
            for c in published
        ],
        "joint_public_key": threshold.joint_public_key(published).encoded.hex(),
        "issuer": {"variant": VARIANT, "public_key_spki": issuer.public_key.to_der().hex()},
        "board_public_key": board.secret_key.public_key.hex(),
    }


def fingerprint_of(keys: dict[str, Any]) -> bytes:
    """§2 (v3): H(fingerprint label, {manifest_hash, issuer, board_public_key})."""
    return domain_hash(
        FINGERPRINT_LABEL,
        {
            "manifest_hash": keys["manifest_hash"],
            "issuer": keys["issuer"],
            "board_public_key": keys["board_public_key"],
        },
    )


def ceremony_context(fingerprint: bytes, signing_keys: Sequence[str]) -> bytes:
    """§2.1: H("stimmwerk/ceremony-context/v3", {fingerprint, signing_keys})."""
    return domain_hash(
        CEREMONY_LABEL, {"fingerprint": fingerprint.hex(), "signing_keys": list(signing_keys)}
    )


def postal_signature(
    key: Ed25519SecretKey,
    fingerprint_hex: str,
    step: str,
    envelopes: int,
    lines: Sequence[dict[str, Any]],
) -> str:
    """§7.3: a trustee's Ed25519 signature of the postal line (hex)."""
    payload = {
        "fingerprint": fingerprint_hex,
        "step": step,
        "envelopes": envelopes,
        "questions": [{"counts": p["counts"], "invalid": p["invalid"]} for p in lines],
    }
    return sign(key, POSTAL_LINE_LABEL, canonical_json(payload)).hex()


def statement_of(  # every figure of the statement, by name
    *,
    fingerprint: bytes,
    roll: dict[str, Any],
    issued: Sequence[bytes],
    board_size: int,
    board_root: bytes,
    postal_lines: Sequence[dict[str, Any]],
    envelopes: int,
    confirmations: Sequence[tuple[str, str]] | Sequence[tuple[str, int, str]],
    joint_public_key: str | None = None,
) -> dict[str, Any]:
    """§7 (v3): the outcome statement, written out from the spec."""
    joint = {} if joint_public_key is None else {"joint_public_key": joint_public_key}
    return joint | {
        "fingerprint": fingerprint.hex(),
        "roll": {
            "commitment": roll["commitment"],
            "eligible": roll["eligible"],
            "online": roll["eligible"] - roll["postal"],
            "postal": roll["postal"],
        },
        "issuance": {
            "root": root_from_leaf_hashes(leaf_hash(e) for e in issued).hex(),
            "issued": len(issued),
        },
        "board": {"size": board_size, "root": board_root.hex()},
        "postal": {
            "envelopes": envelopes,
            "questions": [{"counts": p["counts"], "invalid": p["invalid"]} for p in postal_lines],
            "confirmations": [
                {"step": c[0], "trustee": c[1], "signature": c[2]}
                if len(c) == 3
                else {"step": c[0], "member": c[1]}
                for c in confirmations
            ],
        },
    }


def _roll(election_id: str, online: int) -> list[bytes]:
    entries = [
        domain_hash(
            ROLL_ENTRY_LABEL,
            {"election": election_id, "salt": secrets.token_hex(32), "member": str(100000 + i)},
        )
        for i in range(online)
    ]
    return sorted(entries)


def _made_ballots(
    factory: BallotFactory, choices: Sequence[Choice], workers: int
) -> Iterator[MadeBallot]:
    if workers <= 1:
        yield from (factory.make(choice) for choice in choices)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(factory.make, choices, chunksize=64)


class _Board:
    """Writes ballots.jsonl and checkpoints.jsonl, aggregating as it goes."""

    def __init__(
        self,
        path: Path,
        signer: NoteSigner,
        origin: str,
        every: int,
        questions: Sequence[QuestionSpec],
    ) -> None:
        self.ballots = (path / "ballots.jsonl").open("wb")
        self.checkpoints = (path / "checkpoints.jsonl").open("wb")
        self.signer, self.origin, self.every = signer, origin, every
        self.accumulator = RootAccumulator()
        self.aggregate = [[elgamal.ZERO_CIPHERTEXT] * len(q.options) for q in questions]
        self._checkpoint()

    def _checkpoint(self) -> None:
        note = sign_checkpoint(
            Checkpoint(self.origin, self.accumulator.size, self.accumulator.root()), self.signer
        )
        self.checkpoints.write(canonical_json({"note": note.decode()}) + b"\n")

    def add(self, made: MadeBallot) -> None:
        self.ballots.write(made.line + b"\n")
        self.accumulator.append(leaf_hash(made.line))
        for q, texts in enumerate(made.ciphertexts):
            for o, encoded in enumerate(texts):
                # Our own, freshly made ciphertexts: valid points, no need to re-validate.
                ciphertext = Ciphertext(Point(encoded[:32]), Point(encoded[32:]))
                self.aggregate[q][o] = self.aggregate[q][o] + ciphertext
        if self.accumulator.size % self.every == 0:
            self._checkpoint()

    def close(self) -> None:
        if self.accumulator.size % self.every:
            self._checkpoint()
        self.ballots.close()
        self.checkpoints.close()


def _postal_line(spec: QuestionSpec, postal: PostalSpec, index: int) -> dict[str, Any]:
    if postal.counts is not None and postal.invalid is not None:
        counts, invalid = list(postal.counts[index]), postal.invalid[index]
    else:  # exactly one vote per envelope, one invalid envelope if there are any
        invalid = min(1, postal.envelopes)
        counts = [0] * len(spec.options)
        for envelope in range(postal.envelopes - invalid):
            counts[envelope % len(spec.options)] += 1
    return {"counts": counts, "invalid": invalid, "envelopes": postal.envelopes}


def _tally_question(  # noqa: PLR0917  # a private helper with one caller
    spec: QuestionSpec,
    index: int,
    aggregate: list[Ciphertext],
    online: list[int],
    postal: dict[str, Any],
    secrets_: Secrets,
    decrypting: Sequence[int],
) -> dict[str, Any]:
    partials = [
        {
            "trustee": j,
            "shares": [
                _share_json(
                    threshold.partial_decrypt(
                        secrets_.decryption_params or secrets_.params,
                        j,
                        secrets_.trustee_secrets[j],
                        ct,
                    )
                )
                for ct in aggregate
            ],
        }
        for j in decrypting
    ]
    return {
        "question": spec.id,
        "aggregate": [_ct_json(ct) for ct in aggregate],
        "partial_decryptions": partials,
        "online": online,
        "postal": postal,
        "result": [a + b for a, b in zip(online, postal["counts"], strict=True)],
    }


def _share_json(partial: threshold.PartialDecryption) -> dict[str, Any]:
    proof = {
        "challenge": partial.proof.challenge.encoded.hex(),
        "response": partial.proof.response.encoded.hex(),
    }
    return {"value": partial.share.encoded.hex(), "proof": proof}


def _online_counts(choices: Iterable[Choice], questions: Sequence[QuestionSpec]) -> list[list[int]]:
    counts = [[0] * len(q.options) for q in questions]
    for choice in choices:
        for q, selected in enumerate(choice):
            for o in selected:
                counts[q][o] += 1
    return counts


def _turnout(
    eligible: int, online: int, envelopes: int, quorum: int | None
) -> tuple[dict[str, int], bool]:
    participants = online + envelopes
    percent = 10000 * participants // eligible if eligible else 0
    met = quorum is None or percent >= 100 * quorum
    turnout = {
        "eligible": eligible,
        "online_ballots": online,
        "postal_envelopes": envelopes,
        "participants": participants,
        "percent_x100": percent,
    }
    return turnout, met


def build_record(
    out: Path,
    *,
    voters: int = 4,
    questions: Sequence[QuestionSpec] = (YES_NO_ABSTAIN,),
    trustees: int = 3,
    threshold_: int = 2,
    eligible: int | None = None,
    postal: PostalSpec | None = None,
    postal_registered: int = 3,
    unused_credentials: int = 1,
    quorum: int | None = 20,
    checkpoint_every: int = 1,
    decrypting: Sequence[int] | None = None,
    choices: Sequence[Choice] | None = None,
    workers: int = 1,
    issuer: blind_rsa.BlindRsaPrivateKey | None = None,
    version: int = 3,
    signed: bool = True,
) -> BuiltRecord:
    """Write a complete, valid record of ``voters`` ballots into the directory ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    election_id = str(uuid.uuid4())
    issuer = issuer or issuer_key()
    postal = postal or PostalSpec(envelopes=min(2, postal_registered))
    eligible = voters + unused_credentials + 1 + postal_registered if eligible is None else eligible
    manifest = _manifest(election_id, questions, trustees, threshold_, quorum, version)
    manifest_hash = domain_hash(MANIFEST_LABEL, manifest)
    board = NoteSigner(manifest["board_origin"], Ed25519SecretKey.generate())
    draft_keys = _keys_json(manifest_hash.hex(), [], issuer, board)
    fingerprint = fingerprint_of(draft_keys) if version >= 3 else manifest_hash
    signed = signed and version >= 3
    signing = {i: Ed25519SecretKey.generate() for i in range(1, trustees + 1)} if signed else {}
    context = (
        ceremony_context(fingerprint, [signing[i].public_key.hex() for i in sorted(signing)])
        if signed
        else fingerprint
    )
    params = threshold.ThresholdParameters(threshold_, trustees, context)
    published, shares = _deal(params)
    keys = _keys_json(manifest_hash.hex(), published, issuer, board, signing)
    if version >= 3:
        keys["fingerprint"] = fingerprint.hex()
    secrets_ = Secrets(issuer, board, params, shares, signing_keys=signing)
    write_json(out / "manifest.json", manifest)
    write_json(out / "keys.json", keys)

    roll = _roll(election_id, eligible - postal_registered)
    commitment = root_from_leaf_hashes(leaf_hash(entry) for entry in roll)
    roll_json = {
        "cutoff_at": manifest["cutoff_at"],
        "eligible": eligible,
        "postal": postal_registered,
        "entries": [e.hex() for e in roll],
        "commitment": commitment.hex(),
    }
    write_json(out / "roll.json", roll_json)
    issued = sorted(random.sample(roll, voters + unused_credentials))
    write_json(out / "issuance.json", {"issued": len(issued), "entries": [e.hex() for e in issued]})

    choices = (
        list(choices)
        if choices is not None
        else [default_choice(i, questions) for i in range(voters)]
    )
    factory = BallotFactory(
        election_id,
        manifest_hash.hex(),
        bytes.fromhex(keys["joint_public_key"]),
        tuple(questions),
        issuer,
    )
    board_writer = _Board(out, board, manifest["board_origin"], checkpoint_every, questions)
    for made in _made_ballots(factory, choices, workers):
        board_writer.add(made)
        secrets_.credential_seeds.append(made.credential_seed)
    board_writer.close()

    online = _online_counts(choices, questions)
    decrypting = list(decrypting) if decrypting is not None else list(range(1, threshold_ + 1))
    postal_lines = [_postal_line(spec, postal, q) for q, spec in enumerate(questions)]
    statement = None
    if version >= 3:
        confirmations: list[tuple[str, str]] | list[tuple[str, int, str]] = (
            [("entered", secrets.token_hex(32)), ("confirmed", secrets.token_hex(32))]
            if postal_registered
            else []
        )
        if signed and postal_registered:  # §7.3: trustees 1 and 2 sign the line
            confirmations = [
                (
                    step,
                    i,
                    postal_signature(
                        signing[i], fingerprint.hex(), step, postal.envelopes, postal_lines
                    ),
                )
                for i, step in ((1, "entered"), (2, "confirmed"))
            ]
        statement = statement_of(
            joint_public_key=keys["joint_public_key"] if signed else None,
            fingerprint=fingerprint,
            roll=roll_json,
            issued=issued,
            board_size=board_writer.accumulator.size,
            board_root=board_writer.accumulator.root(),
            postal_lines=postal_lines,
            envelopes=postal.envelopes,
            confirmations=confirmations,
        )
        secrets_.decryption_params = threshold.ThresholdParameters(
            threshold_, trustees, domain_hash(STATEMENT_LABEL, statement)
        )
    questions_json = [
        _tally_question(
            spec,
            q,
            board_writer.aggregate[q],
            online[q],
            postal_lines[q],
            secrets_,
            decrypting,
        )
        for q, spec in enumerate(questions)
    ]
    turnout, met = _turnout(eligible, len(choices), postal.envelopes, quorum)
    tally: dict[str, Any] = {
        "ballots_counted": len(choices),
        "questions": questions_json,
        "turnout": turnout,
        "quorum_met": met,
        "binding": met,
    }
    if statement is not None:
        tally["statement"] = statement
    write_json(out / "tally.json", tally)
    return BuiltRecord(out, secrets_, list(choices), election_id, manifest_hash.hex())


# --- helpers for tampering tests ------------------------------------------------------


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def write_lines(path: Path, values: Iterable[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(canonical_json(value) + b"\n" for value in values))


def resign_ballot(ballot: dict[str, Any], seed: bytes) -> dict[str, Any]:
    """Re-make the ballot signature with the credential key (after changing the ballot)."""
    unsigned = {key: value for key, value in ballot.items() if key != "signature"}
    signature = sign(Ed25519SecretKey(seed), BALLOT_LABEL, canonical_json(unsigned))
    return {**unsigned, "signature": signature.hex()}


def sign_note(signer: NoteSigner, origin: str, size: int, root: bytes) -> dict[str, str]:
    """A checkpoint line for ``(size, root)`` signed with the board key."""
    return {"note": sign_checkpoint(Checkpoint(origin, size, root), signer).decode()}
