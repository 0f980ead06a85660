"""Steps for guest_registration.feature: register, confirm by mail, no enumeration."""

from __future__ import annotations

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select

from app.accounts.models import Account
from app.core.db import Database
from tests.bdd.access_steps import *  # noqa: F403 - the shared steps
from tests.bdd.access_steps import follow, press_button
from tests.bdd.conftest import (
    Browsers,
    People,
    body_of,
    follows_mailed_link,
    fresh_session,
    is_redirect_to_login,
    password_works,
    subject_of,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("platform/guest_registration.feature")

LONG_PASSWORD = "lange genug und geheim"


def _register(browsers: Browsers, owner: str, name: str, email: str, password: str) -> Response:
    data = {"display_name": name, "email": email, "password": password, "accept_terms": "yes"}
    return submit(browsers.of(owner), "/register", "/register", data)


@when(
    parsers.parse("{full_name} registers as a guest with a password of 12 or more characters"),
    target_fixture="response",
)
def registers(
    browsers: Browsers, people: People, answers: list[Response], full_name: str
) -> Response:
    person = people.add(full_name.split(maxsplit=1)[0], full_name=full_name, password=LONG_PASSWORD)
    response = _register(browsers, person.name, full_name, person.email, person.password)
    answers.append(response)
    return response


@when(
    parsers.parse('{full_name} registers as a guest with the password "{password}"'),
    target_fixture="response",
)
def registers_with(browsers: Browsers, people: People, full_name: str, password: str) -> Response:
    person = people.add(full_name.split(maxsplit=1)[0], full_name=full_name, password=password)
    return _register(browsers, person.name, full_name, person.email, password)


@when(
    parsers.parse("someone registers as a guest with the e-mail address of {name:w}"),
    target_fixture="response",
)
def registers_taken_address(
    browsers: Browsers, people: People, answers: list[Response], name: str
) -> Response:
    response = _register(browsers, "someone", "Jemand", people[name].email, LONG_PASSWORD)
    answers.append(response)
    return response


@given(parsers.parse("{full_name} has registered as a guest and confirmed the address"))
def registered_and_confirmed(
    browsers: Browsers, people: People, mailbox: MailCatcher, full_name: str
) -> None:
    person = people.add(full_name.split(maxsplit=1)[0], full_name=full_name, password=LONG_PASSWORD)
    assert is_redirect_to_login(
        _register(browsers, person.name, full_name, person.email, person.password)
    )
    page = follows_mailed_link(
        browsers, people, mailbox, person.name, "Bitte bestätige deine E-Mail-Adresse"
    )
    browser = browsers.of(person.name)
    page = follow(browser, press_button(browser, page, "E-Mail-Adresse bestätigen"))
    assert "Deine E-Mail-Adresse ist bestätigt" in visible_text(page)


def _typed_name(name: str) -> str:
    if name == "101 characters":
        return "G" * 101
    return name.replace("\\n", "\n")


@when(
    parsers.parse('someone registers as a guest with the name "{name}" for "{address}"'),
    target_fixture="response",
)
def registers_named(browsers: Browsers, name: str, address: str) -> Response:
    return _register(browsers, "someone", _typed_name(name), address, LONG_PASSWORD)


@when(
    parsers.parse('someone registers as a guest {count:d} times for "{address}"'),
    target_fixture="answers",
)
def registers_often(browsers: Browsers, count: int, address: str) -> list[Response]:
    return [_register(browsers, "someone", "Jemand", address, LONG_PASSWORD) for _ in range(count)]


@then(parsers.parse("the last registrations are refused with status {status:d}"))
def last_refused(answers: list[Response], status: int) -> None:
    assert answers[-1].status_code == status
    assert all(a.status_code in {302, status} for a in answers)


@then(parsers.parse('at most {count:d} mails went to "{address}"'))
def at_most_mails(mailbox: MailCatcher, count: int, address: str) -> None:
    assert 0 < len(mailbox.to(address)) <= count


@then(parsers.parse('the mail to "{address}" does not contain "{text}"'))
def mail_without(mailbox: MailCatcher, address: str, text: str) -> None:
    (mail,) = mailbox.to(address)
    assert text not in body_of(mail)
    assert text not in subject_of(mail)


@then(parsers.parse("there is no guest account with the e-mail address of {name:w}"))
def no_guest_account(database: Database, people: People, name: str) -> None:
    with fresh_session(database) as session:
        accounts = list(session.scalars(select(Account).where(Account.email == people[name].email)))
    assert all(account.member_id is not None for account in accounts)
    assert all(account.password_hash is None for account in accounts)


@then(parsers.parse("nobody can log in as {name:w} with the password typed into the guest form"))
def guest_password_useless(browsers: Browsers, people: People, name: str) -> None:
    assert not password_works(browsers, people[name].email, LONG_PASSWORD)


@then(parsers.parse("{name:w} is asked to confirm the address by e-mail"))
def asked_to_confirm(browsers: Browsers, response: Response, name: str) -> None:
    assert is_redirect_to_login(response)
    page = browsers.of(name).get(response.headers["location"])
    assert "Fast geschafft: Wir haben dir eine E-Mail" in visible_text(page)


@then(parsers.parse("{name:w} cannot log in yet"))
def cannot_log_in_yet(browsers: Browsers, people: People, name: str) -> None:
    person = people[name]
    data = {"email": person.email, "password": person.password}
    response = submit(browsers.of(name), "/login", "/login", data)
    assert response.status_code == 400
    assert "noch nicht aktiviert" in visible_text(response)


@then("both registrations got the same answer")
def same_answer(answers: list[Response]) -> None:
    first, second = answers
    assert first.status_code == second.status_code
    assert first.headers["location"] == second.headers["location"]
    assert first.headers.get_list("set-cookie") == second.headers.get_list("set-cookie")
    assert first.text == second.text


@then(
    parsers.parse(
        "the e-mail to {name:w} offers to reset the password and holds no confirmation link"
    )
)
def already_registered_mail(mailbox: MailCatcher, people: People, name: str) -> None:
    (mail,) = mailbox.to(people[name].email)
    assert subject_of(mail) == "Dein Stimmwerk-Konto"
    body = body_of(mail)
    assert "https://testserver.local/password/forgot" in body
    assert "token=" not in body


def _accounts_with(database: Database, email: str) -> int:
    with fresh_session(database) as session:
        return int(
            session.scalar(select(func.count()).select_from(Account).where(Account.email == email))
            or 0
        )


@then(parsers.parse("there is still exactly one account with the e-mail address of {name:w}"))
def one_account(database: Database, people: People, name: str) -> None:
    assert _accounts_with(database, people[name].email) == 1


@then(parsers.parse("there is no account with the e-mail address of {name:w}"))
def no_account(database: Database, people: People, name: str) -> None:
    assert _accounts_with(database, people[name].email) == 0


@then(parsers.parse("{name:w} can still log in with the right password"))
def can_still_log_in(browsers: Browsers, people: People, name: str) -> None:
    assert password_works(browsers, people[name].email, people[name].password)
