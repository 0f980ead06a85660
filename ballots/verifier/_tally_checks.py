"""Checks of the counts and the tally (record format §7, §8).

The aggregate is recomputed from the ballots during the pass; the trustees' shares are
checked against that recomputed aggregate, never against the one the record states, so a
tally can only pass if it decrypts the ballots that are on the board.
"""

from __future__ import annotations

from collections.abc import Sequence

from ballots.record import (
    POSTAL_LINE_LABEL,
    Question,
    QuestionTally,
    Statement,
    postal_line_payload,
    read_tally,
    statement_hash,
)
from ballots.verifier._outcome import CheckResult, fail, passed, warned
from ballots.verifier._state import State
from crypto.elgamal import Ciphertext, encode_plaintext
from crypto.group import InvalidEncodingError, Point, Scalar
from crypto.proofs import ChaumPedersenProof
from crypto.signing import Ed25519PublicKey, verify
from crypto.threshold import (
    PartialDecryption,
    ThresholdParameters,
    combine_partials,
    verification_key,
    verify_partial_decryption,
)

TALLY = "tally.json"
BALLOTS = "ballots.jsonl"
ISSUANCE = "issuance.json"


def check_counts(state: State) -> CheckResult:
    """§8: ``ballots ≤ issued ≤ eligible − postal``."""
    ballots, issued = state.need_board().ballots, state.need_issuance().issued
    roll = state.need_roll()
    if ballots > issued:
        raise fail(
            BALLOTS, issued + 1, "", f"{ballots} ballots but only {issued} credentials were issued"
        )
    if issued > roll.eligible - roll.postal:
        raise fail(
            ISSUANCE,
            1,
            "issued",
            f"{issued} credentials for {roll.eligible - roll.postal} online-eligible members",
        )
    return passed(
        "counts.ballots_le_credentials_le_eligible",
        f"{ballots} ≤ {issued} ≤ {roll.eligible - roll.postal}",
    )


def _question_shape(tally: QuestionTally, question: Question, where: str) -> None:
    options = len(question.options)
    if tally.question != question.id:
        raise fail(TALLY, 1, f"{where}.question", f"expected question {question.id!r} here")
    for name, length in (
        ("aggregate", len(tally.aggregate)),
        ("online", len(tally.online)),
        ("result", len(tally.result)),
        ("postal.counts", len(tally.postal.counts)),
    ):
        if length != options:
            raise fail(TALLY, 1, f"{where}.{name}", f"expected {options} items, one per option")


def check_aggregate(state: State) -> CheckResult:
    """§7: every ``aggregate[o]`` is the product of ciphertext ``o`` over all ballots."""
    manifest, board = state.need_manifest(), state.need_board()
    tally = state.tally = read_tally(state.source, state.version)
    if len(tally.questions) != len(manifest.questions):
        raise fail(
            TALLY,
            1,
            "questions",
            f"expected {len(manifest.questions)} questions, as in the manifest",
        )
    if tally.ballots_counted != board.ballots:
        raise fail(TALLY, 1, "ballots_counted", f"the board holds {board.ballots} ballots")
    for q, (entry, question) in enumerate(zip(tally.questions, manifest.questions, strict=True)):
        _question_shape(entry, question, f"questions[{q}]")
        for o, (stated, computed) in enumerate(
            zip(entry.aggregate, board.aggregate[q], strict=True)
        ):
            if (stated.alpha, stated.beta) != (computed.alpha.encoded, computed.beta.encoded):
                raise fail(
                    TALLY,
                    1,
                    f"questions[{q}].aggregate[{o}]",
                    "is not the product of the ballots' ciphertexts",
                )
    state.aggregates = board.aggregate
    return passed(
        "tally.aggregate", f"{len(tally.questions)} questions over {board.ballots} ballots"
    )


def _share(
    value: bytes, challenge: bytes, response: bytes, aggregate: Ciphertext, field: str
) -> tuple[Point, ChaumPedersenProof]:
    try:
        point = Point.decode(value, allow_identity=aggregate.alpha.is_identity())
    except InvalidEncodingError as error:
        raise fail(TALLY, 1, f"{field}.value", f"not a valid group element: {error}") from error
    try:
        return point, ChaumPedersenProof(Scalar.decode(challenge), Scalar.decode(response))
    except InvalidEncodingError as error:
        raise fail(TALLY, 1, f"{field}.proof", f"not a canonical scalar: {error}") from error


