"""Steps for ballots/election_story.feature: one member vote, told by the people in it.

Drives the real ballot services on the real test database (no web pages for voting
exist yet: the member's side is the voter client library, ``ballots.client``). The
commission's names map to the accounts of ``tests.ballots_support`` in order.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.core.settings import Settings
from ballots import client, services, trustee_tool
from ballots.board import Receipt
from ballots.errors import (
    AlreadyVoted,
    BallotRejected,
    CredentialAlreadyIssued,
    PostalVoter,
    VotingClosed,
    WrongState,
)
from ballots.models import ElectionStatus
from ballots.record_writer import write_record
from ballots.tally import PostalLine
from tests import ballots_support as support

scenarios("ballots/election_story.feature")

COMMISSION = {"Karla": 0, "Kai": 1, "Kim": 2}
OPTIONS = ("yes", "no", "abstain")


@dataclass
class Story:
    world: support.ElectionWorld
    credentials: dict[str, client.Credential] = field(default_factory=dict)
    ballots: dict[str, tuple[dict[str, Any], Receipt]] = field(default_factory=dict)
    postal: PostalLine | None = None
    error: DomainError | None = None

    def commission(self, name: str) -> Any:
        return self.world.commission[COMMISSION[name]]

    def attempt(self, action: Any) -> None:
        try:
            action()
        except DomainError as error:
            self.error = error
        else:
            self.error = None


@pytest.fixture
def story(db: Session, settings: Settings, tmp_path: Path) -> Story:
    return Story(support.make_world(db, settings, tmp_path, postal=("paul",)))


# -- the organisation ------------------------------------------------------------------


@given(parsers.parse('the Landesverband "{code}" with the members Anna, Ben, Cem and Dora'))
def landesverband(story: Story, code: str) -> None:
    assert story.world.units[code].code == code
    assert {"anna", "ben", "cem", "dora"} <= set(story.world.members)


@given("Paul, a member of the Landesverband, votes by post")
def paul_votes_by_post(story: Story) -> None:
    assert story.world.members["paul"].postal_vote


@given("Sabine is staff of the Landesverband")
def sabine_is_staff(story: Story) -> None:
    assert story.world.staff.display_name == "Sabine"


@given("Karla, Kai and Kim are on the election commission")
def the_commission(story: Story) -> None:
    assert len(story.world.commission) == len(COMMISSION)


# -- setting the vote up ---------------------------------------------------------------


@when(
    parsers.parse(
        'Sabine sets up the member vote "{title}" with Karla, Kai and Kim as trustees, '
        "any {threshold:d} of whom can decrypt"
    )
)
def sabine_sets_up(story: Story, title: str, threshold: int) -> None:
    election = support.create(story.world, threshold=threshold)
    assert election.status == ElectionStatus.DRAFT
    assert title


@when("the trustees hold their key ceremony, each keeping a key file")
def key_ceremony(story: Story) -> None:
    support.ceremony(story.world)
    assert story.world.election().status == ElectionStatus.KEYS
    assert all(path.exists() for path, _ in story.world.key_files.values())


@when("Sabine freezes the voter roll at the cut-off")
def freeze(story: Story) -> None:
    world = story.world
    services.freeze_roll(world.session, world.id, world.staff, now=world.cutoff)


@then(
    parsers.parse(
        "the roll counts {eligible:d} eligible members, {postal:d} of them voting by post"
    )
)
def roll_counts(story: Story, eligible: int, postal: int) -> None:
    election = story.world.election()
    assert (election.eligible_count, election.postal_count) == (eligible, postal)


@when("the vote opens")
def vote_opens(story: Story) -> None:
    world = story.world
    services.open_election(world.session, world.settings, world.id, world.staff, now=world.opens)


@given(parsers.parse('the member vote "{title}" is open'))
def vote_is_open(story: Story, title: str) -> None:
    support.open_for_voting(story.world)
    assert title


# -- members ---------------------------------------------------------------------------


def _vote(story: Story, name: str, option: str) -> None:
    member = name.lower()
    if member not in story.credentials:
        story.credentials[member] = support.credential(story.world, member)
    story.ballots[member] = support.cast(story.world, story.credentials[member], {"q1": [option]})


@when(parsers.parse('{name} votes "{option}"'))
@given(parsers.parse('{name} has voted "{option}"'))
def member_votes(story: Story, name: str, option: str) -> None:
    _vote(story, name, option)


@then("Anna, Ben and Cem each find their ballot on the board with their receipt")
def receipts_check(story: Story) -> None:
    election = story.world.election()
    manifest = story.world.keys().manifest
    for member in ("anna", "ben", "cem"):
        ballot, receipt = story.ballots[member]
        assert client.check_receipt(receipt, ballot, election.board_public_key, manifest)
        # ...and still later, against the grown board.
        later = services.current_receipt(story.world.session, story.world.id, receipt.index)
        assert client.check_receipt(later, ballot, election.board_public_key, manifest)


@when("Paul asks for an online credential")
def paul_asks(story: Story) -> None:
    story.attempt(lambda: support.credential(story.world, "paul"))


@then("he is told that he votes by post and gets no credential")
def paul_refused(story: Story) -> None:
    assert isinstance(story.error, PostalVoter)


@given(parsers.parse("{name} has her credential"))
def has_credential(story: Story, name: str) -> None:
    story.credentials[name.lower()] = support.credential(story.world, name.lower())


@when("Anna asks for a second credential")
def anna_asks_again(story: Story) -> None:
    story.attempt(lambda: support.credential(story.world, "anna"))


@then("she is told that she already has her credential")
def anna_refused(story: Story) -> None:
    assert isinstance(story.error, CredentialAlreadyIssued)


@when(parsers.parse('Anna casts a second ballot "{option}" with the same credential'))
def anna_votes_again(story: Story, option: str) -> None:
    story.attempt(lambda: _vote(story, "Anna", option))


@then("the ballot is refused because the credential has already voted")
def refused_already_voted(story: Story) -> None:
    assert isinstance(story.error, AlreadyVoted)


@then(parsers.parse("the board holds {count:d} ballot"))
@then(parsers.parse("the board holds {count:d} ballots"))
def board_holds(story: Story, count: int) -> None:
    assert story.world.election().board_size == count


@when("somebody alters a ciphertext in Ben's ballot before it reaches the board")
def altered_ballot(story: Story) -> None:
    world = story.world
    keys = world.keys()
    ballot = client.make_ballot(keys, support.credential(world, "ben"), {"q1": ["no"]})
    tampered = json.loads(client.ballot_bytes(ballot))
    beta = tampered["answers"][0]["ciphertexts"][0]["beta"]
    other = client.make_ballot(keys, support.credential(world, "cem"), {"q1": ["yes"]})
    tampered["answers"][0]["ciphertexts"][0]["beta"] = other["answers"][0]["ciphertexts"][0]["beta"]  # type: ignore[index]
    assert tampered["answers"][0]["ciphertexts"][0]["beta"] != beta
    data = json.dumps(tampered).encode()
    story.attempt(
        lambda: services.cast_ballot(
            world.session, world.settings, world.id, data, now=world.voting
        )
    )


@then("the ballot is refused")
def ballot_refused(story: Story) -> None:
    assert isinstance(story.error, BallotRejected)


@given("the vote has closed")
@when("the vote closes")
def vote_closes(story: Story) -> None:
    world = story.world
    services.close_election(world.session, world.id, None, now=world.closes)


@when(parsers.parse('Dora casts her ballot "{option}"'))
def dora_votes(story: Story, option: str) -> None:
    world = story.world
    ballot = client.make_ballot(world.keys(), story.credentials["dora"], {"q1": [option]})
    story.attempt(
        lambda: services.cast_ballot(
            world.session, world.settings, world.id, client.ballot_bytes(ballot), now=world.closes
        )
    )


@then("the ballot is refused because the vote is not open")
def refused_closed(story: Story) -> None:
    assert isinstance(story.error, VotingClosed)


# -- the commission --------------------------------------------------------------------


@when(parsers.parse('Karla enters the postal votes: {envelopes:d} envelope, {yes:d} "yes"'))
def karla_enters_postal(story: Story, envelopes: int, yes: int) -> None:
    story.postal = PostalLine(((yes, envelopes - yes, 0),), (0,), envelopes)
    _postal_step(story, "Karla", "entered")


@when("Kai confirms the postal votes")
def kai_confirms(story: Story) -> None:
    _postal_step(story, "Kai", "confirmed")


def _postal_step(story: Story, name: str, step: str) -> None:
    """Record §7.3: the trustee signs the figures with their key file."""
    assert story.postal is not None
    world = story.world
    path, passphrase = world.key_files[COMMISSION[name] + 1]
    trustee_tool.postal_step(
        world.session,
        world.id,
        story.commission(name),
        story.postal,
        step,
        path=path,
        passphrase=passphrase,
    )


def _decrypt(story: Story, name: str) -> None:
    world = story.world
    index = COMMISSION[name] + 1
    path, passphrase = world.key_files[index]
    trustee_tool.decrypt_tally(
        world.session, world.id, story.commission(name), path=path, passphrase=passphrase
    )


@when("Karla and Kai decrypt the tally with their key files")
def karla_and_kai_decrypt(story: Story) -> None:
    _decrypt(story, "Karla")
    _decrypt(story, "Kai")


@when("Karla tries to decrypt the tally")
def karla_tries(story: Story) -> None:
    story.attempt(lambda: _decrypt(story, "Karla"))


@then("she is told that this is not possible while the vote is open")
def karla_refused(story: Story) -> None:
    assert isinstance(story.error, WrongState)
    assert story.error.params["status"] == "open"


@when("the commission counts the result")
def commission_counts(story: Story) -> None:
    world = story.world
    services.tally_election(world.session, world.id, story.commission("Kim"))


@then(parsers.parse('the result is {yes:d} "yes", {no:d} "no" and {abstain:d} "abstain"'))
def the_result(story: Story, yes: int, no: int, abstain: int) -> None:
    tally = story.world.election().tally
    assert tally is not None
    assert tally["questions"][0]["result"] == [yes, no, abstain]


@then(parsers.parse("the turnout is {percent} % and the result is binding"))
def turnout_binding(story: Story, percent: str) -> None:
    tally = story.world.election().tally
    assert tally is not None
    whole, fraction = percent.split(".")
    assert tally["turnout"]["percent_x100"] == int(whole) * 100 + int(fraction)
    assert tally["binding"] is True


@then("anyone who checks the published election record finds it correct")
def record_verifies(story: Story) -> None:
    record = story.world.tmp / "record"
    write_record(story.world.session, story.world.id, record)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(record.iterdir()))
    for member in story.world.members.values():  # no personal data in the record
        # A number counts only as a token of its own: a short digit string can turn up
        # by chance inside the hex of keys and proofs.
        number = re.compile(rf"(?<![0-9a-f]){re.escape(member.membership_number)}(?![0-9a-f])")
        assert not number.search(text), member.membership_number
        assert member.given_name not in text
    from ballots.verifier import EXIT_OK, verify_record

    report = io.StringIO()
    assert verify_record(str(record), workers=1, out=report) == EXIT_OK, report.getvalue()
