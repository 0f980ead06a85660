"""JSON forms of the crypto values in the election record (``docs/election-record.md`` §0).

Points and scalars are lowercase hex of their 32-byte encodings; proofs are objects of
hex scalars. Decoders validate fully (points with `crypto.group.Point.decode`, scalars
canonical) and raise `CodecError` on anything else, so a value that passes a decoder
is a well-formed group element or scalar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from crypto.canonical import CanonicalError, JsonValue, from_hex
from crypto.elgamal import Ciphertext
from crypto.group import InvalidEncodingError, Point, Scalar
from crypto.proofs import ChaumPedersenProof, DisjunctiveProof, SchnorrProof
from crypto.threshold import DealerCommitments, PartialDecryption

HEX32_LENGTH: Final = 64


class CodecError(ValueError):
    """A JSON value is not the expected encoding."""


def hex32(value: object) -> bytes:
    """Strict lowercase hex of exactly 32 bytes."""
    if not isinstance(value, str) or len(value) != HEX32_LENGTH:
        raise CodecError("expected 64 lowercase hex characters")
    try:
        return from_hex(value)
    except CanonicalError as error:
        raise CodecError(str(error)) from error


def hex_bytes(value: object, length: int) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * length:
        raise CodecError(f"expected {2 * length} lowercase hex characters")
    try:
        return from_hex(value)
    except CanonicalError as error:
        raise CodecError(str(error)) from error


def point_from_json(value: object, *, allow_identity: bool = False) -> Point:
    try:
        return Point.decode(hex32(value), allow_identity=allow_identity)
    except InvalidEncodingError as error:
        raise CodecError(str(error)) from error


def scalar_from_json(value: object) -> Scalar:
    try:
        return Scalar.decode(hex32(value))
    except InvalidEncodingError as error:
        raise CodecError(str(error)) from error


def point_json(point: Point) -> str:
    return point.encoded.hex()


def scalar_json(scalar: Scalar) -> str:
    return scalar.encoded.hex()


def ciphertext_json(ciphertext: Ciphertext) -> dict[str, JsonValue]:
    return {"alpha": point_json(ciphertext.alpha), "beta": point_json(ciphertext.beta)}


def ciphertext_from_json(value: object, *, allow_identity: bool = False) -> Ciphertext:
    fields = exact_object(value, ("alpha", "beta"))
    alpha = point_from_json(fields["alpha"], allow_identity=allow_identity)
    beta = point_from_json(fields["beta"], allow_identity=allow_identity)
    return Ciphertext(alpha, beta)


def trusted_ciphertext(value: Mapping[str, Any]) -> Ciphertext:
    """Rebuild a ciphertext the engine itself validated on the way in (no re-validation).

    Only for data read back from our own database after `ciphertext_from_json` accepted
    it at cast time: skipping the 50 µs point check per point makes the tally's
    aggregation of 400,000 ballots take seconds instead of minutes.
    """
    return Ciphertext(Point(bytes.fromhex(value["alpha"])), Point(bytes.fromhex(value["beta"])))


def two_scalar_proof_json(proof: SchnorrProof | ChaumPedersenProof) -> dict[str, JsonValue]:
    return {"challenge": scalar_json(proof.challenge), "response": scalar_json(proof.response)}


def schnorr_from_json(value: object) -> SchnorrProof:
    fields = exact_object(value, ("challenge", "response"))
    return SchnorrProof(scalar_from_json(fields["challenge"]), scalar_from_json(fields["response"]))


def chaum_pedersen_from_json(value: object) -> ChaumPedersenProof:
    fields = exact_object(value, ("challenge", "response"))
    challenge = scalar_from_json(fields["challenge"])
    return ChaumPedersenProof(challenge, scalar_from_json(fields["response"]))


def disjunctive_json(proof: DisjunctiveProof) -> dict[str, JsonValue]:
    return {
        "challenges": [scalar_json(c) for c in proof.challenges],
        "responses": [scalar_json(z) for z in proof.responses],
    }


def disjunctive_from_json(value: object, branches: int) -> DisjunctiveProof:
    fields = exact_object(value, ("challenges", "responses"))
    challenges = exact_list(fields["challenges"], branches)
    responses = exact_list(fields["responses"], branches)
    return DisjunctiveProof(
        tuple(scalar_from_json(c) for c in challenges),
        tuple(scalar_from_json(z) for z in responses),
    )


def commitments_json(commitments: DealerCommitments) -> dict[str, JsonValue]:
    """A trustee's entry of ``keys.json`` (index, commitments, proof)."""
    return {
        "index": commitments.dealer,
        "commitments": [point_json(point) for point in commitments.coefficients],
        "proof": two_scalar_proof_json(commitments.proof),
    }


def commitments_from_json(value: object, threshold: int) -> DealerCommitments:
    fields = exact_object(value, ("index", "commitments", "proof"))
    index = fields["index"]
    if type(index) is not int:
        raise CodecError("index must be an integer")
    points = tuple(point_from_json(p) for p in exact_list(fields["commitments"], threshold))
    return DealerCommitments(index, points, schnorr_from_json(fields["proof"]))


def partial_json(partial: PartialDecryption) -> dict[str, JsonValue]:
    return {"value": point_json(partial.share), "proof": two_scalar_proof_json(partial.proof)}


def partial_from_json(trustee: int, value: object) -> PartialDecryption:
    fields = exact_object(value, ("value", "proof"))
    share = point_from_json(fields["value"], allow_identity=True)
    return PartialDecryption(trustee, share, chaum_pedersen_from_json(fields["proof"]))


def exact_object(value: object, keys: Sequence[str]) -> Mapping[str, Any]:
    """``value`` must be a JSON object with exactly ``keys``."""
    if not isinstance(value, Mapping) or set(value) != set(keys):
        raise CodecError(f"expected an object with exactly the fields {', '.join(keys)}")
    return value


def exact_list(value: object, length: int) -> Sequence[Any]:
    if not isinstance(value, list) or len(value) != length:
        raise CodecError(f"expected a list of {length} items")
    return value
