"""Steps for referendums/vote.feature and referendums/bulletin_board.feature.

Members vote through the real web app: the browser's part (fetch the client data, ask
for the credential with the login and the page's CSRF token, encrypt, cast without
the login, check the receipt) is played by the Python voter client ``ballots.client``,
which implements the same protocol as ``frontend/src/voter.js``. The election is set
up through the real ballot services (``tests.ballots_support``) with its window around
the real clock, because the web app has no virtual clock.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.db import Database, utcnow
from app.core.settings import Settings
from ballots import client, recovery, services
from ballots.ballot_check import ElectionKeys
from ballots.board import Receipt
from ballots.models import CastBallot, RollEntry
from referendums.voting import board_view
from referendums.voting.pages import VOTE_MESSAGES
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    fresh_session,
    log_in_fully,
    visible_text,
)
from tests.bdd.referendum_steps import *  # noqa: F403 - the shared steps
from tests.bdd.referendum_steps import open_vote
from tests.helpers import csrf_token
from tests.support.referendums_world import ReferendumWorld

scenarios(
    "referendums/vote.feature",
    "referendums/bulletin_board.feature",
    "referendums/recover_credential.feature",
)

JSON = {"accept": "application/json"}
_TOKEN = re.compile(r'data-csrf-token="([^"]+)"')
_HTMX_TOKEN = re.compile(r'&#34;x-csrftoken&#34;: &#34;([^&]+)&#34;|"x-csrftoken": "([^"]+)"')


@dataclass
class Voting:
    world: ReferendumWorld
    keys: ElectionKeys
    board_key: str
    credentials: dict[str, client.Credential] = field(default_factory=dict)
    ballots: dict[str, tuple[dict[str, Any], Receipt]] = field(default_factory=dict)
    last_bytes: bytes = b""
    last_ballot: dict[str, Any] | None = None

    @property
    def id(self) -> uuid.UUID:
        return self.world.id

    @property
    def api(self) -> str:
        return f"/api/elections/{self.id}"

    @property
    def page(self) -> str:
        return f"/referendums/{self.id}"


# -- the election ---------------------------------------------------------------------------


@given(parsers.parse('the member vote of "{unit_name}" is open'), target_fixture="voting")
def vote_is_open(
    db: Session, settings: Settings, org: Organisation, tmp_path: Path, unit_name: str
) -> Voting:
    """Staff sets it up, three trustees hold the ceremony, the roll is frozen, it opens."""
    world = open_vote(db, settings, org, tmp_path, unit_name)
    election = world.election()
    keys = world.keys()
    db.commit()
    return Voting(world, keys, election.board_public_key)


@given(parsers.parse("the bulletin board shows {count:d} ballots per page"))
def page_size(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(board_view, "PAGE_SIZE", count)


@when("the election commission closes the vote")
def commission_closes(db: Session, voting: Voting) -> None:
    karla = db.get(Account, voting.world.trustees[0].id)
    assert karla is not None
    services.close_election(db, voting.id, karla)


# -- the browser's protocol (what voter.js does) ----------------------------------------------


def page_token(browser: TestClient[Litestar], voting: Voting) -> str:
    """The vote app's token; a page without the app still carries one for htmx."""
    page = browser.get(f"{voting.page}/vote")
    match = _TOKEN.search(page.text) or _HTMX_TOKEN.search(page.text)
    assert match, visible_text(page)[:2000]
    return next(group for group in match.groups() if group)


def client_keys(browser: TestClient[Litestar], voting: Voting) -> ElectionKeys:
    answer = browser.get(f"{voting.api}/client-data", headers=JSON)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    return client.election_keys_from_record(data["manifest"], data["keys"])


def ask_credential(
    browser: TestClient[Litestar], voting: Voting, *, with_token: bool = True
) -> tuple[client.CredentialRequest, Response]:
    keys = client_keys(browser, voting)
    request = client.request_credential(keys.issuer, str(voting.id))
    headers = dict(JSON)
    if with_token:
        headers["x-csrftoken"] = page_token(browser, voting)
    answer = browser.post(
        f"{voting.api}/credential",
        json={"blinded_msg": request.blinded_msg.hex()},
        headers=headers,
    )
    return request, answer


