"""Canonical JSON (RFC 8785) restricted to the JS-safe subset.

Vectors: cyberphone/json-canonicalization testdata/input/*.json and testdata/output/*.json
(the test data of RFC 8785's author; testdata/outhex/simpleString.txt for the
byte-level check). Inputs with floats are used to show that ``canonical_json`` refuses
them while the underlying RFC 8785 serialiser handles them per the RFC.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    CanonicalError,
    canonical_json,
    domain_hash,
    domain_hash_hex,
    from_hex,
    sha256_hex,
    to_hex,
)

# (input JSON text, expected canonical output) from cyberphone/json-canonicalization.
FLOAT_FREE_VECTORS = {
    "french": (
        (
            '{\n  "peach": "This sorting order",\n  "péché": "is wrong according to French",\n'
            '  "pêche": "but canonicalization MUST",\n  "sin":   "ingnore locale"\n}\n'
        ),
        (
            '{"peach":"This sorting order","péché":"is wrong according to French",'
            '"pêche":"but canonicalization MUST","sin":"ingnore locale"}'
        ),
    ),
    "unicode": (
        '{\n  "Unnormalized Unicode":"\\u1e0d\\u0307"\n}\n',
        '{"Unnormalized Unicode":"\u1e0d\u0307"}',
    ),
    "weird": (
        (
            '{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n'
            '  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n'
            '  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n'
        ),
        (
            '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
            '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
            '"\U0001f602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
        ),
    ),
    "simpleString": ('    "this is a test string 1235"', '"this is a test string 1235"'),
}
WITH_FLOATS = {
    "structures": (
        (
            '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n'
            '  "a": { },\n  "111": [ { } ],\n  "A": { }\n}'
        ),
        '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ),
    "values": (
        (
            '{\n  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n'
            '  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
            '  "literals": [null, true, false]\n}'
        ),
        (
            '{"escaping":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],'
            '"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}'
        ),
    ),
}


@pytest.mark.parametrize("name", FLOAT_FREE_VECTORS)
def test_rfc8785_vectors(name: str) -> None:
    text, expected = FLOAT_FREE_VECTORS[name]
    assert canonical_json(json.loads(text)) == expected.encode("utf-8")


def test_simple_string_bytes() -> None:
    outhex = "22 74 68 69 73 20 69 73 20 61 20 74 65 73 74 20 73 74 72 69 6E 67 20 31 32 33 35 22"
    assert canonical_json("this is a test string 1235") == bytes.fromhex(outhex.replace(" ", ""))


@pytest.mark.parametrize("name", WITH_FLOATS)
def test_float_vectors_rejected_by_safe_subset(name: str) -> None:
    text, expected = WITH_FLOATS[name]
    value = json.loads(text)
    assert rfc8785.dumps(value) == expected.encode("utf-8")  # the library conforms ...
    with pytest.raises(CanonicalError):  # ... but we never hash floats
        canonical_json(value)


def test_key_order_is_utf16_code_units() -> None:
    # U+1F602 (UTF-16 D83D DE02) sorts before U+FB33 although its code point is larger.
    assert canonical_json({"\ufb33": 1, "\U0001f602": 2}) == '{"\U0001f602":2,"\ufb33":1}'.encode()


@pytest.mark.parametrize(
    "bad",
    [
        1.0,
        float("nan"),
        b"bytes",
        {1: "non-string key"},
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        "\ud800",  # lone surrogate
        {1, 2},
        [[[0.5]]],
    ],
)
def test_rejects_unsafe_values(bad: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_json(bad)  # type: ignore[arg-type]


def test_integer_limits_and_tuples() -> None:
    assert (
        canonical_json([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
        == b"[9007199254740991,-9007199254740991]"
    )
    assert canonical_json((True, False, None)) == b"[true,false,null]"


def test_depth_limit() -> None:
    value: object = []
    for _ in range(MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(CanonicalError):
        canonical_json(value)  # type: ignore[arg-type]


def test_domain_separated_hashes() -> None:
    value = {"a": 1}
    body = b'{"a":1}'
    assert sha256_hex(value) == hashlib.sha256(body).hexdigest()
    assert (
        domain_hash("stimmwerk/ballot/v1", value)
        == hashlib.sha256(b"stimmwerk/ballot/v1\x00" + body).digest()
    )
    assert domain_hash_hex("x", value) != domain_hash_hex("y", value)
    for label in ("", "Upper", "a\x00b", "a b", "x" * 129):
        with pytest.raises(CanonicalError):
            domain_hash(label, value)


def test_hex_helpers() -> None:
    assert to_hex(b"\x00\xab") == "00ab"
    assert from_hex("00ab") == b"\x00\xab"
    for bad in ("00AB", "abc", "zz", 12):
        with pytest.raises(CanonicalError):
            from_hex(bad)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(value=json_values)
def test_canonical_form_is_a_fixed_point(value: object) -> None:
    """Parsing canonical JSON and re-encoding it yields the same bytes (and value)."""
    encoded = canonical_json(value)  # type: ignore[arg-type]
    parsed = json.loads(encoded)
    assert parsed == value
    assert canonical_json(parsed) == encoded
