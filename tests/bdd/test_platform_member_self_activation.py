"""Steps for member_self_activation.feature: getting in without the office."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917
from __future__ import annotations

import csv
import io
from pathlib import Path

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.db import Database
from app.core.settings import Settings
from app.organisations.models import Member
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.bdd.access_steps import *  # noqa: F403 - the shared steps
from tests.bdd.access_steps import follow, press_button
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    fresh_session,
    visible_text,
)
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member
from tests.helpers import csrf_token, submit

scenarios("platform/member_self_activation.feature")

LETTERS: dict[str, str] = {}
"""The code printed in each person's letter (from the staff export)."""


def _ask_activation(browser: object, number: str, email: str) -> Response:
    data = {"membership_number": number, "email": email}
    return submit(browser, "/activate/start", "/activate/start", data)


@when(
    parsers.parse(
        "{name:w} asks for her activation with her membership number and her e-mail address"
    ),
    target_fixture="response",
)
def asks_with_number(browsers: Browsers, people: People, name: str) -> Response:
    person = people[name]
    assert person.membership_number
    browser = browsers.of(name)
    return follow(browser, _ask_activation(browser, person.membership_number, person.email))


@when(
    parsers.parse(
        '{name:w} asks for her activation with the membership number "{number}" and her '
        "e-mail address"
    ),
    target_fixture="response",
)
def asks_with_wrong_number(
    browsers: Browsers, people: People, answers: list[Response], name: str, number: str
) -> Response:
    response = _ask_activation(browsers.of(name), number, people[name].email)
    answers.append(response)
    return response


@when(
    parsers.parse(
        'someone asks for an activation with the membership number "{number}" and the '
        'address "{address}"'
    ),
    target_fixture="response",
)
def stranger_asks(
    browsers: Browsers, answers: list[Response], number: str, address: str
) -> Response:
    response = _ask_activation(browsers.of("someone"), number, address)
    answers.append(response)
    return response


@then("both refusals read the same")
def same_refusals(answers: list[Response]) -> None:
    first, second = answers
    assert first.status_code == second.status_code == 400
    text = "Mitgliedsnummer und E-Mail-Adresse passen nicht zusammen"
    first_text, second_text = visible_text(first), visible_text(second)
    assert (
        first_text[first_text.index(text) :][:200] == second_text[second_text.index(text) :][:200]
    )


@when(
    parsers.parse(
        "someone asks for an activation of {name:w}'s address with {count:d} wrong "
        "membership numbers"
    ),
    target_fixture="answers",
)
def guesses_numbers(browsers: Browsers, people: People, name: str, count: int) -> list[Response]:
    browser = browsers.of("someone")
    return [_ask_activation(browser, f"12345{n}", people[name].email) for n in range(count)]


@then(parsers.parse("the last answer is refused with status {status:d}"))
def last_refused(answers: list[Response], status: int) -> None:
    assert answers[-1].status_code == status
    assert all(a.status_code in {400, status} for a in answers)


# -- letter codes ------------------------------------------------------------------------------


@given(parsers.parse('{full_name} is a member of "{unit_name}" without an e-mail address'))
def member_without_email(
    db: Session, org: Organisation, people: People, full_name: str, unit_name: str
) -> None:
    given_name, _, family_name = full_name.partition(" ")
    person = people.add(given_name, full_name=full_name)
    member = make_member(db, org.unit(unit_name), given_name, family_name)
    person.member_id, person.membership_number = member.id, member.membership_number
    db.commit()