def fetch_credential(browsers: Browsers, voting: Voting, name: str) -> client.Credential:
    request, answer = ask_credential(browsers.of(name), voting)
    assert answer.status_code == 200, answer.text
    signature = bytes.fromhex(answer.json()["blind_signature"])
    credential = client.finish_credential(voting.keys.issuer, request, signature)
    voting.credentials[name] = credential
    return credential


def cookieless(browsers: Browsers) -> TestClient[Litestar]:
    """A connection that sends no cookie at all (``credentials: "omit"`` in the browser)."""
    browser = browsers.of("a connection without cookies")
    browser.cookies.clear()
    return browser


def cast(
    browser: TestClient[Litestar], voting: Voting, name: str, choice: str
) -> tuple[dict[str, Any], Response]:
    ballot = client.make_ballot(voting.keys, voting.credentials[name], {"q1": [choice]})
    voting.last_ballot = ballot
    voting.last_bytes = client.ballot_bytes(ballot)
    answer = browser.post(
        f"{voting.api}/ballots",
        content=voting.last_bytes,
        headers={**JSON, "content-type": "application/json"},
    )
    if answer.status_code == 201:
        voting.ballots[name] = (ballot, Receipt.from_json(answer.json()["receipt"]))
    return ballot, answer


@given(parsers.parse("{name:w} has fetched {pronoun:w} credential"))
def has_credential(browsers: Browsers, voting: Voting, name: str, pronoun: str) -> None:
    fetch_credential(browsers, voting, name)


@given(parsers.parse('{name:w} has voted "{choice}"'))
def has_voted(browsers: Browsers, people: People, voting: Voting, name: str, choice: str) -> None:
    log_in_fully(browsers.of(name), people[name])
    fetch_credential(browsers, voting, name)
    _, answer = cast(cookieless(browsers), voting, name, choice)
    assert answer.status_code == 201, answer.text


@when(parsers.parse('{name:w} votes "{choice}" in {pronoun:w} browser'), target_fixture="response")
def votes_in_browser(
    browsers: Browsers,
    voting: Voting,
    answers: list[Response],
    name: str,
    choice: str,
    pronoun: str,
) -> Response:
    fetch_credential(browsers, voting, name)
    _, answer = cast(cookieless(browsers), voting, name, choice)
    answers.append(answer)
    assert answer.status_code == 201, answer.text
    return answer


@when(parsers.parse("{name:w} opens the vote page"), target_fixture="response")
def opens_vote_page(browsers: Browsers, voting: Voting, name: str) -> Response:
    return browsers.of(name).get(f"{voting.page}/vote", follow_redirects=False)


@when("a visitor opens the vote page", target_fixture="response")
def visitor_opens_vote_page(browsers: Browsers, voting: Voting) -> Response:
    return opens_vote_page(browsers, voting, "visitor")


@when(parsers.parse("{name:w} asks for a voting credential"), target_fixture="response")
def asks_credential(browsers: Browsers, voting: Voting, name: str) -> Response:
    _, answer = ask_credential(browsers.of(name), voting)
    return answer


@when("a visitor asks for a voting credential", target_fixture="response")
def visitor_asks_credential(browsers: Browsers, voting: Voting) -> Response:
    """Without a login there is no vote page to take a token from; the login page's will do."""
    browser = browsers.of("visitor")
    token = csrf_token(browser, "/login")
    keys = client_keys(browser, voting)
    request = client.request_credential(keys.issuer, str(voting.id))
    return browser.post(
        f"{voting.api}/credential",
        json={"blinded_msg": request.blinded_msg.hex()},
        headers={**JSON, "x-csrftoken": token},
    )


@when(
    parsers.parse("{name:w} asks for a voting credential without the page's token"),
    target_fixture="response",
)
def asks_credential_without_token(browsers: Browsers, voting: Voting, name: str) -> Response:
    browser = browsers.of(name)
    browser.get(f"{voting.page}/vote")  # the CSRF cookie is there, the header is not
    _, answer = ask_credential(browser, voting, with_token=False)
    return answer


