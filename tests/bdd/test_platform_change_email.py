"""Steps for change_email.feature: password, confirmation, undo from the old address."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import parsers, scenarios, then, when

from app.accounts.models import Account
from app.core.db import Database
from app.organisations.models import Member
from tests.bdd.access_steps import *  # noqa: F403 - the shared steps
from tests.bdd.access_steps import follow, mailed_links, press_button
from tests.bdd.conftest import (
    Browsers,
    People,
    body_of,
    fresh_session,
    password_works,
    subject_of,
)
from tests.conftest import MailCatcher
from tests.helpers import csrf_token

scenarios("platform/change_email.feature")


def _ask(browsers: Browsers, people: People, name: str, address: str, password: str) -> Response:
    browser = browsers.of(name)
    token = csrf_token(browser, "/me/")
    data = {"email": address, "current_password": password, "_csrf_token": token}
    return browser.post("/me/email", data=data, follow_redirects=True)


@when(
    parsers.parse('{name:w} asks to change her e-mail address to "{address}"'),
    target_fixture="response",
)
def asks_to_change(browsers: Browsers, people: People, name: str, address: str) -> Response:
    return _ask(browsers, people, name, address, people[name].password)


@when(
    parsers.parse(
        '{name:w} asks to change her e-mail address to "{address}" with the password "{password}"'
    ),
    target_fixture="response",
)
def asks_with_password(
    browsers: Browsers, people: People, name: str, address: str, password: str
) -> Response:
    return _ask(browsers, people, name, address, password)


@then(parsers.parse('a mail with the subject "{subject}" goes to the old address of {name:w}'))
def mail_to_old(mailbox: MailCatcher, people: People, subject: str, name: str) -> None:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert mails
    assert "/me/email/undo?token=" in body_of(mails[-1])


@when(
    parsers.parse('{name:w} opens the confirmation link sent to "{address}"'),
    target_fixture="response",
)
def opens_link(browsers: Browsers, mailbox: MailCatcher, name: str, address: str) -> Response:
    links = re.findall(r"https://testserver\.local(/\S+)", body_of(mailbox.to(address)[-1]))
    assert links
    return browsers.of(name).get(links[-1], follow_redirects=True)


@when(
    parsers.parse(
        "the owner of the old address of {name:w} opens the undo link and chooses the "
        'password "{password}"'
    ),
    target_fixture="response",
)
def undoes(
    browsers: Browsers, people: People, mailbox: MailCatcher, name: str, password: str
) -> Response:
    (link,) = mailed_links(mailbox, people[name].email, "Deine E-Mail-Adresse wurde geändert")
    owner = browsers.of("owner of the old address")
    page = owner.get(link)
    fields = {"password": password, "password_repeat": password}
    return follow(owner, press_button(owner, page, "Änderung rückgängig machen", fields))


def _addresses(database: Database, people: People, name: str) -> tuple[str, str | None]:
    with fresh_session(database) as session:
        account = session.get(Account, people[name].account_id)
        member = session.get(Member, people[name].member_id)
        assert account is not None
        assert member is not None
        return account.email, member.email


@then(parsers.parse("the login and member record of {name:w} still use the old address"))
def still_old(database: Database, people: People, name: str) -> None:
    assert _addresses(database, people, name) == (people[name].email, people[name].email)


@then(parsers.parse('the login and member record of {name:w} use "{address}"'))
def now_new(database: Database, people: People, name: str, address: str) -> None:
    assert _addresses(database, people, name) == (address, address)


@then(parsers.parse('{name:w} can log in with "{address}" and her password'))
def can_log_in(browsers: Browsers, people: People, name: str, address: str) -> None:
    browser = browsers.of(name + "-again")
    token = csrf_token(browser, "/login")
    data = {"email": address, "password": people[name].password, "_csrf_token": token}
    response = browser.post("/login", data=data, follow_redirects=False)
    assert response.status_code in (302, 303)
    assert browser.get("/dashboard").status_code == 200


@then(parsers.parse('{name:w} can log in with her old address and the password "{password}" only'))
def only_new_password(browsers: Browsers, people: People, name: str, password: str) -> None:
    assert password_works(browsers, people[name].email, password)
    assert not password_works(browsers, people[name].email, people[name].password)
