"""Unit tests for crypto.threshold: key generation, share delivery, complaints, decryption."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from nacl import bindings as sodium
from nacl.public import PrivateKey, SealedBox

from crypto import elgamal, threshold, transcript
from crypto.group import ONE, Point, Scalar, base_mul
from crypto.proofs import ChaumPedersenProof
from crypto.threshold import (
    DealerCommitments,
    Dealing,
    EncryptedShare,
    PartialDecryption,
    ShareComplaint,
    ThresholdParameters,
)

if TYPE_CHECKING:
    from crypto.elgamal import Ciphertext, SecretKey

PARAMS = ThresholdParameters(threshold=2, trustees=3, context=b"election-hash")


@dataclass
class Ceremony:
    """The public and private outcome of an honest key generation."""

    dealings: list[Dealing]
    commitments: list[DealerCommitments]
    box_keys: list[PrivateKey]
    secrets: dict[int, SecretKey]


def run_ceremony(params: ThresholdParameters = PARAMS) -> Ceremony:
    indices = range(1, params.trustees + 1)
    box_keys = [PrivateKey.generate() for _ in indices]
    dealt = [threshold.deal(params, i) for i in indices]
    dealings = [dealing for dealing, _ in dealt]
    commitments = [published for _, published in dealt]
    secrets: dict[int, SecretKey] = {}
    for j in indices:
        received = []
        for dealing, published in dealt:
            sealed = threshold.seal_share(params, dealing, j, box_keys[j - 1].public_key)
            share = threshold.open_share(params, sealed, box_keys[j - 1], published)
            assert isinstance(share, Scalar)
            received.append(share)
        secrets[j] = threshold.combine_shares(received)
    return Ceremony(dealings, commitments, box_keys, secrets)


@pytest.fixture(scope="module")
def ceremony() -> Ceremony:
    return run_ceremony()


def test_parameters_are_validated() -> None:
    for t, n in [(0, 3), (4, 3), (1, 0), (2, threshold.MAX_TRUSTEES + 1)]:
        with pytest.raises(ValueError, match="t ≤ n"):
            ThresholdParameters(threshold=t, trustees=n, context=b"")


def test_honest_commitments_verify(ceremony: Ceremony) -> None:
    for published in ceremony.commitments:
        assert threshold.verify_commitments(PARAMS, published)
        assert len(published.coefficients) == PARAMS.threshold


def test_commitments_bound_to_dealer_parameters_and_context(ceremony: Ceremony) -> None:
    published = ceremony.commitments[0]
    copied = dataclasses.replace(published, dealer=2)  # dealer 2 copying dealer 1
    assert not threshold.verify_commitments(PARAMS, copied)
    for other in (
        dataclasses.replace(PARAMS, context=b"other election"),
        ThresholdParameters(threshold=2, trustees=4, context=PARAMS.context),
    ):
        assert not threshold.verify_commitments(other, published)
    truncated = dataclasses.replace(published, coefficients=published.coefficients[:1])
    assert not threshold.verify_commitments(PARAMS, truncated)
    swapped = dataclasses.replace(published, coefficients=published.coefficients[::-1])
    assert not threshold.verify_commitments(PARAMS, swapped)
    outsider = dataclasses.replace(published, dealer=4)
    assert not threshold.verify_commitments(PARAMS, outsider)


def test_joint_key_and_verification_keys_match_the_secrets(ceremony: Ceremony) -> None:
    joint = threshold.joint_public_key(ceremony.commitments)
    constant_terms = [dealing.coefficients[0] for dealing in ceremony.dealings]
    total = constant_terms[0] + constant_terms[1] + constant_terms[2]
    assert joint == base_mul(total)
    for j, secret in ceremony.secrets.items():
        assert threshold.verification_key(ceremony.commitments, j) == base_mul(secret)


def test_any_t_secrets_interpolate_the_joint_secret(ceremony: Ceremony) -> None:
    joint = threshold.joint_public_key(ceremony.commitments)
    for subset in itertools.combinations(ceremony.secrets, 2):
        weights = threshold.lagrange_at_zero(list(subset))
        combined = weights[subset[0]] * ceremony.secrets[subset[0]]
        combined = combined + weights[subset[1]] * ceremony.secrets[subset[1]]
        assert base_mul(combined) == joint


def test_lagrange_rejects_repeated_or_zero_indices() -> None:
    for indices in ([1, 1], [0, 2]):
        with pytest.raises(ValueError, match="distinct"):
            threshold.lagrange_at_zero(indices)


# --- share delivery and complaints --------------------------------------------------------


def _cheating_dealing(dealing: Dealing) -> Dealing:
    """The same dealer, but a polynomial that does not match its commitments."""
    return dataclasses.replace(
        dealing, coefficients=(dealing.coefficients[0] + ONE, *dealing.coefficients[1:])
    )


def test_a_wrong_share_yields_a_complaint_anyone_can_check(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[1]
    bad = threshold.seal_share(
        PARAMS, _cheating_dealing(ceremony.dealings[0]), 2, recipient_key.public_key
    )
    complaint = threshold.open_share(PARAMS, bad, recipient_key, ceremony.commitments[0])
    assert isinstance(complaint, ShareComplaint)
    assert complaint.box_key is not None
    args = (bad, recipient_key.public_key, ceremony.commitments[0])
    assert threshold.verify_complaint(PARAMS, complaint, *args)


def test_a_lying_recipient_cannot_frame_an_honest_dealer(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[1]
    good = threshold.seal_share(PARAMS, ceremony.dealings[0], 2, recipient_key.public_key)
    assert isinstance(
        threshold.open_share(PARAMS, good, recipient_key, ceremony.commitments[0]), Scalar
    )
    args = (good, recipient_key.public_key, ceremony.commitments[0])
    ephemeral = good.sealed[:32]
    true_key = sodium.crypto_box_beforenm(ephemeral, bytes(recipient_key))
    wrong_key = sodium.crypto_box_beforenm(ephemeral, bytes(PrivateKey.generate()))
    # The true key opens the box to a good share: no fault. A wrong key opens nothing.
    assert not threshold.verify_complaint(PARAMS, ShareComplaint(1, 2, true_key), *args)
    assert not threshold.verify_complaint(PARAMS, ShareComplaint(1, 2, wrong_key), *args)
    assert not threshold.verify_complaint(PARAMS, ShareComplaint(1, 2, None), *args)
    assert not threshold.verify_complaint(PARAMS, ShareComplaint(1, 3, true_key), *args)
    assert not threshold.verify_complaint(PARAMS, ShareComplaint(1, 2, b"short"), *args)


def test_a_share_framed_for_someone_else_is_a_justified_complaint(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[1]
    dealing = ceremony.dealings[0]
    # Dealer 1 sends trustee 2 the (valid) share meant for trustee 3, framed for 3.
    for_three = threshold.seal_share(PARAMS, dealing, 3, recipient_key.public_key)
    misdirected = EncryptedShare(dealer=1, recipient=2, sealed=for_three.sealed)
    complaint = threshold.open_share(PARAMS, misdirected, recipient_key, ceremony.commitments[0])
    assert isinstance(complaint, ShareComplaint)
    args = (misdirected, recipient_key.public_key, ceremony.commitments[0])
    assert threshold.verify_complaint(PARAMS, complaint, *args)


def test_a_malformed_box_is_a_justified_complaint_without_a_key(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[1]
    good = threshold.seal_share(PARAMS, ceremony.dealings[0], 2, recipient_key.public_key)
    for sealed in (good.sealed[:-1], bytes(32) + good.sealed[32:]):  # short; small-order key
        broken = dataclasses.replace(good, sealed=sealed)
        complaint = threshold.open_share(PARAMS, broken, recipient_key, ceremony.commitments[0])
        assert complaint == ShareComplaint(1, 2, None)
        args = (broken, recipient_key.public_key, ceremony.commitments[0])
        assert threshold.verify_complaint(PARAMS, complaint, *args)


def test_share_plaintext_is_framed_as_documented(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[2]
    sealed = threshold.seal_share(PARAMS, ceremony.dealings[0], 3, recipient_key.public_key)
    plain = SealedBox(recipient_key).decrypt(sealed.sealed)
    share = ceremony.dealings[0].share_for(3)
    expected = transcript.encode(
        transcript.DKG_SHARE, PARAMS.context, transcript.u32(1), transcript.u32(3), share.encode()
    )
    assert plain == expected


def test_publicly_revealed_share_is_checked_against_commitments(ceremony: Ceremony) -> None:
    share = ceremony.dealings[0].share_for(2)
    assert threshold.verify_share(ceremony.commitments[0], 2, share)
    assert not threshold.verify_share(ceremony.commitments[0], 3, share)
    assert not threshold.verify_share(ceremony.commitments[0], 2, share + ONE)


def test_sealing_refuses_an_unknown_recipient(ceremony: Ceremony) -> None:
    with pytest.raises(ValueError, match="recipient"):
        threshold.seal_share(PARAMS, ceremony.dealings[0], 4, ceremony.box_keys[0].public_key)
    with pytest.raises(ValueError, match="dealer"):
        threshold.deal(PARAMS, 0)


# --- decryption ---------------------------------------------------------------------------


def _tally(ceremony: Ceremony, votes: list[int]) -> Ciphertext:
    joint = threshold.joint_public_key(ceremony.commitments)
    return elgamal.aggregate(elgamal.encrypt(joint, v, elgamal.fresh_nonce()) for v in votes)


def _partials(ceremony: Ceremony, tally: Ciphertext) -> dict[int, PartialDecryption]:
    return {
        j: threshold.partial_decrypt(PARAMS, j, secret, tally)
        for j, secret in ceremony.secrets.items()
    }


def _trustee_keys(ceremony: Ceremony) -> dict[int, Point]:
    return {j: threshold.verification_key(ceremony.commitments, j) for j in ceremony.secrets}


def test_every_quorum_decrypts_the_tally(ceremony: Ceremony) -> None:
    tally = _tally(ceremony, [1, 0, 1, 1, 0, 1])
    partials = _partials(ceremony, tally)
    keys = _trustee_keys(ceremony)
    for j, partial in partials.items():
        assert threshold.verify_partial_decryption(PARAMS, partial, tally, keys[j])
    for size in (2, 3):
        for subset in itertools.combinations(partials.values(), size):
            assert threshold.decrypt(PARAMS, tally, list(subset)) == 4
            assert threshold.verify_decryption(PARAMS, tally, list(subset), keys, 4)
            assert not threshold.verify_decryption(PARAMS, tally, list(subset), keys, 3)


def test_fewer_than_t_partials_cannot_decrypt(ceremony: Ceremony) -> None:
    tally = _tally(ceremony, [1, 1])
    partials = _partials(ceremony, tally)
    keys = _trustee_keys(ceremony)
    with pytest.raises(ValueError, match="at least 2"):
        threshold.combine_partials(PARAMS, tally, [partials[1]])
    with pytest.raises(ValueError, match="at least 2"):
        threshold.combine_partials(PARAMS, tally, [partials[1], partials[1]])
    assert not threshold.verify_decryption(PARAMS, tally, [partials[1]], keys, 2)
    assert not threshold.verify_decryption(PARAMS, tally, [partials[1], partials[1]], keys, 2)


def test_a_wrong_partial_decryption_is_caught(ceremony: Ceremony) -> None:
    tally = _tally(ceremony, [1, 0, 1])
    partials = _partials(ceremony, tally)
    keys = _trustee_keys(ceremony)
    honest = partials[1]
    forged_share = dataclasses.replace(honest, share=honest.share + base_mul(ONE))
    relabelled = dataclasses.replace(honest, trustee=2)
    bumped = dataclasses.replace(
        honest, proof=ChaumPedersenProof(honest.proof.challenge, honest.proof.response + ONE)
    )
    for bad in (forged_share, bumped):
        assert not threshold.verify_partial_decryption(PARAMS, bad, tally, keys[1])
    assert not threshold.verify_partial_decryption(PARAMS, relabelled, tally, keys[2])
    assert not threshold.verify_partial_decryption(PARAMS, honest, tally, keys[2])
    other_tally = _tally(ceremony, [1])
    assert not threshold.verify_partial_decryption(PARAMS, honest, other_tally, keys[1])
    other_context = dataclasses.replace(PARAMS, context=b"other")
    assert not threshold.verify_partial_decryption(other_context, honest, tally, keys[1])
    outsider = dataclasses.replace(honest, trustee=9)
    assert not threshold.verify_partial_decryption(PARAMS, outsider, tally, keys[1])
    assert not threshold.verify_decryption(PARAMS, tally, [forged_share, partials[2]], keys, 2)
    assert not threshold.verify_decryption(
        PARAMS, tally, [partials[1], partials[2]], {1: keys[1]}, 2
    )


def test_opening_with_the_wrong_dealers_commitments_is_a_caller_error(ceremony: Ceremony) -> None:
    recipient_key = ceremony.box_keys[1]
    good = threshold.seal_share(PARAMS, ceremony.dealings[0], 2, recipient_key.public_key)
    with pytest.raises(ValueError, match="dealer"):
        threshold.open_share(PARAMS, good, recipient_key, ceremony.commitments[1])