@when(
    parsers.parse('{name:w} downloads the letter codes for "{unit_name}"'),
    target_fixture="letter_rows",
)
def downloads_codes(
    browsers: Browsers, org: Organisation, name: str, unit_name: str
) -> list[dict[str, str]]:
    unit = org.unit(unit_name)
    browser = browsers.of(name)
    token = csrf_token(browser, f"/units/{unit.code}")
    response = browser.post(
        "/admin/letter-codes", data={"unit_code": unit.code, "_csrf_token": token}
    )
    assert response.status_code == 200, visible_text(response)
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@then(parsers.parse("the download lists {name:w} with a code and does not list {other:w}"))
def lists_codes(letter_rows: list[dict[str, str]], people: People, name: str, other: str) -> None:
    numbers = {row["membership_number"]: row for row in letter_rows}
    assert people[name].membership_number in numbers
    assert numbers[people[name].membership_number]["code"]
    assert people[other].membership_number not in numbers
    LETTERS[name] = numbers[people[name].membership_number]["code"]


@when(
    parsers.parse(
        '{name:w} enters his membership number, the code from his letter and "{address}"'
    ),
    target_fixture="response",
)
def enters_code(browsers: Browsers, people: People, name: str, address: str) -> Response:
    person = people[name]
    assert person.membership_number
    code, person.email = LETTERS[name], address
    data = {"membership_number": person.membership_number, "code": code, "email": address}
    browser = browsers.of(name)
    response = submit(browser, "/activate/start", "/activate/code", data)
    return follow(browser, response)


@then(parsers.parse('{name:w}\'s member record now has the address "{address}"'))
def register_address(database: Database, people: People, name: str, address: str) -> None:
    with fresh_session(database) as session:
        member = session.get(Member, people[name].member_id)
        assert member is not None
        assert member.email == address


# -- password help -------------------------------------------------------------------------------


@when(parsers.parse("{name:w} asks for a link to reset her password"), target_fixture="response")
def asks_for_reset(browsers: Browsers, people: People, name: str) -> Response:
    browser = browsers.of(name)
    response = submit(
        browser, "/password/forgot", "/password/forgot", {"email": people[name].email}
    )
    return follow(browser, response)


# -- the invitation to a vote ------------------------------------------------------------------


@given(
    parsers.parse("a member referendum is open and {name:w} is on its roll without a login"),
    target_fixture="world",
)
def open_referendum(
    db: Session, settings: Settings, org: Organisation, people: People, tmp_path: Path, name: str
) -> support.ElectionWorld:
    units = {unit.code: unit for unit in org.by_name.values()}
    staff = make_account(db, settings, "staff@example.org", TEST_PASSWORD, name="Sabine")
    grant(db, staff, Role.STAFF, units["LV1"])
    commission = []
    for index in range(3):
        account = make_account(
            db, settings, f"kommission{index}@example.org", TEST_PASSWORD, name=f"K{index}"
        )
        grant(db, account, Role.COMMISSION, units["LV1"])
        commission.append(account)
    member = db.get(Member, people[name].member_id)
    assert member is not None
    db.commit()
    world = support.ElectionWorld(
        db, settings, tmp_path, units, staff, commission, {name.lower(): member}
    )
    support.create(world, trustees=3, threshold=2)
    support.ceremony(world)
    return world


@when("the scheduler sends the invitations")
def scheduler_runs(db: Session, settings: Settings, world: support.ElectionWorld) -> None:
    run_schedule(db, settings, now=world.opens)


@when(
    parsers.parse("{name:w} logs in on the page she was sent to"),
    target_fixture="response",
)
def logs_in_there(browsers: Browsers, people: People, response: Response, name: str) -> Response:
    browser = browsers.of(name)
    login_page = str(response.url.raw_path.decode())
    assert login_page.startswith("/login?next="), login_page
    fields = {"email": people[name].email, "password": people[name].password}
    return press_button(browser, browser.get(login_page), "Anmelden", fields)


@then(parsers.parse("{name:w} lands on the voting page of the referendum"))
def lands_on_vote(
    browsers: Browsers, response: Response, world: support.ElectionWorld, name: str
) -> None:
    assert response.headers["location"] == f"/referendums/{world.id}/vote"
    assert browsers.of(name).get(response.headers["location"]).status_code == 200