def _partials(
    state: State, q: int, entry: QuestionTally, keys: dict[int, Point]
) -> list[list[PartialDecryption]]:
    """Check question ``q``'s shares; return them per option."""
    params = state.need_params()
    where = f"questions[{q}].partial_decryptions"
    if len({p.trustee for p in entry.partial_decryptions}) < params.threshold:
        raise fail(
            TALLY, 1, where, f"fewer than t = {params.threshold} distinct trustees decrypted"
        )
    per_option: list[list[PartialDecryption]] = [[] for _ in entry.aggregate]
    seen: set[int] = set()
    for k, partial in enumerate(entry.partial_decryptions):
        if not params.is_trustee(partial.trustee) or partial.trustee in seen:
            raise fail(
                TALLY, 1, f"{where}[{k}].trustee", "not a trustee index 1..n, or listed twice"
            )
        seen.add(partial.trustee)
        if len(partial.shares) != len(entry.aggregate):
            raise fail(TALLY, 1, f"{where}[{k}].shares", "expected one share per option")
        for o, share in enumerate(partial.shares):
            field, aggregate = f"{where}[{k}].shares[{o}]", state.aggregates[q][o]
            point, proof = _share(
                share.value, share.proof.challenge, share.proof.response, aggregate, field
            )
            decryption = PartialDecryption(partial.trustee, point, proof)
            if not verify_partial_decryption(params, decryption, aggregate, keys[partial.trustee]):
                message = "the share's Chaum–Pedersen proof does not verify"
                raise fail(TALLY, 1, field, message)
            per_option[o].append(decryption)
    return per_option


def decryption_params(state: State) -> ThresholdParameters:
    """§0: the partial decryptions' context, ``H(statement)`` (v3) or the manifest hash (v2)."""
    params, statement = state.need_params(), state.need_tally().statement
    if statement is None:
        return params
    return ThresholdParameters(params.threshold, params.trustees, statement_hash(statement.value))


def check_decryption_proofs(state: State) -> CheckResult:
    """§7: at least t distinct trustees per question, every share proven against ``X_j``."""
    tally, params = state.need_tally(), state.need_params()
    state.params = decryption_params(state)
    keys = {j: verification_key(state.dealers, j) for j in range(1, params.trustees + 1)}
    state.partials = [_partials(state, q, entry, keys) for q, entry in enumerate(tally.questions)]
    shares = sum(len(p) for question in state.partials for p in question)
    return passed("tally.decryption_proofs", f"{shares} shares verified")


def check_decryption(state: State) -> CheckResult:
    """§7: ``β / Π M_j^{λ_j} = g^{online[o]}`` with ``0 ≤ online[o] ≤ ballots_counted``."""
    tally, params = state.need_tally(), state.need_params()
    for q, entry in enumerate(tally.questions):
        for o, count in enumerate(entry.online):
            field = f"questions[{q}].online[{o}]"
            if count > tally.ballots_counted:
                raise fail(TALLY, 1, field, f"exceeds the {tally.ballots_counted} ballots counted")
            combined = combine_partials(params, state.aggregates[q][o], state.partials[q][o])
            if combined != encode_plaintext(count):
                raise fail(TALLY, 1, field, "is not what the partial decryptions combine to")
    return passed(
        "tally.decryption", f"{sum(len(e.online) for e in tally.questions)} option counts"
    )


def _postal_plausible(entry: QuestionTally, question: Question, where: str) -> None:
    """§7 "Postal line": rules P1–P6 (P1, non-negative, is the parser's)."""
    postal = entry.postal
    if postal.invalid > postal.envelopes:
        raise fail(TALLY, 1, f"{where}.postal.invalid", "more invalid papers than envelopes")
    votes, valid = sum(postal.counts), postal.envelopes - postal.invalid
    for o, count in enumerate(postal.counts):
        if count > valid:
            raise fail(
                TALLY,
                1,
                f"{where}.postal.counts[{o}]",
                f"{count} crosses for one option from {valid} valid papers (at most one each)",
            )
    exactly_one = question.min_selections == question.max_selections == 1
    if exactly_one and votes != valid:
        raise fail(
            TALLY,
            1,
            f"{where}.postal.counts",
            f"{votes} votes for {valid} valid papers (exactly one each)",
        )
    if votes > question.max_selections * valid:
        raise fail(
            TALLY,
            1,
            f"{where}.postal.counts",
            f"{votes} votes exceed {question.max_selections} per valid paper",
        )


