"""Hypothesis strategies for the group, ElGamal and proof property tests.

Named ``crypto_strategies`` (not ``strategies``) so it cannot shadow a future
``tests/strategies.py``: pytest puts both directories on ``sys.path``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from crypto.elgamal import Nonce
from crypto.group import GROUP_ORDER, Point, Scalar, base_mul

scalar_ints = st.one_of(
    st.integers(min_value=0, max_value=GROUP_ORDER - 1),
    st.sampled_from([0, 1, 2, GROUP_ORDER - 2, GROUP_ORDER - 1]),
)
scalars = scalar_ints.map(Scalar.from_int)
nonzero_scalars = st.integers(min_value=1, max_value=GROUP_ORDER - 1).map(Scalar.from_int)
nonces = nonzero_scalars.map(Nonce)
points = nonzero_scalars.map(base_mul)
contexts = st.binary(min_size=0, max_size=64)


@st.composite
def other_point(draw: st.DrawFn, avoid: Point) -> Point:
    """A valid point different from ``avoid``."""
    return draw(points.filter(lambda candidate: candidate != avoid))


@st.composite
def other_scalar(draw: st.DrawFn, avoid: Scalar) -> Scalar:
    """A scalar different from ``avoid``."""
    return draw(scalars.filter(lambda candidate: candidate != avoid))
