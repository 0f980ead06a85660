"""The browser's survey client (frontend/src/survey/format.js) agrees byte for byte with
Python (surveys/answer_format.py, surveys/client.py, surveys/definition.py).

Runs ``tests/js/survey_harness.mjs`` under Node.js. The browser requests a credential from
a Python issuer and finishes it; the answer line it signs is compared with the line
Python signs from the same key and answers; its check of answers gives the same
canonical answers, or refuses at the same question with the same rule. Skipped only when
``node`` is not installed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from crypto.blind_rsa import BlindRsaPrivateKey, blind_sign
from crypto.blind_rsa import verify as verify_blind
from crypto.signing import Ed25519PublicKey, Ed25519SecretKey, verify
from surveys import answer_format as fmt
from surveys import client
from surveys.definition import AnswerRefused, check_answers, read_definition
from tests.js.node_harness import Harness, node_harness
from tests.surveys_support import example_definition, good_answers

SURVEY_ID = "5b0c3e1a-8d2f-4c6b-9a7e-1f2e3d4c5b6a"
FINGERPRINT = "ab" * 32


@pytest.fixture(scope="module")
def js() -> Iterator[Harness]:
    yield from node_harness(
        "survey_harness.mjs", what="the browser client", package="@noble/curves"
    )


@pytest.fixture(scope="module")
def issuer() -> BlindRsaPrivateKey:
    return BlindRsaPrivateKey.generate(2048)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(read_definition(example_definition()).document)


def _credential(
    js: Harness, issuer: BlindRsaPrivateKey, audience: str = "members"
) -> dict[str, str]:
    spki = issuer.public_key.to_der().hex()
    secret = secrets.token_hex(15)
    request = js.call(
        "request", id="c", secret=secret, survey=SURVEY_ID, audience=audience, issuer_spki=spki
    )
    again = js.call(
        "request", id="c", secret=secret, survey=SURVEY_ID, audience=audience, issuer_spki=spki
    )
    # Derived from the stored secret: a retry after a lost answer sends the same bytes.
    assert again == request
    blind = blind_sign(issuer, bytes.fromhex(request["blinded_msg"]))
    return dict(js.call("finish", id="c", blind_signature=blind.hex()))


@pytest.mark.parametrize(
    ("audience", "key"),
    [("members", "00" * 32), ("guests", "ff" * 31 + "0e"), ("members/c12", "a1" * 32)],
)
def test_credential_message_is_the_same(js: Harness, audience: str, key: str) -> None:
    browser = js.call("credential_message", survey=SURVEY_ID, audience=audience, public_key=key)
    assert bytes.fromhex(browser) == fmt.credential_message(SURVEY_ID, audience, key)


def test_a_browser_credential_verifies_in_python(js: Harness, issuer: BlindRsaPrivateKey) -> None:
    credential = _credential(js, issuer, "guests")
    message = fmt.credential_message(SURVEY_ID, "guests", credential["public_key"])
    prefix, signature = bytes.fromhex(credential["prefix"]), bytes.fromhex(credential["signature"])
    assert verify_blind(issuer.public_key, prefix + message, signature)
    seed = Ed25519SecretKey.from_hex(credential["seed"])
    assert seed.public_key.hex() == credential["public_key"]


@pytest.mark.parametrize("name", ["members", "members/c3"])
def test_the_answer_line_is_the_same_bytes(
    js: Harness, issuer: BlindRsaPrivateKey, manifest: dict[str, Any], name: str
) -> None:
    """Also for a member of a breakdown class (record §8): the line carries the class."""
    credential = _credential(js, issuer, name)
    answers = good_answers()
    answers["q9"] = "Köln – „Mitte“ \U0001f600"  # non-ASCII, an astral character
    answers["q3"] = ["klima", "bildung"]  # not in option order: both sort it
    browser = js.call(
        "answer_line", manifest=manifest, fingerprint=FINGERPRINT, survey=SURVEY_ID,
        audience=name, credential=credential, answers=answers,
    )  # fmt: skip
    held = client.SurveyCredential(
        SURVEY_ID, name, Ed25519SecretKey.from_hex(credential["seed"]),
        bytes.fromhex(credential["prefix"]), bytes.fromhex(credential["signature"]),
    )  # fmt: skip
    python = client.answer_line(read_definition(manifest), FINGERPRINT, held, answers)
    assert bytes.fromhex(browser["line"]) == python
    assert browser["hash"] == fmt.answer_leaf(python).hex()
    line = json.loads(python)
    assert line.get("class") == fmt.split_name(name)[1]
    message = fmt.credential_message(SURVEY_ID, name, line["credential"]["public_key"])
    prefix = bytes.fromhex(line["credential"]["prefix"])
    assert verify_blind(
        issuer.public_key, prefix + message, bytes.fromhex(line["credential"]["signature"])
    )
    key = Ed25519PublicKey.from_hex(line["credential"]["public_key"])
    assert verify(key, fmt.ANSWER_LABEL, fmt.signed_payload(line), bytes.fromhex(line["signature"]))


def _cases() -> list[tuple[str, dict[str, Any]]]:
    good = good_answers()
    without = {k: v for k, v in good.items() if k != "q4"}
    return [
        ("all answered", good),
        ("optional ones left out", {k: good[k] for k in ("q1", "q2", "q3", "q5")}),
        ("condition false, answer left out", {**without, "q2": "no"}),
        ("condition false but answered", {**good, "q2": "no"}),
        ("unknown option", {**good, "q1": "täglich"}),
        ("unknown question", {**good, "q99": "x"}),
        ("required missing", {k: v for k, v in good.items() if k != "q1"}),
        ("too many choices", {**good, "q3": ["klima", "bildung", "rente"]}),
        ("too few choices", {**good, "q3": []}),
        ("repeated option", {**good, "q7": ["a", "a"]}),
        ("ranking too long", {**good, "q7": ["a", "b", "c"]}),
        ("scale out of range", {**good, "q5": 6}),
        ("scale not a number", {**good, "q5": "4"}),
        ("scale is a boolean", {**good, "q5": True}),
        ("matrix missing a statement", {**good, "q6": {"web": 3}}),
        ("matrix out of range", {**good, "q6": {"web": 11, "app": 0}}),
        ("number below its range", {**good, "q8": 13}),
        ("text over the limit", {**good, "q4": "x" * 201}),
        ("text at the limit, astral", {**good, "q4": "\U0001f600" * 200}),
        ("text only spaces", {**good, "q9": "   "}),
        ("text is a list", {**good, "q9": ["Köln"]}),
        ("answers not an object", []),  # type: ignore[dict-item]
    ]


@pytest.mark.parametrize(("case", "answers"), _cases(), ids=[c for c, _ in _cases()])
def test_the_browser_checks_answers_as_python(
    js: Harness, manifest: dict[str, Any], case: str, answers: Any
) -> None:
    try:
        expected: Any = ("ok", check_answers(read_definition(manifest), answers))
    except AnswerRefused as refused:
        expected = ("refused", refused.question, refused.code)
    browser = js.ask("check", manifest=manifest, answers=answers)
    got = (
        ("ok", browser["result"])
        if browser["ok"]
        else ("refused", browser["question"], browser["code"])
    )
    assert got == expected, case


def _several_values_cases() -> list[tuple[str, str, list[str], dict[str, Any]]]:
    """Conditions on several values (the staff's form ticks several options): q4 asked if
    q2 is yes or abstain, q8 asked if any of "klima" and "rente" is chosen in q3."""
    good = good_answers()
    return [
        ("second value holds", "q4", ["abstain", "yes"], {**good, "q2": "abstain"}),
        ("first value holds", "q4", ["abstain", "yes"], good),
        ("no value holds, answered", "q4", ["abstain", "yes"], {**good, "q2": "no"}),
        ("one chosen option holds", "q8", ["klima", "rente"], {**good, "q3": ["bildung", "rente"]}),
        ("no chosen option holds", "q8", ["klima", "rente"], {**good, "q3": ["bildung"]}),
    ]


@pytest.mark.parametrize(
    ("case", "question", "values", "answers"),
    _several_values_cases(),
    ids=[c[0] for c in _several_values_cases()],
)
def test_a_condition_on_several_values_is_applied_as_in_python(
    *,
    js: Harness,
    manifest: dict[str, Any],
    case: str,
    question: str,
    values: list[str],
    answers: dict[str, Any],
) -> None:
    changed = json.loads(json.dumps(manifest))
    target = "q2" if question == "q4" else "q3"
    for section in changed["sections"]:
        for spec in section["questions"]:
            if spec["id"] == question:
                spec["condition"] = {"question": target, "in": values}
                spec["required"] = False
    changed = dict(read_definition(changed).document)
    try:
        expected: Any = ("ok", check_answers(read_definition(changed), answers))
    except AnswerRefused as refused:
        expected = ("refused", refused.question, refused.code)
    browser = js.ask("check", manifest=changed, answers=answers)
    got = (
        ("ok", browser["result"])
        if browser["ok"]
        else ("refused", browser["question"], browser["code"])
    )
    assert got == expected, case
    assert expected[0] == ("refused" if case.startswith("no ") else "ok"), expected


def test_shuffling_is_a_permutation_fixed_by_the_credential(js: Harness) -> None:
    first = js.call("shuffle", public_key="11" * 32, question="q3", n=12)
    assert sorted(first) == list(range(12))
    assert js.call("shuffle", public_key="11" * 32, question="q3", n=12) == first
    others = {
        tuple(js.call("shuffle", public_key=f"{i:02x}" * 32, question="q3", n=12))
        for i in range(20, 26)
    }
    assert len(others | {tuple(first)}) > 1, "every credential got the same order"
