"""Property tests for crypto.threshold: any quorum decrypts, smaller sets and forgeries fail."""

from __future__ import annotations

import dataclasses

from crypto_strategies import contexts, other_point
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from crypto import elgamal, threshold
from crypto.group import Point, Scalar, base_mul
from crypto.threshold import PartialDecryption, ThresholdParameters

SETTINGS = settings(max_examples=20, deadline=None)


@st.composite
def parameters(draw: st.DrawFn) -> ThresholdParameters:
    trustees = draw(st.integers(min_value=1, max_value=4))
    threshold_ = draw(st.integers(min_value=1, max_value=trustees))
    return ThresholdParameters(threshold=threshold_, trustees=trustees, context=draw(contexts))


def _keygen(
    params: ThresholdParameters,
) -> tuple[dict[int, Scalar], list[threshold.DealerCommitments]]:
    """Full ceremony through sealed boxes; returns every trustee's secret and the commitments."""
    indices = range(1, params.trustees + 1)
    boxes = {j: PrivateKey.generate() for j in indices}
    dealt = [threshold.deal(params, i) for i in indices]
    assert all(threshold.verify_commitments(params, published) for _, published in dealt)
    secrets = {}
    for j in indices:
        shares = []
        for dealing, published in dealt:
            sealed = threshold.seal_share(params, dealing, j, boxes[j].public_key)
            share = threshold.open_share(params, sealed, boxes[j], published)
            assert isinstance(share, Scalar)
            shares.append(share)
        secrets[j] = threshold.combine_shares(shares)
    return secrets, [published for _, published in dealt]


@SETTINGS
@given(parameters(), st.lists(st.integers(0, 1), max_size=6), st.data())
def test_any_quorum_decrypts_and_proves_the_tally(
    params: ThresholdParameters, votes: list[int], data: st.DataObject
) -> None:
    secrets, commitments = _keygen(params)
    key = threshold.joint_public_key(commitments)
    tally = elgamal.aggregate(elgamal.encrypt(key, v, elgamal.fresh_nonce()) for v in votes)
    trustee_keys = {j: threshold.verification_key(commitments, j) for j in secrets}
    assert all(trustee_keys[j] == base_mul(secret) for j, secret in secrets.items())
    quorum = data.draw(
        st.lists(st.sampled_from(sorted(secrets)), min_size=params.threshold, unique=True)
    )
    partials = [threshold.partial_decrypt(params, j, secrets[j], tally) for j in quorum]
    assert threshold.decrypt(params, tally, partials) == sum(votes)
    assert threshold.verify_decryption(params, tally, partials, trustee_keys, sum(votes))
    assert not threshold.verify_decryption(params, tally, partials, trustee_keys, sum(votes) + 1)


@SETTINGS
@given(parameters(), st.data())
def test_a_forged_partial_decryption_is_rejected(
    params: ThresholdParameters, data: st.DataObject
) -> None:
    secrets, commitments = _keygen(params)
    key = threshold.joint_public_key(commitments)
    tally = elgamal.encrypt(key, 1, elgamal.fresh_nonce())
    j = data.draw(st.sampled_from(sorted(secrets)))
    honest = threshold.partial_decrypt(params, j, secrets[j], tally)
    forged: PartialDecryption = dataclasses.replace(
        honest, share=data.draw(other_point(honest.share))
    )
    trustee_key: Point = threshold.verification_key(commitments, j)
    assert threshold.verify_partial_decryption(params, honest, tally, trustee_key)
    assert not threshold.verify_partial_decryption(params, forged, tally, trustee_key)
