"""An election's life through the real services, with the refusals on the way."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.audit import AuditEvent
from app.core.settings import Settings
from app.organisations.models import MemberStatus
from ballots import client, services
from ballots.board import Receipt
from ballots.errors import (
    AlreadyVoted,
    BallotRejected,
    CredentialAlreadyIssued,
    ManifestInvalid,
    NotAllowed,
    NotEnoughDecryptions,
    NotOnRoll,
    PostalMismatch,
    PostalNeedsTrustee,
    PostalResultInvalid,
    PostalSignatureInvalid,
    PostalVoter,
    SameCommissionMember,
    TooEarly,
    VotingClosed,
    WrongState,
)
from ballots.models import CastBallot, ElectionStatus, PostalResult, RollEntry
from ballots.tally import PostalLine
from tests import ballots_support as support
from tests.factories import grant, make_account, make_member


@pytest.fixture
def world(db: Session, settings: Settings, tmp_path: Path) -> support.ElectionWorld:
    return support.make_world(db, settings, tmp_path)


def test_an_election_from_creation_to_result(world: support.ElectionWorld) -> None:
    support.open_for_voting(world, questions=(support.YES_NO, support.ONE_OF, support.UP_TO))
    election = world.election()
    assert (election.eligible_count, election.postal_count) == (5, 1)
    votes = {
        "anna": {"q1": ["yes"], "q2": ["bonn"], "q3": ["a", "b"]},
        "ben": {"q1": ["no"], "q2": ["bonn"], "q3": []},
        "cem": {"q1": ["yes"], "q2": ["kiel"], "q3": ["c"]},
    }
    receipts: list[Receipt] = []
    for name, choices in votes.items():
        ballot, receipt = support.cast(world, support.credential(world, name), choices)
        assert client.check_receipt(
            receipt, ballot, election.board_public_key, world.keys().manifest
        )
        receipts.append(receipt)
    assert [r.index for r in receipts] == [0, 1, 2]
    later = services.current_receipt(world.session, world.id, 0)
    assert later.checkpoint.split("\n")[1] == "3"
    support.close_and_decrypt(
        world, postal=PostalLine(((1, 0, 0), (0, 0, 1), (1, 1, 0)), (0, 0, 0), 1)
    )
    tallied = services.tally_election(world.session, world.id, world.commission[0])
    assert tallied.status == ElectionStatus.TALLIED
    tally = tallied.tally
    assert tally is not None
    assert [q["online"] for q in tally["questions"]] == [[2, 1, 0], [0, 2, 1], [1, 1, 1]]
    assert [q["result"] for q in tally["questions"]] == [[3, 1, 0], [0, 2, 2], [2, 2, 1]]
    assert tally["turnout"] == {
        "eligible": 5,
        "online_ballots": 3,
        "postal_envelopes": 1,
        "participants": 4,
        "percent_x100": 8000,
    }
    assert tally["quorum_met"] is True
    assert tally["binding"] is True


def test_every_state_change_is_audited_without_personal_data(
    world: support.ElectionWorld,
) -> None:
    support.open_for_voting(world)
    support.cast(world, support.credential(world, "anna"), {"q1": ["yes"]})
    actions = set(world.session.scalars(select(AuditEvent.action)))
    assert {
        "election:created",
        "ceremony:key_registered",
        "ceremony:dealt",
        "ceremony:shares_verified",
        "election:keys_ready",
        "election:roll_frozen",
        "election:opened",
    } <= actions
    # Issuance is not logged per member (a timed row per member would link ballots);
    # the count goes into the closing event.
    assert "credential:issued" not in actions
    details = " ".join(str(e.details) for e in world.session.scalars(select(AuditEvent)))
    for member in world.members.values():
        # As a token of its own: ids and hashes in the details are hex and may contain it.
        number = re.compile(rf"(?<![0-9a-f]){re.escape(member.membership_number)}(?![0-9a-f])")
        assert not number.search(details)
        assert member.given_name not in details


def test_roll_holds_the_members_of_the_subtree_at_the_cutoff(
    world: support.ElectionWorld,
) -> None:
    session = world.session
    cutoff_day = world.cutoff.date()
    late = make_member(session, world.units["OV-A"], "Spät", "Eingetreten")
    late.joined_on = cutoff_day + timedelta(days=1)
    gone = make_member(session, world.units["OV-B"], "Früh", "Ausgetreten")
    gone.status, gone.left_on = MemberStatus.LEFT, cutoff_day - timedelta(days=3)
    leaving = make_member(session, world.units["OV-B"], "Nach", "Stichtag")
    leaving.status, leaving.left_on = MemberStatus.LEFT, cutoff_day + timedelta(days=1)
    elsewhere_unit = world.units["BV"]
    elsewhere = make_member(session, elsewhere_unit, "Bundes", "Ebene")
    elsewhere.joined_on = date(2000, 1, 1)
    session.commit()
    support.create(world)
    support.ceremony(world)
    services.freeze_roll(session, world.id, world.staff, now=world.cutoff)
    on_roll = set(
        session.scalars(select(RollEntry.member_id).where(RollEntry.election_id == world.id))
    )
    assert leaving.id in on_roll
    assert not {late.id, gone.id, elsewhere.id} & on_roll
    assert on_roll >= {m.id for m in world.members.values()}


def test_steps_out_of_order_or_out_of_time_are_refused(world: support.ElectionWorld) -> None:
    support.create(world)
    with pytest.raises(WrongState):
        services.freeze_roll(world.session, world.id, world.staff, now=world.cutoff)
    support.ceremony(world)
    with pytest.raises(TooEarly):
        services.freeze_roll(
            world.session, world.id, world.staff, now=world.cutoff - timedelta(seconds=1)
        )
    services.freeze_roll(world.session, world.id, None, now=world.cutoff)
    with pytest.raises(TooEarly):
        services.open_election(world.session, world.settings, world.id, None, now=world.start)
    with pytest.raises(WrongState):
        services.decryption_task(world.session, world.id, world.commission[0])
    services.open_election(world.session, world.settings, world.id, None, now=world.opens)
    credential = support.credential(world, "anna")
    ballot = client.make_ballot(world.keys(), credential, {"q1": ["yes"]})
    data = client.ballot_bytes(ballot)
    with pytest.raises(VotingClosed):
        services.cast_ballot(world.session, world.settings, world.id, data, now=world.closes)
    with pytest.raises(WrongState):  # a trustee cannot decrypt before closing
        services.decryption_task(world.session, world.id, world.commission[0])
    with pytest.raises(TooEarly):  # only the commission may close early
        services.close_election(world.session, world.id, None, now=world.voting)
    with pytest.raises(NotAllowed):
        services.close_election(world.session, world.id, world.staff, now=world.voting)
    services.close_election(world.session, world.id, world.commission[2], now=world.voting)
    with pytest.raises(VotingClosed):
        services.cast_ballot(world.session, world.settings, world.id, data, now=world.voting)
    with pytest.raises(NotEnoughDecryptions):
        services.tally_election(world.session, world.id, None)


def test_credentials_once_per_online_member(world: support.ElectionWorld) -> None:
    support.open_for_voting(world)
    keys = world.keys()
    session = world.session
    request = client.request_credential(keys.issuer, str(world.id))
    anna = world.members["anna"].id
    first = services.issue_credential(
        session, world.settings, world.id, anna, request.blinded_msg, now=world.voting
    )
    # The same request again (a lost answer) gets the same answer...
    again = services.issue_credential(
        session, world.settings, world.id, anna, request.blinded_msg, now=world.voting
    )
    assert again == first
    # ...a second, different request does not.
    other = client.request_credential(keys.issuer, str(world.id))
    with pytest.raises(CredentialAlreadyIssued):
        services.issue_credential(
            session, world.settings, world.id, anna, other.blinded_msg, now=world.voting
        )
    with pytest.raises(PostalVoter):
        services.issue_credential(
            session,
            world.settings,
            world.id,
            world.members["paul"].id,
            other.blinded_msg,
            now=world.voting,
        )
    stranger = make_member(session, world.units["BV"], "Nicht", "Berechtigt")
    session.commit()
    with pytest.raises(NotOnRoll):
        services.issue_credential(
            session, world.settings, world.id, stranger.id, other.blinded_msg, now=world.voting
        )
    with pytest.raises(VotingClosed):
        services.issue_credential(
            session,
            world.settings,
            world.id,
            world.members["ben"].id,
            other.blinded_msg,
            now=world.closes,
        )


def test_one_counted_ballot_per_credential(world: support.ElectionWorld) -> None:
    support.open_for_voting(world)
    credential = support.credential(world, "anna")
    ballot, _ = support.cast(world, credential, {"q1": ["yes"]})
    with pytest.raises(AlreadyVoted):  # replay of the same ballot
        services.cast_ballot(
            world.session, world.settings, world.id, client.ballot_bytes(ballot), now=world.voting
        )
    with pytest.raises(AlreadyVoted):  # a new ballot of the same credential
        support.cast(world, credential, {"q1": ["no"]})
    assert (
        world.session.scalar(
            select(CastBallot.leaf_index).where(CastBallot.election_id == world.id)
        )
        == 0
    )
    assert world.election().board_size == 1


def test_altered_or_foreign_ballots_are_refused(world: support.ElectionWorld) -> None:
    support.open_for_voting(world)
    keys = world.keys()
    credential = support.credential(world, "anna")
    ballot = client.make_ballot(keys, credential, {"q1": ["yes"]})
    swapped = client.make_ballot(keys, credential, {"q1": ["no"]})
    answers = ballot["answers"]
    assert isinstance(answers, list)
    altered = dict(
        ballot, answers=[dict(answers[0], ciphertexts=swapped["answers"][0]["ciphertexts"])]
    )  # type: ignore[index]
    cases = {
        "signature": altered,
        "format": {**ballot, "extra": 1},
        "election": {**ballot, "election_id": "00000000-0000-0000-0000-000000000000"},
    }
    for check, bad in cases.items():
        with pytest.raises(BallotRejected) as refused:
            services.cast_ballot(
                world.session, world.settings, world.id, client.ballot_bytes(bad), now=world.voting
            )
        assert refused.value.check == check
    forged = client.Credential(
        credential.election_id, credential.secret_key, credential.prefix, bytes(384)
    )
    with pytest.raises(BallotRejected) as refused:
        services.cast_ballot(
            world.session,
            world.settings,
            world.id,
            client.ballot_bytes(client.make_ballot(keys, forged, {"q1": ["yes"]})),
            now=world.voting,
        )
    assert refused.value.check == "credential_signature"
    with pytest.raises(BallotRejected):
        services.cast_ballot(
            world.session, world.settings, world.id, b"{not json", now=world.voting
        )
    assert world.election().board_size == 0


def test_creation_rules(world: support.ElectionWorld) -> None:
    outsider = make_account(
        world.session, world.settings, "outsider@example.org", "correct horse battery"
    )
    world.session.commit()
    with pytest.raises(NotAllowed):
        support.services.create_election(
            world.session,
            world.settings,
            outsider,
            support.draft(world),
            [a.id for a in world.commission],
            now=world.start,
        )
    with pytest.raises(ManifestInvalid) as invalid:
        support.create(world, threshold=4)
    assert "trustees" in invalid.value.errors
    grant(world.session, outsider, Role.STAFF, world.units["LV1"])
    world.session.commit()
    with pytest.raises(ManifestInvalid) as invalid:  # trustees must be on the commission
        services.create_election(
            world.session,
            world.settings,
            outsider,
            support.draft(world, trustees=1, threshold=1),
            [outsider.id],
            now=world.start,
        )
    assert "trustees" in invalid.value.errors


def test_postal_figures_need_two_trustees_who_agree_and_sign(
    world: support.ElectionWorld,
) -> None:
    support.open_for_voting(world, trustees=2, threshold=2)
    services.close_election(world.session, world.id, None, now=world.closes)
    line = PostalLine(((1, 0, 0),), (0,), 1)
    session = world.session
    first, second, no_seat = world.commission[:3]
    signed = functools.partial(support.postal_signature, world)
    with pytest.raises(PostalResultInvalid):
        services.enter_postal_result(session, world.id, first, PostalLine(((1, 1, 0),), (0,), 1))
    with pytest.raises(PostalResultInvalid):  # more envelopes than postal voters
        services.enter_postal_result(session, world.id, first, PostalLine(((2, 0, 0),), (0,), 2))
    with pytest.raises(NotAllowed):
        services.enter_postal_result(session, world.id, world.staff, line)
    # Record §7.3: a commission member without a trustee seat cannot sign, so cannot enter.
    with pytest.raises(PostalNeedsTrustee):
        services.enter_postal_result(session, world.id, no_seat, line, signature=bytes(64))
    with pytest.raises(PostalSignatureInvalid):  # unsigned, or signed by another trustee
        services.enter_postal_result(session, world.id, first, line)
    with pytest.raises(PostalSignatureInvalid):
        services.enter_postal_result(
            session, world.id, first, line, signature=signed(2, line, "entered")
        )
    other = PostalLine(((0, 1, 0),), (0,), 1)
    with pytest.raises(PostalSignatureInvalid):  # a signature of other figures
        services.enter_postal_result(
            session, world.id, first, line, signature=signed(1, other, "entered")
        )
    assert session.scalar(select(func.count()).select_from(PostalResult)) == 0
    services.enter_postal_result(
        session, world.id, first, line, signature=signed(1, line, "entered")
    )
    with pytest.raises(WrongState):  # no decryption (and no result) without the confirmation
        support.decrypt(world)
    with pytest.raises(SameCommissionMember):
        services.confirm_postal_result(
            session, world.id, first, line, signature=signed(1, line, "confirmed")
        )
    with pytest.raises(PostalSignatureInvalid):  # the "entered" signature is not a confirmation
        services.confirm_postal_result(
            session, world.id, second, line, signature=signed(2, line, "entered")
        )
    different = PostalLine(((0, 1, 0),), (0,), 1)
    with pytest.raises(PostalMismatch):
        services.confirm_postal_result(
            session, world.id, second, different, signature=signed(2, different, "confirmed")
        )
    support.enter_postal(world, line)
    with pytest.raises(WrongState):  # the postal line is bound once confirmed
        services.enter_postal_result(session, world.id, first, line)
    support.decrypt(world)
    tally = services.tally_election(session, world.id, None).tally
    assert tally is not None
    assert tally["questions"][0]["result"] == [1, 0, 0]
    assert tally["quorum_met"] is True  # 1 of 5 = 20 %


def test_quorum_not_met_makes_the_result_not_binding(world: support.ElectionWorld) -> None:
    support.open_for_voting(world, quorum=50)
    support.cast(world, support.credential(world, "anna"), {"q1": ["abstain"]})
    support.close_and_decrypt(world, trustees=3, postal=PostalLine(((0, 0, 0),), (0,), 0))
    tally = services.tally_election(world.session, world.id, None).tally
    assert tally is not None
    assert tally["turnout"]["percent_x100"] == 2000
    assert (tally["quorum_met"], tally["binding"]) == (False, False)
    assert len(tally["questions"][0]["partial_decryptions"]) == 3
