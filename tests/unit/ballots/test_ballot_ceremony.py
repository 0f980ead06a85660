"""The key ceremony: honest runs, a cheating dealer, a false complaint, wrong actors."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from nacl.public import PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import keyfile, services, trustee_tool
from ballots.errors import CeremonyFailed, ComplaintNotProven, NotAllowed, WrongState
from ballots.keyfile import CHEAP_LIMITS
from ballots.models import ElectionStatus, KeyShare, ShareComplaint
from ballots.record import ceremony_context
from crypto.group import Scalar
from crypto.signing import Ed25519SecretKey
from crypto.threshold import Dealing, deal, seal_share, verify_commitments
from crypto.threshold import ShareComplaint as Complaint
from tests import ballots_support as support


@pytest.fixture
def world(db: Session, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    world = support.make_world(db, settings, tmp_path)
    support.create(world)
    for index, account in enumerate(world.trustees(), start=1):
        path = tmp_path / f"t{index}.key"
        world.key_files[index] = (path, f"passphrase number {index}")
        passphrase = world.key_files[index][1]
        trustee_tool.init_trustee(
            db, world.id, account, path=path, passphrase=passphrase, limits=CHEAP_LIMITS
        )
    return world


def _deal(world: support.ElectionWorld, index: int) -> None:
    path, passphrase = world.key_files[index]
    account = world.trustees()[index - 1]
    trustee_tool.deal_shares(
        world.session, world.id, account, path=path, passphrase=passphrase, limits=CHEAP_LIMITS
    )


def _check(world: support.ElectionWorld, index: int) -> services.ShareCheckOutcome:
    path, passphrase = world.key_files[index]
    account = world.trustees()[index - 1]
    return trustee_tool.check_shares(
        world.session, world.id, account, path=path, passphrase=passphrase, limits=CHEAP_LIMITS
    )


def test_a_dealer_who_sends_a_bad_share_is_caught_and_the_ceremony_restarts(
    world: support.ElectionWorld,
) -> None:
    state = services.ceremony_state(world.session, world.id)
    dealing, commitments = deal(state.params, 1)
    cheat = Dealing(1, tuple(Scalar.random() for _ in dealing.coefficients))
    sealed = {
        j: seal_share(state.params, cheat if j == 2 else dealing, j, PublicKey(key)).sealed
        for j, key in state.sealing_keys.items()
    }
    services.submit_dealing(world.session, world.id, world.trustees()[0], commitments, sealed)
    _deal(world, 2)
    _deal(world, 3)
    assert not _check(world, 3).restarted
    outcome = _check(world, 2)
    assert outcome.restarted
    complaint = world.session.scalar(select(ShareComplaint))
    assert complaint is not None
    assert (complaint.dealer, complaint.recipient, complaint.upheld) == (1, 2, True)
    state = services.ceremony_state(world.session, world.id)
    assert state.round == 2
    assert not state.commitments
    assert not state.verified
    for index in (1, 2, 3):
        _deal(world, index)
    assert [_check(world, i).keys_ready for i in (1, 2, 3)] == [False, False, True]
    election = world.election()
    assert election.status == ElectionStatus.KEYS
    assert election.joint_public_key is not None
    # The sealed shares are gone; each trustee keeps x_j in their key file.
    assert world.session.scalar(select(KeyShare)) is None
    for index, (path, passphrase) in world.key_files.items():
        assert keyfile.read_key_file(path, passphrase).share is not None, index


def test_a_complaint_without_evidence_is_refused_and_kept(world: support.ElectionWorld) -> None:
    for index in (1, 2, 3):
        _deal(world, index)
    false_claim = Complaint(dealer=1, recipient=2, box_key=secrets.token_bytes(32))
    with pytest.raises(ComplaintNotProven):
        services.submit_share_check(world.session, world.id, world.trustees()[1], [false_claim])
    complaint = world.session.scalar(select(ShareComplaint))
    assert complaint is not None
    assert not complaint.upheld
    assert services.ceremony_state(world.session, world.id).round == 1


def test_only_the_trustees_take_part_and_only_in_order(world: support.ElectionWorld) -> None:
    state = services.ceremony_state(world.session, world.id)
    _, commitments = deal(state.params, 1)
    with pytest.raises(NotAllowed):  # staff are not trustees
        services.submit_dealing(world.session, world.id, world.staff, commitments, {})
    with pytest.raises(CeremonyFailed):  # someone else's commitments
        services.submit_dealing(world.session, world.id, world.trustees()[1], commitments, {})
    with pytest.raises(CeremonyFailed):  # shares before every trustee dealt
        services.shares_for(world.session, world.id, world.trustees()[0])
    _deal(world, 1)
    with pytest.raises(CeremonyFailed):  # no second dealing in a round
        _deal(world, 1)
    with pytest.raises(CeremonyFailed):  # keys are fixed once dealing began
        services.register_sealing_key(
            world.session, world.id, world.trustees()[2], bytes(32), _fresh_signing_key()
        )
    _deal(world, 2)
    _deal(world, 3)
    for index in (1, 2, 3):
        _check(world, index)
    with pytest.raises(WrongState):
        _deal(world, 1)


def _fresh_signing_key() -> bytes:
    return Ed25519SecretKey.generate().public_key.raw


def test_signing_keys_are_registered_checked_and_bind_every_dealers_proof(
    world: support.ElectionWorld,
) -> None:
    """Record §2.1: the ceremony context covers every trustee's signing key."""
    session, trustee = world.session, world.trustees()[0]
    sealing = PublicKey(bytes(32)).encode()
    for bad in (None, bytes(32), world.election().trustees[1].signing_public_key):
        key = bytes.fromhex(bad) if isinstance(bad, str) else bad
        with pytest.raises(CeremonyFailed):  # missing, the identity, another trustee's key
            services.register_sealing_key(session, world.id, trustee, sealing, key)
        session.rollback()
    state = services.ceremony_state(session, world.id)
    election = world.election()
    listed = [bytes.fromhex(t.signing_public_key or "").hex() for t in election.trustees]
    assert state.params.context == ceremony_context(election.fingerprint or "", listed)
    secrets_1 = keyfile.read_key_file(*world.key_files[1])
    assert state.signing_keys[1] == secrets_1.signing_key.public_key.raw
    for index in (1, 2, 3):
        _deal(world, index)
    # A signing key swapped after dealing breaks every dealer's proof under the new context.
    election.trustees[0].signing_public_key = _fresh_signing_key().hex()
    swapped = services.ceremony_state(session, world.id).params
    commitments = services.ceremony_state(session, world.id).commitments
    assert not any(verify_commitments(swapped, c) for c in commitments.values())
    session.rollback()


def test_a_trustee_tool_refuses_to_deal_when_its_own_signing_key_is_not_listed(
    world: support.ElectionWorld,
) -> None:
    world.election().trustees[1].signing_public_key = _fresh_signing_key().hex()
    world.session.commit()
    with pytest.raises(CeremonyFailed) as refused:
        _deal(world, 2)
    assert refused.value.params["reason"] == "the ceremony does not list my own signing key"