@when(parsers.parse('{name:w} casts {pronoun:w} ballot "{choice}"'), target_fixture="response")
def casts_ballot(
    browsers: Browsers, voting: Voting, name: str, pronoun: str, choice: str
) -> Response:
    _, answer = cast(cookieless(browsers), voting, name, choice)
    return answer


@when("the same ballot is sent again", target_fixture="response")
def sent_again(browsers: Browsers, voting: Voting) -> Response:
    return cookieless(browsers).post(
        f"{voting.api}/ballots",
        content=voting.last_bytes,
        headers={**JSON, "content-type": "application/json"},
    )


@when(
    parsers.parse('someone alters {name:w}\'s ballot "{choice}" on the way and sends it'),
    target_fixture="response",
)
def altered_ballot(browsers: Browsers, voting: Voting, name: str, choice: str) -> Response:
    """Swaps in the ciphertexts of another encryption: well-formed, but not what was signed."""
    credential = voting.credentials[name]
    ballot = client.make_ballot(voting.keys, credential, {"q1": [choice]})
    other = client.make_ballot(voting.keys, credential, {"q1": ["no"]})
    ballot["answers"] = other["answers"]
    return cookieless(browsers).post(
        f"{voting.api}/ballots",
        content=client.ballot_bytes(ballot),
        headers={**JSON, "content-type": "application/json"},
    )


@when(parsers.parse('someone sends "{text}" as a ballot'), target_fixture="response")
def sends_junk(browsers: Browsers, voting: Voting, text: str) -> Response:
    return cookieless(browsers).post(f"{voting.api}/ballots", content=text.encode(), headers=JSON)


@when(parsers.parse("someone sends a ballot of {size:d} bytes"), target_fixture="response")
def sends_huge(browsers: Browsers, voting: Voting, size: int) -> Response:
    body = b'{"x":"' + b"a" * (size - 8) + b'"}'
    return cookieless(browsers).post(
        f"{voting.api}/ballots", content=body, headers={**JSON, "content-type": "application/json"}
    )


@when(
    parsers.parse(
        '{name:w}\'s browser sends {pronoun:w} ballot "{choice}" together with '
        "{pronoun2:w} session cookie"
    ),
    target_fixture="response",
)
def sends_with_cookie(
    browsers: Browsers, voting: Voting, name: str, pronoun: str, choice: str, pronoun2: str
) -> Response:
    browser = browsers.of(name)
    assert browser.cookies.get("__Host-stimmwerk"), "the browser should hold a session"
    _, answer = cast(browser, voting, name, choice)
    return answer


@when(
    parsers.parse('{name:w}\'s ballot "{choice}" is sent from a connection without any cookie'),
    target_fixture="response",
)
def sends_without_cookie(browsers: Browsers, voting: Voting, name: str, choice: str) -> Response:
    _, answer = cast(cookieless(browsers), voting, name, choice)
    return answer


# -- the board -------------------------------------------------------------------------------


@when("a visitor opens the bulletin board", target_fixture="response")
def opens_board(browsers: Browsers, voting: Voting) -> Response:
    return browsers.of("visitor").get(f"{voting.page}/board")


@when(
    parsers.parse("a visitor opens page {page:d} of the bulletin board"), target_fixture="response"
)
def opens_board_page(browsers: Browsers, voting: Voting, page: int) -> Response:
    return browsers.of("visitor").get(f"{voting.page}/board", params={"page": page})


@when(
    parsers.parse("a visitor looks up {name:w}'s ballot hash on the bulletin board"),
    target_fixture="response",
)
def looks_up_hash(browsers: Browsers, voting: Voting, name: str) -> Response:
    receipt = voting.ballots[name][1]
    return browsers.of("visitor").get(
        f"{voting.page}/board/lookup", params={"hash": receipt.ballot_hash.upper()}
    )


@when("a visitor looks up a ballot hash that nobody cast", target_fixture="response")
def looks_up_unknown(browsers: Browsers, voting: Voting) -> Response:
    return browsers.of("visitor").get(f"{voting.page}/board/lookup", params={"hash": "ab" * 32})


