"""Steps for referendums/roll_check.feature: a member checks their own roll entry.

The referendum is set up through the real ballot services (`build_referendum`), the
pages are fetched through the real web app, and the inclusion proof printed on the page
is checked with ``crypto.merkle`` against the commitment the election stores.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import re
from pathlib import Path

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.core.settings import Settings
from ballots import client, services
from crypto.merkle import InclusionProof, leaf_hash, verify_inclusion
from tests.bdd.conftest import Browsers, Organisation, People, visible_text
from tests.bdd.referendum_steps import *  # noqa: F403 - the shared steps
from tests.bdd.referendum_steps import open_vote
from tests.support.referendums_world import ReferendumWorld

scenarios("referendums/roll_check.feature")

_CODE = re.compile(r"<code[^>]*>([0-9a-f]{64})</code>")


@given(parsers.parse('the member vote of "{unit_name}" is open'), target_fixture="world")
def vote_is_open(
    db: Session, settings: Settings, org: Organisation, tmp_path: Path, unit_name: str
) -> ReferendumWorld:
    return open_vote(db, settings, org, tmp_path, unit_name)


def _credential(
    db: Session, settings: Settings, world: ReferendumWorld, member_id: int
) -> client.Credential:
    keys = world.keys()
    request = client.request_credential(keys.issuer, str(world.id))
    answer = services.issue_credential(db, settings, world.id, member_id, request.blinded_msg)
    return client.finish_credential(keys.issuer, request, answer)


@given(parsers.parse("{name:w} has voted in the member vote"))
def has_voted(
    db: Session, settings: Settings, people: People, world: ReferendumWorld, name: str
) -> None:
    member_id = people[name].member_id
    assert member_id is not None
    credential = _credential(db, settings, world, member_id)
    ballot = client.make_ballot(world.keys(), credential, {"q1": ["yes"]})
    services.cast_ballot(db, settings, world.id, client.ballot_bytes(ballot))


@when(parsers.parse("the operator mints a credential for {name:w} without {other:w} asking"))
def operator_mints(
    db: Session, settings: Settings, people: People, world: ReferendumWorld, name: str, other: str
) -> None:
    del other
    member_id = people[name].member_id
    assert member_id is not None
    _credential(db, settings, world, member_id)


@when(
    parsers.parse("{name:w} opens {pronoun:w} entry on the voter roll"), target_fixture="response"
)
def opens_roll_check(
    browsers: Browsers, world: ReferendumWorld, name: str, pronoun: str
) -> Response:
    del pronoun
    response = browsers.of(name).get(f"/referendums/{world.id}/roll-check")
    assert response.status_code == 200, visible_text(response)
    return response


@when("a visitor opens the page of the member vote", target_fixture="response")
def visitor_opens_page(browsers: Browsers, world: ReferendumWorld) -> Response:
    return browsers.of("visitor").get(f"/referendums/{world.id}")


@then(
    parsers.parse(
        "the inclusion proof on the page leads from {name:w}'s entry to the published roll commitment"
    )
)
def proof_checks(response: Response, world: ReferendumWorld, name: str) -> None:
    del name
    entry = re.search(r'id="roll-entry">([0-9a-f]{64})<', response.text)
    root = re.search(r'id="roll-root">([0-9a-f]{64})<', response.text)
    position = re.search(r"Position (\d+) von (\d+) Einträgen", visible_text(response))
    assert entry, visible_text(response)
    assert root, visible_text(response)
    assert position, visible_text(response)
    assert root.group(1) == world.election().roll_commitment
    proof_block = response.text.split('class="proof"', 1)[1].split("</ol>", 1)[0]
    path = tuple(bytes.fromhex(h) for h in _CODE.findall(proof_block))
    proof = InclusionProof(int(position.group(1)), int(position.group(2)), path)
    assert verify_inclusion(
        proof, leaf_hash(bytes.fromhex(entry.group(1))), bytes.fromhex(root.group(1))
    )


@then("the page shows the fingerprint of the vote")
def shows_fingerprint(response: Response, world: ReferendumWorld) -> None:
    fingerprint = world.election().fingerprint
    assert fingerprint is not None
    assert f'id="election-fingerprint">{fingerprint}<' in response.text
    assert "Fingerabdruck dieser Abstimmung" in visible_text(response)
