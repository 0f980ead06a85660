"""Changing an election before the key ceremony: `ballots.services.update_election`."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from nacl.public import PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.audit import AuditEvent
from app.core.settings import Settings
from ballots import services
from ballots.errors import ManifestInvalid, NotAllowed, WrongState
from ballots.manifest import ElectionDraft
from ballots.models import ElectionStatus, IssuerKey, Trustee
from crypto.signing import Ed25519SecretKey
from tests import ballots_support as support
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account


@pytest.fixture
def world(db: Session, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    world = support.make_world(db, settings, tmp_path)
    support.create(world)
    return world


def _seats(session: Session, world: support.ElectionWorld) -> list[tuple[int, uuid.UUID]]:
    rows = session.execute(
        select(Trustee.index, Trustee.account_id)
        .where(Trustee.election_id == world.id)
        .order_by(Trustee.index)
    )
    return [(index, account_id) for index, account_id in rows]


def _update(
    world: support.ElectionWorld, draft: ElectionDraft, trustee_ids: list[uuid.UUID]
) -> None:
    services.update_election(
        world.session, world.settings, world.staff, world.id, draft, trustee_ids, now=world.start
    )


def test_staff_change_the_definition_and_the_ceremony_runs_on_the_new_one(
    world: support.ElectionWorld,
) -> None:
    before = world.election()
    old_hash, board_key = before.manifest_hash, before.board_public_key
    issuer = world.session.get(IssuerKey, world.id)
    assert issuer is not None
    issuer_key_id = issuer.key_id
    changed = dataclasses.replace(
        support.draft(world, questions=(support.YES_NO, support.ONE_OF), trustees=2, quorum=None),
        title="Neue Satzung",
        questions=(
            dataclasses.replace(support.YES_NO, text="Soll die Satzung neu gefasst werden?"),
            support.ONE_OF,
        ),
        closes_at=world.closes + timedelta(days=5),
    )
    trustees = [world.commission[1].id, world.commission[0].id]

    _update(world, changed, trustees)

    election = world.election()
    manifest = services.manifest_of(election)
    assert election.id == world.id
    assert manifest.election_id == str(world.id)
    assert manifest.board_origin == f"stimmwerk/election/{world.id}"
    assert election.manifest_hash == manifest.hash_hex != old_hash
    assert election.manifest["title"] == election.title == "Neue Satzung"
    assert election.manifest["questions"][0]["text"] == "Soll die Satzung neu gefasst werden?"
    assert len(election.manifest["questions"]) == 2
    assert election.closes_at == world.closes + timedelta(days=5)
    assert (election.trustee_count, election.threshold, election.quorum_percent) == (2, 2, None)
    assert election.manifest["trustees"] == {"n": 2, "threshold": 2}
    assert election.manifest["quorum"] is None
    assert _seats(world.session, world) == [(1, trustees[0]), (2, trustees[1])]
    assert [t.account_id for t in election.trustees] == trustees
    assert election.board_public_key == board_key
    assert world.session.get(IssuerKey, world.id).key_id == issuer_key_id  # type: ignore[union-attr]
    event = world.session.scalar(select(AuditEvent).where(AuditEvent.action == "election:updated"))
    assert event is not None
    assert event.object_id == str(world.id)
    assert event.actor_id == world.staff.id
    assert event.details["manifest_hash"] == manifest.hash_hex
    assert event.details["previous_manifest_hash"] == old_hash

    world.commission[:2] = [world.commission[1], world.commission[0]]  # seat order
    support.ceremony(world)
    assert world.election().status == ElectionStatus.KEYS
    with pytest.raises(WrongState):
        _update(world, changed, trustees)


Case = Callable[[support.ElectionWorld], tuple[ElectionDraft, list[uuid.UUID]]]


def _commission(world: support.ElectionWorld, n: int = 3) -> list[uuid.UUID]:
    return [account.id for account in world.commission[:n]]


CASES: dict[str, Case] = {
    "no title": lambda w: (dataclasses.replace(support.draft(w), title="  "), _commission(w)),
    "closing before opening": lambda w: (
        dataclasses.replace(support.draft(w), closes_at=w.opens - timedelta(hours=1)),
        _commission(w),
    ),
    "closing in the past": lambda w: (
        dataclasses.replace(
            support.draft(w),
            cutoff_at=w.start - timedelta(days=3),
            opens_at=w.start - timedelta(days=2),
            closes_at=w.start - timedelta(hours=1),
        ),
        _commission(w),
    ),
    "trustee not on the commission": lambda w: (
        support.draft(w),
        [*_commission(w, 2), w.staff.id],
    ),
    "fewer trustees named": lambda w: (support.draft(w), _commission(w, 2)),
    "the same trustee twice": lambda w: (
        support.draft(w),
        [*_commission(w, 2), w.commission[0].id],
    ),
    "threshold above trustees": lambda w: (
        support.draft(w, trustees=2, threshold=3),
        _commission(w, 2),
    ),
    "up to more than there are": lambda w: (
        support.draft(w, questions=(dataclasses.replace(support.UP_TO, max_selections=4),)),
        _commission(w),
    ),
    "bad quorum": lambda w: (support.draft(w, quorum=0), _commission(w)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_faulty_definition_is_refused_like_at_creation_and_changes_nothing(
    world: support.ElectionWorld, case: Case
) -> None:
    old_hash = world.election().manifest_hash
    seats = _seats(world.session, world)
    draft, trustee_ids = case(world)
    with pytest.raises(ManifestInvalid) as at_creation:
        services.create_election(
            world.session,
            world.settings,
            world.staff,
            draft,
            trustee_ids,
            now=world.start,
            issuer_key=support.shared_issuer_key(),
        )
    world.session.rollback()
    with pytest.raises(ManifestInvalid) as at_update:
        _update(world, draft, trustee_ids)
    world.session.rollback()
    assert at_update.value.errors == at_creation.value.errors
    assert world.election().manifest_hash == old_hash
    assert _seats(world.session, world) == seats


def test_the_unit_cannot_change(world: support.ElectionWorld) -> None:
    draft = dataclasses.replace(support.draft(world), unit_code="UB1")
    with pytest.raises(ManifestInvalid) as refused:
        _update(world, draft, _commission(world))
    assert set(refused.value.errors) == {"unit"}


def test_only_staff_of_the_unit_may_change_it(world: support.ElectionWorld) -> None:
    outsider = make_account(
        world.session, world.settings, "ub2-staff@example.org", TEST_PASSWORD, name="Otto"
    )
    grant(world.session, outsider, Role.STAFF, world.units["UB2"])
    world.session.commit()
    draft = dataclasses.replace(support.draft(world), title="Geändert")
    for actor in (world.commission[0], outsider):
        with pytest.raises(NotAllowed):
            services.update_election(
                world.session, world.settings, actor, world.id, draft, _commission(world)
            )
        world.session.rollback()
    assert world.election().title == "Mitgliederentscheid zur Satzung"


def test_refused_once_a_trustee_registered_a_key(world: support.ElectionWorld) -> None:
    key = PrivateKey.generate().public_key.encode()
    signing = Ed25519SecretKey.generate().public_key.raw
    services.register_sealing_key(world.session, world.id, world.commission[0], key, signing)
    old_hash = world.election().manifest_hash
    seats = _seats(world.session, world)
    draft = dataclasses.replace(support.draft(world), title="Geändert")
    with pytest.raises(WrongState) as refused:
        _update(world, draft, _commission(world))
    world.session.rollback()
    assert "can no longer be changed" in refused.value.message
    election = world.election()
    assert (election.manifest_hash, election.title) == (old_hash, "Mitgliederentscheid zur Satzung")
    assert _seats(world.session, world) == seats
    assert election.trustees[0].sealing_public_key == key.hex()