def check_result(state: State) -> CheckResult:
    """§7: ``result = online + postal.counts``; the postal line is plausible."""
    tally, manifest, roll = state.need_tally(), state.need_manifest(), state.need_roll()
    envelopes = tally.turnout.postal_envelopes
    if envelopes > roll.postal:
        raise fail(
            TALLY,
            1,
            "turnout.postal_envelopes",
            f"exceeds the {roll.postal} postal voters on the roll",
        )
    for q, (entry, question) in enumerate(zip(tally.questions, manifest.questions, strict=True)):
        where = f"questions[{q}]"
        if entry.postal.envelopes != envelopes:
            raise fail(
                TALLY, 1, f"{where}.postal.envelopes", "differs from turnout.postal_envelopes"
            )
        _postal_plausible(entry, question, where)
        _sums(entry.result, entry.online, entry.postal.counts, f"{where}.result")
    return passed("tally.result", f"{len(tally.questions)} questions, {envelopes} postal envelopes")


def _sums(result: Sequence[int], online: Sequence[int], postal: Sequence[int], where: str) -> None:
    for o, (total, first, second) in enumerate(zip(result, online, postal, strict=True)):
        if total != first + second:
            raise fail(
                TALLY, 1, f"{where}[{o}]", f"{total} is not online {first} + postal {second}"
            )


def check_quorum(state: State) -> CheckResult:
    """§7: turnout figures, ``quorum_met`` and ``binding``."""
    tally, manifest, roll = state.need_tally(), state.need_manifest(), state.need_roll()
    turnout = tally.turnout
    participants = turnout.online_ballots + turnout.postal_envelopes
    percent = 10000 * participants // turnout.eligible if turnout.eligible else 0
    quorum = manifest.quorum
    expected = (
        ("turnout.eligible", turnout.eligible, roll.eligible),
        ("turnout.online_ballots", turnout.online_ballots, tally.ballots_counted),
        ("turnout.participants", turnout.participants, participants),
        ("turnout.percent_x100", turnout.percent_x100, percent),
        ("quorum_met", tally.quorum_met, quorum is None or percent >= 100 * quorum.min_percent),
        ("binding", tally.binding, tally.quorum_met),
    )
    for field, stated, computed in expected:
        if stated != computed:
            raise fail(TALLY, 1, field, f"is {stated}, expected {computed}")
    rule = "no quorum" if quorum is None else f"quorum {quorum.min_percent} %"
    return passed(
        "tally.quorum", f"turnout {percent / 100:.2f} %, {rule}, binding: {tally.binding}"
    )


V2_NO_STATEMENT = (
    "version-2 record: no outcome statement, so the roll, the issuance list, the board and "
    "the postal line are not bound to the trustees' decryption proofs (record format §7)"
)


def _expect(where: str, stated: object, computed: object, what: str) -> None:
    if stated != computed:
        raise fail(TALLY, 1, f"statement.{where}", f"is {stated!r}, but {what} gives {computed!r}")


def _statement_postal(state: State, statement: Statement) -> None:
    tally, roll = state.need_tally(), state.need_roll()
    _expect("postal.envelopes", statement.envelopes, tally.turnout.postal_envelopes, "the tally")
    if len(statement.postal_questions) != len(tally.questions):
        raise fail(TALLY, 1, "statement.postal.questions", "expected one line per question")
    for q, (line, entry) in enumerate(
        zip(statement.postal_questions, tally.questions, strict=True)
    ):
        where = f"postal.questions[{q}]"
        _expect(f"{where}.counts", line.counts, entry.postal.counts, "the tally's postal line")
        _expect(f"{where}.invalid", line.invalid, entry.postal.invalid, "the tally's postal line")
    steps = tuple(c.step for c in statement.confirmations)
    who = {c.trustee if statement.signed else c.member for c in statement.confirmations}
    if roll.postal == 0:
        _expect("postal.confirmations", len(steps), 0, "a roll without postal voters")
    elif steps != ("entered", "confirmed") or len(who) < 2:  # noqa: PLR2004
        by = "trustees" if statement.signed else "members"
        raise fail(
            TALLY,
            1,
            "statement.postal.confirmations",
            f"a postal line needs two confirmations (entered, confirmed) by different {by}",
        )


