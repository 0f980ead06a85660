"""Per-ballot checks (record format §5), run in worker processes on chunks of lines.

For each line, in this order (cheap before expensive, and so that a tampered ballot
fails on the check that names its defect): ``ballots.format`` (parse, shape against the
manifest, decode and validate every point and scalar once), then
``ballots.credential_signature`` (RFC 9474 / RSA-PSS), ``ballots.signature`` (Ed25519
by the credential key) and ``ballots.proofs`` (zero-one per option, range per
question). A chunk stops at its first failing line and returns what passed before it:
the credential keys (uniqueness is checked across chunks by the main process) and the
homomorphic sum of the passing ballots' ciphertexts (for ``tally.aggregate``).

Points are validated exactly once, while decoding (a ristretto255 decode is cheap);
sums are sent back as encodings of valid points, which the main process adds without
decoding again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ballots.record import Answer, Ballot, DisjunctiveProofData, RecordError, parse_ballot
from ballots.verifier._outcome import Failure
from crypto import blind_rsa
from crypto.canonical import canonical_json
from crypto.elgamal import ZERO_CIPHERTEXT, Ciphertext, PublicKey
from crypto.group import InvalidEncodingError, Point, Scalar
from crypto.proofs import DisjunctiveProof, verify_range, verify_zero_one
from crypto.signing import Ed25519PublicKey, verify

FILE: Final = "ballots.jsonl"
BALLOT_LABEL: Final = "stimmwerk/ballot/v1"
CONTEXT_LABEL: Final = "stimmwerk/ballot-context/v1"
CREDENTIAL_LABEL: Final = b"stimmwerk/credential/v1"
SELECTION: Final = -1
_CONTEXT_PREFIX: Final = CONTEXT_LABEL.encode("ascii") + b"\x00"


@dataclass(frozen=True, slots=True)
class QuestionShape:
    """What a ballot's answer to one question must look like (§1, §5)."""

    id: str
    options: int
    min_selections: int
    max_selections: int


@dataclass(frozen=True, slots=True)
class BallotRules:
    """The election-wide inputs of the per-ballot checks; picklable for worker processes."""

    election_id: str
    manifest_hash: bytes
    questions: tuple[QuestionShape, ...]
    joint_public_key: bytes
    issuer_spki: bytes