@when(parsers.parse('a visitor looks up "{text}"'), target_fixture="response")
def looks_up_text(browsers: Browsers, voting: Voting, text: str) -> Response:
    return browsers.of("visitor").get(f"{voting.page}/board/lookup", params={"hash": text})


@when(
    parsers.parse("{name:w}'s browser asks the board API for {pronoun:w} ballot hash"),
    target_fixture="response",
)
def board_api(browsers: Browsers, voting: Voting, name: str, pronoun: str) -> Response:
    receipt = voting.ballots[name][1]
    voting.last_ballot = voting.ballots[name][0]
    return cookieless(browsers).get(f"{voting.api}/board/{receipt.ballot_hash}", headers=JSON)


@when("a browser asks the board API for a ballot hash that nobody cast", target_fixture="response")
def board_api_unknown(browsers: Browsers, voting: Voting) -> Response:
    return cookieless(browsers).get(f"{voting.api}/board/{'cd' * 32}", headers=JSON)


@when("a visitor fetches the client data of the member vote", target_fixture="response")
def fetches_client_data(browsers: Browsers, voting: Voting) -> Response:
    return cookieless(browsers).get(f"{voting.api}/client-data", headers=JSON)


# -- Then ------------------------------------------------------------------------------------


# -- the recovery code (recover_credential.feature; ballots/recovery.py = crypto/recovery.js) --


def recovery_request(
    browser: TestClient[Litestar], voting: Voting, code: str
) -> tuple[client.CredentialRequest, Response]:
    """What voter.js sends: the request derived from the code, with the page's token."""
    keys = client_keys(browser, voting)
    request = recovery.recoverable_request(keys.issuer, str(voting.id), recovery.parse_code(code))
    answer = browser.post(
        f"{voting.api}/credential",
        json={"blinded_msg": request.blinded_msg.hex()},
        headers={**JSON, "x-csrftoken": page_token(browser, voting)},
    )
    return request, answer


@given(parsers.parse('{name:w} has fetched {pronoun:w} credential with the recovery code "{code}"'))
def has_credential_with_code(
    browsers: Browsers, voting: Voting, name: str, pronoun: str, code: str
) -> None:
    request, answer = recovery_request(browsers.of(name), voting, code)
    assert answer.status_code == 200, answer.text
    signature = bytes.fromhex(answer.json()["blind_signature"])
    voting.credentials[name] = client.finish_credential(voting.keys.issuer, request, signature)


def _phone(browsers: Browsers, people: People, name: str) -> TestClient[Litestar]:
    key = f"{name}'s phone"
    if key not in browsers.open:
        log_in_fully(browsers.of(key), people[name])
    return browsers.of(key)


@when(parsers.parse("{name:w} opens the vote page on {pronoun:w} phone"), target_fixture="response")
def opens_on_phone(
    browsers: Browsers, people: People, voting: Voting, name: str, pronoun: str
) -> Response:
    return _phone(browsers, people, name).get(f"{voting.page}/vote")