def _statement_form(state: State, statement: Statement) -> None:
    """§7.2: with trustee signing keys, the statement binds the joint key and is signed."""
    keys = state.need_keys()
    if not state.signing_keys:
        if statement.signed:
            raise fail(
                TALLY, 1, "statement.joint_public_key", "keys.json lists no trustee signing keys"
            )
        return
    if not statement.signed:
        raise fail(
            TALLY,
            1,
            "statement",
            "the trustees have signing keys, so the statement must carry joint_public_key "
            "and signed confirmations",
        )
    assert statement.joint_public_key is not None
    _expect(
        "joint_public_key", statement.joint_public_key.hex(), keys.joint_public_key.hex(), "keys"
    )


def check_statement(state: State) -> CheckResult:
    """§7 (v3): the statement the trustees bound their shares to is this record's."""
    statement = state.need_tally().statement
    if statement is None:
        return warned("tally.statement", V2_NO_STATEMENT)
    roll, board, issuance = state.need_roll(), state.need_board(), state.need_issuance()
    _expect("fingerprint", statement.fingerprint.hex(), state.fingerprint.hex(), "keys.json")
    _expect("roll.commitment", statement.roll_commitment.hex(), roll.commitment.hex(), "roll.json")
    _expect("roll.eligible", statement.eligible, roll.eligible, "roll.json")
    _expect("roll.postal", statement.postal, roll.postal, "roll.json")
    _expect("roll.online", statement.online, roll.entry_count, "roll.json")
    _expect("issuance.root", statement.issuance_root.hex(), state.issuance_root.hex(), "issuance")
    _expect("issuance.issued", statement.issued, issuance.issued, "issuance.json")
    _expect("board.size", statement.board_size, board.final_size, "the board")
    _expect("board.root", statement.board_root.hex(), board.final_root.hex(), "the board")
    _statement_form(state, statement)
    _statement_postal(state, statement)
    joint = ", joint key" if statement.signed else ""
    return passed(
        "tally.statement",
        f"roll, issuance, board (size {board.final_size}){joint} and postal line as the "
        "trustees bound",
    )


UNSIGNED_POSTAL = (
    "no trustee signing keys: the postal line's two confirmations are not signatures by "
    "keys the operator does not control (a record made before signed confirmations, "
    "record format §7.3)"
)


def check_postal_signatures(state: State) -> CheckResult:
    """§7.3: the two confirmations are strict Ed25519 signatures by two registered trustees."""
    statement = state.need_tally().statement
    if statement is None or not state.signing_keys:
        return warned("tally.postal_signatures", UNSIGNED_POSTAL)
    if not statement.confirmations:
        return passed("tally.postal_signatures", "no postal voters, nothing to sign")
    questions = [(q.counts, q.invalid) for q in statement.postal_questions]
    signers = []
    for position, confirmation in enumerate(statement.confirmations):
        where = f"statement.postal.confirmations[{position}]"
        key = state.signing_keys.get(confirmation.trustee or 0)
        if key is None:
            raise fail(TALLY, 1, f"{where}.trustee", f"{confirmation.trustee} is not a trustee")
        payload = postal_line_payload(
            statement.fingerprint.hex(), confirmation.step, statement.envelopes, questions
        )
        assert confirmation.signature is not None
        if not verify(Ed25519PublicKey(key), POSTAL_LINE_LABEL, payload, confirmation.signature):
            raise fail(
                TALLY,
                1,
                f"{where}.signature",
                f"is not trustee {confirmation.trustee}'s signature of this postal line "
                f"({confirmation.step})",
            )
        signers.append(str(confirmation.trustee))
    return passed(
        "tally.postal_signatures", f"entered by trustee {signers[0]}, confirmed by {signers[1]}"
    )
