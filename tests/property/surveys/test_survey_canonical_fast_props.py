"""The fast canonical JSON of answer lines gives exactly the bytes of
``crypto.canonical.canonical_json`` (RFC 8785), or raises as it does.

Generated values include what the fast path must hand over: keys above U+FFFF (UTF-16
order differs from code-point order), keys near U+E000, control characters, lone
surrogates, floats and integers beyond the safe range.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import MAX_SAFE_INTEGER, CanonicalError, canonical_json
from surveys.canonical_fast import canonical, is_canonical

_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1f", "\x7f", '"', "\\", "\u2028", "\ue000", "😀", "\ud800"]),
    ),
    max_size=12,
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=20,
)


def _outcome(encode: object, value: object) -> bytes | str:
    try:
        return encode(value)  # type: ignore[operator, no-any-return]
    except CanonicalError:
        return "refused"


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_same_bytes_or_same_refusal_as_rfc8785(value: object) -> None:
    assert _outcome(canonical, value) == _outcome(canonical_json, value)


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ue000": 2, "a": 3},  # UTF-16 order differs from code points
        {"t": 'tab\tnew\nline\x01\x1f\x7f\u2028 quote" back\\'},
        {"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER, "list": [True, False, None]},
        {"answers": {"q1": "o1", "q5": {"app": 3, "web": 10}}, "audience": "members"},
    ],
)
def test_known_differences_take_the_exact_path(value: object) -> None:
    assert canonical(value) == canonical_json(value)  # type: ignore[arg-type]
    assert is_canonical(value, canonical_json(value))  # type: ignore[arg-type]
    assert not is_canonical(value, canonical_json(value) + b" ")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [{"f": 1.5}, {"big": MAX_SAFE_INTEGER + 1}, {"s": "\ud800"}])
def test_outside_the_subset_is_refused_as_before(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical(value)  # type: ignore[arg-type]
