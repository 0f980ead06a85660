"""Record format v3 (§2, §7): the election fingerprint and the outcome statement.

Both protect against an operator who rewrites the record after the fact. The
**fingerprint** binds the manifest hash, the issuer key and the board key; the trustees'
proofs of knowledge at the key ceremony are bound to it, so another issuer or board key
breaks every dealer proof. The **outcome statement** binds the fingerprint, the roll
(commitment and counts), the issuance list (Merkle root and count), the final board
checkpoint (size and root), the joint election key and the confirmed postal line with
its two trustee signatures (§7.3); every partial decryption's
Chaum–Pedersen proof is bound to its hash, so changing any of them after the trustees
decrypted breaks every share unless ``t`` trustees collude.

Used by the verifier and by the engine (which writes what the verifier reads): the
formulas are §0/§2/§7 of ``docs/election-record.md``; ``tests/support/record_builder.py``
writes them out again independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ballots.record._fields import (
    HASH_BYTES,
    POINT_BYTES,
    Loc,
    as_hex,
    as_int,
    as_list,
    as_object,
    as_str,
)
from crypto.canonical import JsonValue, domain_hash

FINGERPRINT_LABEL: Final = "stimmwerk/election-fingerprint/v3"
STATEMENT_LABEL: Final = "stimmwerk/outcome-statement/v3"
COMMISSION_MEMBER_LABEL: Final = "stimmwerk/commission-member/v3"
CONFIRMATION_STEPS: Final = ("entered", "confirmed")
_KEYS: Final = ("fingerprint", "roll", "issuance", "board", "postal")
_KEYS_SIGNED: Final = ("fingerprint", "joint_public_key", "roll", "issuance", "board", "postal")
SIGNATURE_BYTES: Final = 64


def fingerprint_document(
    manifest_hash_hex: str, issuer_variant: str, issuer_spki_hex: str, board_public_key_hex: str
) -> dict[str, JsonValue]:
    """The object the fingerprint hashes (§2)."""
    return {
        "manifest_hash": manifest_hash_hex,
        "issuer": {"variant": issuer_variant, "public_key_spki": issuer_spki_hex},
        "board_public_key": board_public_key_hex,
    }


def election_fingerprint(
    manifest_hash_hex: str, issuer_variant: str, issuer_spki_hex: str, board_public_key_hex: str
) -> bytes:
    """``H("stimmwerk/election-fingerprint/v3", {manifest_hash, issuer, board_public_key})``."""
    document = fingerprint_document(
        manifest_hash_hex, issuer_variant, issuer_spki_hex, board_public_key_hex
    )
    return domain_hash(FINGERPRINT_LABEL, document)


def commission_member_tag(election_id: str, account_id: str) -> str:
    """A commission member's pseudonym in one election's statement (no personal data)."""
    return domain_hash(
        COMMISSION_MEMBER_LABEL, {"election": election_id, "account": account_id}
    ).hex()


def statement_hash(value: JsonValue) -> bytes:
    """``H("stimmwerk/outcome-statement/v3", statement)``: the decryption proofs' context."""
    return domain_hash(STATEMENT_LABEL, value)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One confirmation of the postal line: by a trustee's signature (§7.3), or, in a
    record made before signed confirmations, by a commission member's pseudonym."""

    step: str
    member: bytes | None = None
    trustee: int | None = None
    signature: bytes | None = None


@dataclass(frozen=True, slots=True)
class PostalQuestion:
    counts: tuple[int, ...]
    invalid: int


@dataclass(frozen=True, slots=True)
class Statement:
    """The parsed outcome statement of tally.json (§7); ``value`` is what is hashed."""

    fingerprint: bytes
    roll_commitment: bytes
    eligible: int
    online: int
    postal: int
    issuance_root: bytes
    issued: int
    board_size: int
    board_root: bytes
    envelopes: int
    postal_questions: tuple[PostalQuestion, ...]
    confirmations: tuple[Confirmation, ...]
    value: JsonValue = field(compare=False, repr=False)
    joint_public_key: bytes | None = None
    """The joint election key; None in a statement made before signed confirmations."""

    @property
    def signed(self) -> bool:
        """True for the statement form with the joint key and signed confirmations."""
        return self.joint_public_key is not None


def _postal_question(value: object, loc: Loc) -> PostalQuestion:
    data = as_object(value, loc, ("counts", "invalid"))
    counts = as_list(data["counts"], loc.key("counts"), min_len=1)
    return PostalQuestion(
        tuple(as_int(c, loc.key("counts").index(i)) for i, c in enumerate(counts)),
        as_int(data["invalid"], loc.key("invalid")),
    )