@then("the page offers to enter the recovery code")
def offers_code(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'id="recovery-entry"' in response.text
    assert 'data-situation="issued"' in response.text  # voter.js shows the entry first
    assert "Wiederherstellungscode" in response.text


@when(
    parsers.parse('{name:w} enters the recovery code "{code}" on {pronoun:w} phone'),
    target_fixture="response",
)
def enters_code(
    browsers: Browsers,
    people: People,
    voting: Voting,
    name: str,
    code: str,
    pronoun: str,
) -> Response:
    request, answer = recovery_request(_phone(browsers, people, name), voting, code)
    if answer.status_code == 200:
        signature = bytes.fromhex(answer.json()["blind_signature"])
        credential = client.finish_credential(voting.keys.issuer, request, signature)
        voting.credentials[f"{name}'s phone"] = credential
    return answer


@then(parsers.parse("{name:w}'s phone holds the same credential as {pronoun:w} first browser"))
def same_credential(voting: Voting, name: str, pronoun: str) -> None:
    phone = voting.credentials[f"{name}'s phone"]
    assert phone.public_key_hex == voting.credentials[name].public_key_hex


@when(parsers.parse('{name:w} votes "{choice}" on {pronoun:w} phone'), target_fixture="response")
def votes_on_phone(
    browsers: Browsers, voting: Voting, name: str, choice: str, pronoun: str
) -> Response:
    voting.credentials[name] = voting.credentials[f"{name}'s phone"]
    _, answer = cast(cookieless(browsers), voting, name, choice)
    assert answer.status_code == 201, answer.text
    return answer


@when(
    parsers.parse('{name:w}\'s first browser casts a ballot "{choice}" with the credential'),
    target_fixture="response",
)
def first_browser_casts(browsers: Browsers, voting: Voting, name: str, choice: str) -> Response:
    ballot = client.make_ballot(voting.keys, voting.credentials[name], {"q1": [choice]})
    return cookieless(browsers).post(
        f"{voting.api}/ballots",
        content=client.ballot_bytes(ballot),
        headers={**JSON, "content-type": "application/json"},
    )


@then(parsers.parse("{name:w}'s roll entry shows one credential issued, on today's date only"))
def one_credential_day_only(db: Session, people: People, voting: Voting, name: str) -> None:
    db.expire_all()
    account = db.scalar(select(Account).where(Account.email == people[name].email))
    assert account is not None
    issued = db.scalar(
        select(RollEntry.credential_issued_on).where(
            RollEntry.election_id == voting.id, RollEntry.member_id == account.member_id
        )
    )
    assert issued == utcnow().date()
    assert type(issued) is date  # a day, never a time


@then(parsers.parse('the page shows the ballot with the question "{question}"'))
def shows_ballot(response: Response, voting: Voting, question: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    page = response.text
    assert question in visible_text(response)
    assert 'id="ballot-form"' in page
    assert 'data-question-id="q1"' in page
    for option in ("yes", "no", "abstain"):
        assert re.search(rf'<input type="radio" [^>]*data-name="q-q1" value="{option}"', page), (
            option
        )
    # Nothing on the page could submit a choice in the clear: no form, no named input.
    assert '<form id="ballot-form"' not in page
    assert not re.search(r'<input[^>]*\sname="q-', page)
    assert re.search(r'<button type="button" id="cast-ballot" disabled>', page)
    assert 'id="check-ballot"' in page
    assert 'id="cast-ballot"' in page
    assert 'id="vote-status" role="status" aria-live="polite"' in page
    assert f'data-client-data-url="{voting.api}/client-data"' in page
    assert f'data-credential-url="{voting.api}/credential"' in page
    assert f'data-cast-url="{voting.api}/ballots"' in page
    assert f'data-board-url="{voting.api}/board"' in page
    assert _TOKEN.search(page)
    assert '<script type="module" src="/static/vendor/voter.js"></script>' in page
    match = re.search(
        r'<script type="application/json" id="vote-messages">(.*?)</script>', page, re.DOTALL
    )
    assert match, "no #vote-messages"
    messages = json.loads(match.group(1))
    assert set(messages) == set(VOTE_MESSAGES)
    assert messages["sending"] == "Deine Stimme wird abgegeben …"


@then("the page shows no ballot")
def shows_no_ballot(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'id="ballot-form"' not in response.text
    assert "voter.js" not in response.text


@then(parsers.parse("{name:w} gets a receipt that checks against the signed checkpoint"))
def receipt_checks(voting: Voting, name: str) -> None:
    ballot, receipt = voting.ballots[name]
    assert client.check_receipt(receipt, ballot, voting.board_key, voting.keys.manifest)


@then(parsers.parse("{name:w} finds {pronoun:w} ballot hash on the bulletin board"))
def finds_on_board(browsers: Browsers, voting: Voting, name: str, pronoun: str) -> None:
    receipt = voting.ballots[name][1]
    board = browsers.of("visitor").get(f"{voting.page}/board")
    assert board.status_code == 200
    assert f"{receipt.index} {receipt.ballot_hash}" in visible_text(board)


@then(
    parsers.parse(
        "looking up {name:w}'s receipt on the bulletin board shows {pronoun:w} ballot at its "
        "index with the inclusion proof"
    )
)
def lookup_shows(browsers: Browsers, voting: Voting, name: str, pronoun: str) -> None:
    _, receipt = voting.ballots[name]
    page = browsers.of("visitor").get(
        f"{voting.page}/board/lookup", params={"hash": receipt.ballot_hash}
    )
    text = visible_text(page)
    assert "liegt auf der Anschlagtafel und wird mitgezählt" in text, text[:2000]
    # The position is technical evidence, behind "Mehr erfahren" (docs/glossary.md).
    assert f"<dd>{receipt.index}</dd>" in page.text
    assert receipt.checkpoint.splitlines()[0] in text


@then(parsers.parse('the answer is "{code}" with status {status:d}'))
def answer_is(response: Response, code: str, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:1000])
    body = response.json()
    assert body["error"] == code, body
    assert body["message"], body


def _board_size(database: Database, voting: Voting) -> int:
    with fresh_session(database) as session:
        query = select(func.count()).where(CastBallot.election_id == voting.id)
        return int(session.scalar(query) or 0)


@then(parsers.parse("the bulletin board holds {count:d} ballots"))
@then(parsers.parse("the bulletin board holds {count:d} ballot"))
def board_holds(database: Database, voting: Voting, count: int) -> None:
    assert _board_size(database, voting) == count


@then("the ballot is on the bulletin board")
def ballot_on_board(response: Response, database: Database, voting: Voting) -> None:
    assert response.status_code == 201, response.text
    receipt = Receipt.from_json(response.json()["receipt"])
    assert voting.last_ballot is not None
    assert client.check_receipt(receipt, voting.last_ballot, voting.board_key, voting.keys.manifest)
    with fresh_session(database) as session:
        stored = session.scalar(
            select(CastBallot.leaf_hash).where(
                CastBallot.election_id == voting.id, CastBallot.leaf_index == receipt.index
            )
        )
    assert stored == receipt.ballot_hash


@then(parsers.parse("the board lists {count:d} ballots with their hashes"))
@then(parsers.parse("the board lists {count:d} ballot with its hash"))
def board_lists(response: Response, count: int) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    rows = re.findall(r"<tr><td>(\d+)</td><td><code>([0-9a-f]{64})</code></td></tr>", response.text)
    assert len(rows) == count, rows


@then("the page shows the latest signed checkpoint")
def shows_checkpoint(response: Response, database: Database, voting: Voting) -> None:
    with fresh_session(database) as session:
        note = services.latest_checkpoint(session, voting.id)
    assert note.splitlines()[0] in visible_text(response)
    assert note.splitlines()[1] in visible_text(response)  # the tree size


@then("the page shows no result")
def shows_no_result(response: Response) -> None:
    text = visible_text(response)
    for label in ("Enthaltung", " Ja ", " Nein "):
        assert label not in text, label
    assert "Ergebnis:" not in text


@then("the page shows the checkpoint the proof leads to")
def shows_proof_checkpoint(response: Response, voting: Voting) -> None:
    text = visible_text(response)
    receipt = voting.ballots["Anna"][1]
    assert receipt.ballot_hash in text
    assert receipt.checkpoint.splitlines()[0] in text


@then("the answer is a receipt that checks against the signed checkpoint")
def answer_receipt_checks(response: Response, voting: Voting) -> None:
    assert response.status_code == 200, response.text
    receipt = Receipt.from_json(response.json()["receipt"])
    assert voting.last_ballot is not None
    assert client.check_receipt(receipt, voting.last_ballot, voting.board_key, voting.keys.manifest)
    assert receipt.checkpoint.splitlines()[1] == "2"  # against the current board, not the old one


@then("the client data hold the manifest and the keys a voter's browser needs")
def client_data_ok(response: Response, voting: Voting) -> None:
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["election_id"] == str(voting.id)
    assert data["status"] == "open"
    keys = client.election_keys_from_record(data["manifest"], data["keys"])
    assert keys.manifest.hash_hex == voting.keys.manifest.hash_hex
    assert keys.joint_key == voting.keys.joint_key
    assert data["keys"]["board_public_key"] == voting.board_key
