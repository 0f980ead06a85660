"""Steps for change_email.feature: confirmed change of the login and register address."""

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import parsers, scenarios, then, when

from app.accounts.models import Account
from app.core.db import Database
from app.organisations.models import Member
from tests.bdd.conftest import Browsers, People, body_of, fresh_session, subject_of
from tests.conftest import MailCatcher
from tests.helpers import csrf_token

scenarios("platform/change_email.feature")


@when(
    parsers.parse('{name:w} asks to change her e-mail address to "{address}"'),
    target_fixture="response",
)
def asks_to_change(browsers: Browsers, name: str, address: str) -> Response:
    browser = browsers.of(name)
    token = csrf_token(browser, "/me/")
    data = {"email": address, "_csrf_token": token}
    return browser.post("/me/email", data=data, follow_redirects=True)


@then(parsers.parse('a mail with the subject "{subject}" goes to "{address}"'))
def mail_goes_to(mailbox: MailCatcher, subject: str, address: str) -> None:
    assert subject in [subject_of(m) for m in mailbox.to(address)]


@when(
    parsers.parse('{name:w} opens the confirmation link sent to "{address}"'),
    target_fixture="response",
)
def opens_link(browsers: Browsers, mailbox: MailCatcher, name: str, address: str) -> Response:
    links = re.findall(r"https://testserver\.local(/\S+)", body_of(mailbox.to(address)[-1]))
    assert links
    return browsers.of(name).get(links[-1], follow_redirects=True)


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