@dataclass(frozen=True, slots=True)
class LineFailure:
    check: str
    failure: Failure


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What one chunk of lines yielded; ``aggregate`` sums only the ``passed`` lines."""

    first_line: int
    passed: int
    credentials: tuple[bytes, ...]
    aggregate: tuple[tuple[bytes, ...], ...]
    failure: LineFailure | None


@dataclass(frozen=True, slots=True)
class _Decoded:
    """One answer with every point and scalar decoded and validated."""

    ciphertexts: tuple[Ciphertext, ...]
    option_proofs: tuple[DisjunctiveProof, ...]
    selection_proof: DisjunctiveProof


class _LineError(Exception):
    def __init__(self, check: str, failure: Failure) -> None:
        super().__init__(str(failure))
        self.result = LineFailure(check, failure)


def _field(line: int, path: str, message: str, check: str = "ballots.format") -> _LineError:
    return _LineError(check, Failure(FILE, line, path, message))


class BallotVerifier:
    """Checks single ballot lines against `BallotRules` (one instance per process)."""

    def __init__(self, rules: BallotRules) -> None:
        self.rules = rules
        self.key = PublicKey(Point.decode(rules.joint_public_key))
        self.issuer = blind_rsa.BlindRsaPublicKey.from_der(rules.issuer_spki)
        self.manifest_hash_hex = rules.manifest_hash.hex()

    # -- ballots.format ------------------------------------------------------------------

    def _shape(self, ballot: Ballot) -> None:
        line = ballot.line
        if ballot.election_id != self.rules.election_id:
            raise _field(line, "election_id", "not this election's id")
        if ballot.manifest_hash != self.rules.manifest_hash:
            raise _field(line, "manifest_hash", "not this election's manifest hash")
        if len(ballot.answers) != len(self.rules.questions):
            raise _field(line, "answers", f"expected {len(self.rules.questions)} answers")
        for index, (answer, shape) in enumerate(
            zip(ballot.answers, self.rules.questions, strict=True)
        ):
            _answer_shape(line, f"answers[{index}]", answer, shape)

    def _decode(self, ballot: Ballot) -> tuple[_Decoded, ...]:
        return tuple(
            _decode_answer(ballot.line, f"answers[{i}]", a) for i, a in enumerate(ballot.answers)
        )

    # -- signatures ------------------------------------------------------------------------

    def credential_message(self, public_key: bytes) -> bytes:
        """§5 ``credential_message``: label || 0x00 || canonical_json({election, public_key})."""
        body = canonical_json({"election": self.rules.election_id, "public_key": public_key.hex()})
        return CREDENTIAL_LABEL + b"\x00" + body

    def _signatures(self, ballot: Ballot) -> None:
        credential = ballot.credential
        signed = credential.prefix + self.credential_message(credential.public_key)
        if not blind_rsa.verify(self.issuer, signed, credential.signature):
            raise _field(
                ballot.line,
                "credential.signature",
                "the issuer's credential signature does not verify",
                "ballots.credential_signature",
            )
        key = Ed25519PublicKey(credential.public_key)
        if not verify(key, BALLOT_LABEL, ballot.signed_payload, ballot.signature):
            raise _field(
                ballot.line,
                "signature",
                "the ballot signature does not verify under the credential key",
                "ballots.signature",
            )

    # -- ballots.proofs --------------------------------------------------------------------

    def context(self, credential: bytes, question: int, option: int) -> bytes:
        """§5 ``context(q, o) = H("stimmwerk/ballot-context/v1", {manifest_hash, credential,
        question, option})``: the proof's binding to election, credential and place.

        The value holds only hex strings and small integers, so its RFC 8785 form is
        written out directly (keys in sorted order); a test compares it with
        `crypto.canonical.domain_hash`.
        """
        text = (
            f'{{"credential":"{credential.hex()}","manifest_hash":"{self.manifest_hash_hex}",'
            f'"option":{option},"question":{question}}}'
        )
        return hashlib.sha256(_CONTEXT_PREFIX + text.encode("ascii")).digest()

    def _proofs(self, ballot: Ballot, decoded: Sequence[_Decoded]) -> list[list[Ciphertext]]:
        """Every zero-one and selection proof; returns the ciphertexts."""
        credential = ballot.credential.public_key
        answers: list[list[Ciphertext]] = []
        for q, (answer, shape) in enumerate(zip(decoded, self.rules.questions, strict=True)):
            ciphertexts: list[Ciphertext] = []
            for o, (ciphertext, proof) in enumerate(
                zip(answer.ciphertexts, answer.option_proofs, strict=True)
            ):
                context = self.context(credential, q, o)
                if not verify_zero_one(self.key, ciphertext, proof, context):
                    raise _field(
                        ballot.line,
                        f"answers[{q}].option_proofs[{o}]",
                        "the zero-one proof does not verify",
                        "ballots.proofs",
                    )
                ciphertexts.append(ciphertext)
            bounds = (shape.min_selections, shape.max_selections)
            context = self.context(credential, q, SELECTION)
            if not verify_range(self.key, ciphertexts, bounds, answer.selection_proof, context):
                raise _field(
                    ballot.line,
                    f"answers[{q}].selection_proof",
                    "the selection-count proof does not verify",
                    "ballots.proofs",
                )
            answers.append(ciphertexts)
        return answers

    def check(self, line: int, data: bytes) -> tuple[bytes, list[list[Ciphertext]]]:
        """All per-line checks; returns the credential key and the validated ciphertexts."""
        try:
            ballot = parse_ballot(line, data)
        except RecordError as error:
            raise _LineError("ballots.format", Failure.from_error(error)) from error
        self._shape(ballot)
        decoded = self._decode(ballot)
        self._signatures(ballot)
        return ballot.credential.public_key, self._proofs(ballot, decoded)

    def check_chunk(self, first_line: int, lines: Sequence[bytes]) -> ChunkResult:
        """Check consecutive lines starting at ``first_line``; stop at the first failure."""
        sums = [[ZERO_CIPHERTEXT] * shape.options for shape in self.rules.questions]
        keys: list[bytes] = []
        failure: LineFailure | None = None
        for offset, data in enumerate(lines):
            try:
                key, decoded = self.check(first_line + offset, data)
            except _LineError as error:
                failure = error.result
                break
            keys.append(key)
            for q, answer in enumerate(decoded):
                row = sums[q]
                for o, ciphertext in enumerate(answer):
                    row[o] = row[o] + ciphertext
        aggregate = tuple(tuple(c.encode() for c in row) for row in sums)
        return ChunkResult(first_line, len(keys), tuple(keys), aggregate, failure)


def _answer_shape(line: int, path: str, answer: Answer, shape: QuestionShape) -> None:
    if answer.question != shape.id:
        raise _field(line, f"{path}.question", f"expected question {shape.id!r} here")
    if len(answer.ciphertexts) != shape.options:
        raise _field(line, f"{path}.ciphertexts", f"expected {shape.options} ciphertexts")
    if len(answer.option_proofs) != shape.options:
        raise _field(line, f"{path}.option_proofs", f"expected {shape.options} option proofs")
    for o, proof in enumerate(answer.option_proofs):
        if len(proof.challenges) != 2:  # noqa: PLR2004  # values 0 and 1
            raise _field(line, f"{path}.option_proofs[{o}]", "a zero-one proof has 2 branches")
    branches = shape.max_selections - shape.min_selections + 1
    if len(answer.selection_proof.challenges) != branches:
        raise _field(line, f"{path}.selection_proof", f"expected {branches} branches")


def _point(line: int, path: str, data: bytes) -> Point:
    try:
        return Point.decode(data)
    except InvalidEncodingError as error:
        raise _field(line, path, f"not a valid group element: {error}") from error


def _scalars(line: int, path: str, encoded: Sequence[bytes]) -> tuple[Scalar, ...]:
    try:
        return tuple(Scalar.decode(item) for item in encoded)
    except InvalidEncodingError as error:
        raise _field(line, path, f"not a canonical scalar: {error}") from error


def _proof(line: int, path: str, proof: DisjunctiveProofData) -> DisjunctiveProof:
    challenges = _scalars(line, f"{path}.challenges", proof.challenges)
    responses = _scalars(line, f"{path}.responses", proof.responses)
    return DisjunctiveProof(challenges, responses)


def _decode_answer(line: int, path: str, answer: Answer) -> _Decoded:
    proofs = tuple(
        _proof(line, f"{path}.option_proofs[{o}]", p) for o, p in enumerate(answer.option_proofs)
    )
    ciphertexts = tuple(
        Ciphertext(
            _point(line, f"{path}.ciphertexts[{o}].alpha", c.alpha),
            _point(line, f"{path}.ciphertexts[{o}].beta", c.beta),
        )
        for o, c in enumerate(answer.ciphertexts)
    )
    return _Decoded(
        ciphertexts,
        proofs,
        _proof(line, f"{path}.selection_proof", answer.selection_proof),
    )


# -- worker-process entry points ------------------------------------------------------------

_worker: BallotVerifier | None = None


def init_worker(rules: BallotRules) -> None:
    """Pool initializer: decode the election key and issuer key once per process."""
    global _worker  # noqa: PLW0603  # one verifier per worker process, by design
    _worker = BallotVerifier(rules)


def check_chunk(first_line: int, lines: Sequence[bytes]) -> ChunkResult:
    """Pool task: check a chunk with this process's verifier."""
    assert _worker is not None, "init_worker was not called"
    return _worker.check_chunk(first_line, lines)
