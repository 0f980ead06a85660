"""Steps for referendums/commission.feature and referendums/postal_votes.feature.

The commission members Karla, Kai and Kim are the commission accounts of
``tests.ballots_support`` (in that order); they log in with their own browsers and use
the commission page and the trustees' JSON API. Python crypto stands in for the
trustees' browsers (``tests.support.referendums_commission``). Voting goes through the
ballot services (the voting pages are covered by the voting features); the scheduler
task opens and closes the ballot box.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

from pathlib import Path

import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.settings import Settings
from ballots import services
from ballots.models import ElectionStatus, PostalResult, Trustee
from ballots.record import POSTAL_LINE_LABEL
from ballots.tally import PostalLine
from crypto.signing import Ed25519PublicKey, verify
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.bdd.commission_steps import *  # noqa: F403 - the shared steps
from tests.bdd.commission_steps import _names, registered
from tests.bdd.conftest import Browsers, fresh_session, log_in_fully
from tests.support.referendums_commission import COMMISSION, NO_SEAT, Commission

scenarios("referendums/commission.feature", "referendums/postal_votes.feature")

OPTIONS = ("yes", "no", "abstain")


@pytest.fixture
def commission(db: Session, settings: Settings, tmp_path: Path, browsers: Browsers) -> Commission:
    # Kurt is on the commission but holds no trustee seat.
    world = support.make_world(db, settings, tmp_path, postal=("paul",), commission=4)
    return Commission(world, browsers)


# -- Given -------------------------------------------------------------------------------


@given(
    parsers.parse(
        '{first:w} and {second:w} have voted "{option}" and {third:w} has voted "{other}"'
    )
)
def have_voted(
    commission: Commission, first: str, second: str, option: str, third: str, other: str
) -> None:
    world = commission.world
    for name, choice in ((first, option), (second, option), (third, other)):
        support.cast(world, support.credential(world, name.lower()), {"q1": [choice]})


@given("a second referendum that is still open", target_fixture="second_election")
def second_referendum(commission: Commission, db: Session, settings: Settings) -> str:
    world = commission.world
    first = world.election_id
    support.create(world, trustees=3, threshold=2)
    second = world.id
    support.ceremony(world)
    run_schedule(db, settings, now=world.opens)
    assert world.election().status == ElectionStatus.OPEN
    world.election_id = first
    return str(second)


# -- When ----------------------------------------------------------------------------------


@when("Karla, Kai and Kim each create a sealing key in the browser and register it")
def all_register(commission: Commission) -> None:
    registered(commission)


@when("Karla, Kai and Kim each deal their shares")
def all_deal(commission: Commission) -> None:
    for name in COMMISSION:
        response = commission.deal(name)
        assert response.status_code == 200, response.text


@when("Karla, Kai and Kim each check the shares they received")
def all_check(commission: Commission) -> None:
    for name in COMMISSION:
        response = commission.check(name)
        assert response.status_code == 200, response.text


@when(parsers.parse("{name:w} sends a dealing whose proof does not verify"))
def bad_dealing(commission: Commission, name: str) -> None:
    body = commission.dealing_body(name)
    proof = body["commitments"]["proof"]
    proof["challenge"], proof["response"] = proof["response"], proof["challenge"]
    commission.answer = commission.post(name, "/ceremony/dealing", body)


@when(parsers.parse("{name:w} sends a sealing key to the trustees' interface"))
def sends_key(commission: Commission, name: str) -> None:
    commission.answer = commission.post(name, "/ceremony/sealing-key", {"public_key": "11" * 32})


@when(parsers.parse("{name:w} sends a sealing key that is not 32 bytes long"))
def sends_short_key(commission: Commission, name: str) -> None:
    commission.answer = commission.post(name, "/ceremony/sealing-key", {"public_key": "11" * 31})


@when("a visitor who is not logged in asks for the ceremony state")
def visitor_asks(commission: Commission, browsers: Browsers) -> None:
    commission.answer = browsers.of("visitor").get(
        commission.api_url + "/ceremony", headers={"accept": "application/json"}
    )


@then("no trustee has registered a sealing key")
def no_keys(commission: Commission, database: Database) -> None:
    with fresh_session(database) as session:
        keys = session.scalars(
            select(Trustee.sealing_public_key).where(Trustee.election_id == commission.world.id)
        ).all()
    assert keys == [None, None, None]


@when(parsers.parse("{name:w} opens the commission page"), target_fixture="response")
def opens_commission_page(commission: Commission, browsers: Browsers, name: str) -> Response:
    if name in COMMISSION | NO_SEAT:  # a commission member, logged in once
        return commission.browser(name).get(commission.page_url, follow_redirects=False)
    browser = browsers.of(name)
    log_in_fully(browser, commission.people[name])
    return browser.get(commission.page_url, follow_redirects=False)


@when(
    parsers.parse("{name:w} opens the commission page of the second referendum"),
    target_fixture="response",
)
def opens_second_page(commission: Commission, second_election: str, name: str) -> Response:
    return commission.browser(name).get(f"/referendums/{second_election}/commission")


@when(parsers.parse("{name:w} asks for her decryption task"))
def asks_for_task(commission: Commission, name: str) -> None:
    commission.answer = commission.get(name, "/decryption")


@when("the election closes at the end of its window")
@given("the election closes at the end of its window")
def closes(commission: Commission, db: Session, settings: Settings) -> None:
    report = run_schedule(db, settings, now=commission.world.closes)
    assert commission.world.id in report.closed


@when(parsers.parse("{names} each decrypt their part in the browser"))
@when(parsers.parse("{names} decrypts her part in the browser"))
def decrypt(commission: Commission, names: str) -> None:
    for name in _names(names):
        response = commission.decrypt(name)
        assert response.status_code == 200, response.text


@when(
    parsers.re(
        r"(?P<name>\w+) (?P<verb>enters|confirms) the postal votes(?P<how> without signing them)?"
        r': (?P<envelopes>\d+) envelopes?, (?P<count>\d+) "(?P<option>\w+)"'
    )
)
def postal(
    commission: Commission,
    name: str,
    verb: str,
    how: str | None,
    envelopes: str,
    count: str,
    option: str,
) -> None:
    """The postal form as the trustee's browser sends it: signed with their key (§7.3),
    unless the browser holds no key; someone without a seat has nothing to sign with."""
    form = {"envelopes": envelopes, "invalid-q1": str(max(0, int(envelopes) - int(count)))}
    for choice in OPTIONS:
        form[f"count-q1-{choice}"] = count if choice == option else "0"
    step = "entered" if verb == "enters" else "confirmed"
    if not how and name in commission.secrets:
        form["signature"] = commission.postal_signature(name, step, form)
    commission.send_form(name, "/postal" if verb == "enters" else "/postal/confirm", form)


@when(parsers.parse("{name:w} counts the result on the commission page"))
def counts(commission: Commission, name: str) -> None:
    commission.send_form(name, "/tally", {})


# -- Then ------------------------------------------------------------------------------------


@then("the election key is ready")
def key_ready(commission: Commission) -> None:
    election = commission.world.election()
    assert election.status == ElectionStatus.KEYS
    assert election.joint_public_key


@then(parsers.parse("{name:w} has not dealt"))
def has_not_dealt(commission: Commission, database: Database, name: str) -> None:
    with fresh_session(database) as session:
        trustee = session.scalar(
            select(Trustee).where(
                Trustee.election_id == commission.world.id,
                Trustee.index == COMMISSION[name] + 1,
            )
        )
        assert trustee is not None
        assert trustee.dealt_at is None
        assert trustee.commitments is None


@then(parsers.parse('the election is tallied with {yes:d} "yes" and {no:d} "no"'))
def tallied(commission: Commission, database: Database, yes: int, no: int) -> None:
    with fresh_session(database) as session:
        election = services.get_election(session, commission.world.id)
        assert election.status == ElectionStatus.TALLIED
        assert election.tally is not None
        assert election.tally["questions"][0]["result"] == [yes, no, 0]


@then("the election is still closed")
def still_closed(commission: Commission, database: Database) -> None:
    with fresh_session(database) as session:
        assert services.get_election(session, commission.world.id).status == ElectionStatus.CLOSED


def _postal(database: Database, commission: Commission) -> PostalResult | None:
    with fresh_session(database) as session:
        return session.scalar(
            select(PostalResult).where(PostalResult.election_id == commission.world.id)
        )


@then("the postal votes are not confirmed")
def not_confirmed(commission: Commission, database: Database) -> None:
    row = _postal(database, commission)
    assert row is not None
    assert not row.is_confirmed


@then("no postal votes are entered")
def none_entered(commission: Commission, database: Database) -> None:
    assert _postal(database, commission) is None


@then(parsers.parse("the postal votes carry the signatures of {first:w} and {second:w}"))
def carry_signatures(commission: Commission, database: Database, first: str, second: str) -> None:
    """Record §7.3: each stored signature verifies under that trustee's registered key."""
    row = _postal(database, commission)
    assert row is not None
    assert row.is_confirmed
    line = PostalLine(tuple(tuple(c) for c in row.counts), tuple(row.invalid), row.envelopes)
    with fresh_session(database) as session:
        election = services.get_election(session, commission.world.id)
        keys = {t.index: t.signing_public_key for t in election.trustees}
        signed = (
            ("entered", first, row.entered_by_trustee, row.entered_signature),
            ("confirmed", second, row.confirmed_by_trustee, row.confirmed_signature),
        )
        for step, name, index, signature in signed:
            assert index == COMMISSION[name] + 1
            assert signature is not None
            key = Ed25519PublicKey.from_hex(keys[index] or "")
            payload = services.postal_signing_payload(election, line, step)
            assert verify(key, POSTAL_LINE_LABEL, payload, bytes.fromhex(signature))