def _confirmation(value: object, loc: Loc, *, signed: bool) -> Confirmation:
    data = as_object(value, loc, ("step", "trustee", "signature") if signed else ("step", "member"))
    step = as_str(data["step"], loc.key("step"))
    if step not in CONFIRMATION_STEPS:
        raise loc.key("step").error(f"expected one of {', '.join(CONFIRMATION_STEPS)}")
    if signed:
        return Confirmation(
            step,
            trustee=as_int(data["trustee"], loc.key("trustee")),
            signature=as_hex(data["signature"], loc.key("signature"), SIGNATURE_BYTES),
        )
    return Confirmation(step, member=as_hex(data["member"], loc.key("member"), HASH_BYTES))


def parse_statement(value: object, loc: Loc) -> Statement:
    """Parse the statement object; whether it matches the record is the verifier's check."""
    signed = isinstance(value, dict) and "joint_public_key" in value
    data = as_object(value, loc, _KEYS_SIGNED if signed else _KEYS)
    roll = as_object(data["roll"], loc.key("roll"), ("commitment", "eligible", "online", "postal"))
    issuance = as_object(data["issuance"], loc.key("issuance"), ("root", "issued"))
    board = as_object(data["board"], loc.key("board"), ("size", "root"))
    postal_loc = loc.key("postal")
    postal = as_object(data["postal"], postal_loc, ("envelopes", "questions", "confirmations"))
    questions = as_list(postal["questions"], postal_loc.key("questions"), min_len=1)
    confirmations = as_list(postal["confirmations"], postal_loc.key("confirmations"), max_len=2)
    return Statement(
        fingerprint=as_hex(data["fingerprint"], loc.key("fingerprint"), HASH_BYTES),
        roll_commitment=as_hex(roll["commitment"], loc.key("roll").key("commitment"), HASH_BYTES),
        eligible=as_int(roll["eligible"], loc.key("roll").key("eligible")),
        online=as_int(roll["online"], loc.key("roll").key("online")),
        postal=as_int(roll["postal"], loc.key("roll").key("postal")),
        issuance_root=as_hex(issuance["root"], loc.key("issuance").key("root"), HASH_BYTES),
        issued=as_int(issuance["issued"], loc.key("issuance").key("issued")),
        board_size=as_int(board["size"], loc.key("board").key("size")),
        board_root=as_hex(board["root"], loc.key("board").key("root"), HASH_BYTES),
        envelopes=as_int(postal["envelopes"], postal_loc.key("envelopes")),
        postal_questions=tuple(
            _postal_question(q, postal_loc.key("questions").index(i))
            for i, q in enumerate(questions)
        ),
        confirmations=tuple(
            _confirmation(c, postal_loc.key("confirmations").index(i), signed=signed)
            for i, c in enumerate(confirmations)
        ),
        value=value,  # type: ignore[arg-type]
        joint_public_key=(
            as_hex(data["joint_public_key"], loc.key("joint_public_key"), POINT_BYTES)
            if signed
            else None
        ),
    )


@dataclass(frozen=True, slots=True)
class StatementInput:
    """What the engine (or a trustee's tool) puts into a statement."""

    fingerprint_hex: str
    roll_commitment_hex: str
    eligible: int
    postal: int
    issuance_root_hex: str
    issued: int
    board_size: int
    board_root_hex: str
    envelopes: int
    postal_questions: tuple[tuple[tuple[int, ...], int], ...]
    """Per question: (counts per option, invalid)."""
    confirmations: tuple[tuple[str, str], ...] | tuple[tuple[str, int, str], ...]
    """In the order entered, confirmed; empty without postal voters. Signed (§7.3):
    (step, trustee index, signature hex); before signed confirmations: (step, member tag)."""
    joint_public_key_hex: str | None = None
    """The joint election key (bound since signed confirmations); None before."""


def _confirmation_document(item: tuple[str, str] | tuple[str, int, str]) -> JsonValue:
    if len(item) == 3:  # noqa: PLR2004
        return {"step": item[0], "trustee": item[1], "signature": item[2]}
    return {"step": item[0], "member": item[1]}


def statement_document(data: StatementInput) -> dict[str, JsonValue]:
    """The statement object (§7) the trustees bind their partial decryptions to."""
    document: dict[str, JsonValue] = {"fingerprint": data.fingerprint_hex}
    if data.joint_public_key_hex is not None:
        document["joint_public_key"] = data.joint_public_key_hex
    return document | {
        "roll": {
            "commitment": data.roll_commitment_hex,
            "eligible": data.eligible,
            "online": data.eligible - data.postal,
            "postal": data.postal,
        },
        "issuance": {"root": data.issuance_root_hex, "issued": data.issued},
        "board": {"size": data.board_size, "root": data.board_root_hex},
        "postal": {
            "envelopes": data.envelopes,
            "questions": [
                {"counts": list(counts), "invalid": invalid}
                for counts, invalid in data.postal_questions
            ],
            "confirmations": [_confirmation_document(c) for c in data.confirmations],
        },
    }
