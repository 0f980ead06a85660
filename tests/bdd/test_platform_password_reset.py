"""Steps for password_reset.feature: reset link, same answer for unknown addresses."""

from __future__ import annotations

from datetime import timedelta

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import update

from app.accounts import tokens
from app.accounts.models import OneTimeToken
from app.core.db import Database, utcnow
from tests.bdd.conftest import (
    Browsers,
    People,
    follows_mailed_link,
    fresh_session,
    is_redirect_to_login,
    password_works,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("platform/password_reset.feature")

SUBJECT = "Passwort zurücksetzen"


def _ask_for_reset(browsers: Browsers, owner: str, email: str) -> Response:
    return submit(browsers.of(owner), "/password/forgot", "/password/forgot", {"email": email})


@when(parsers.parse("{name:w} asks for a link to reset her password"), target_fixture="response")
def asks_for_reset(
    browsers: Browsers, people: People, answers: list[Response], name: str
) -> Response:
    response = _ask_for_reset(browsers, name, people[name].email)
    answers.append(response)
    assert is_redirect_to_login(response), visible_text(response)
    return browsers.of(name).get(response.headers["location"])


@given(parsers.parse("{name:w} has asked for a link to reset her password"))
def has_asked_for_reset(
    browsers: Browsers, people: People, mailbox: MailCatcher, name: str
) -> None:
    assert is_redirect_to_login(_ask_for_reset(browsers, name, people[name].email))
    follows_mailed_link(browsers, people, mailbox, name, SUBJECT)


@when(
    parsers.parse('someone asks for a link to reset the password of "{email}"'),
    target_fixture="response",
)
def someone_asks(browsers: Browsers, answers: list[Response], email: str) -> Response:
    response = _ask_for_reset(browsers, "someone", email)
    answers.append(response)
    return response


def _set_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    person = people[name]
    assert person.link
    assert person.link.startswith("/password/reset?token=")
    token = person.link.split("token=", 1)[1]
    data = {"token": token, "password": password, "password_repeat": password}
    response = submit(browsers.of(name), person.link, "/password/reset", data)
    if response.status_code in {302, 303}:
        person.old_password, person.password = person.password, password
        return browsers.of(name).get(response.headers["location"])
    return response


@when(
    parsers.parse('{name:w} sets the new password "{password}" on that page'),
    target_fixture="response",
)
def sets_new_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    return _set_password(browsers, people, name, password)


@given(parsers.parse('the link has already been used to set the password "{password}"'))
def link_used(browsers: Browsers, people: People, password: str) -> None:
    (name,) = [p.name for p in people.values() if p.link]
    page = _set_password(browsers, people, name, password)
    assert "Dein Passwort wurde geändert" in visible_text(page)


@given("the link has expired")
def link_expired(database: Database) -> None:
    with fresh_session(database) as session:
        session.execute(
            update(OneTimeToken)
            .where(OneTimeToken.purpose == tokens.RESET_PASSWORD)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()


@given("the link was replaced by a made-up one")
def link_made_up(people: People) -> None:
    (person,) = [p for p in people.values() if p.link]
    person.link = "/password/reset?token=ausgedacht-und-nicht-echt"


@then(parsers.parse("{name:w} cannot log in with her old password any more"))
def old_password_dead(browsers: Browsers, people: People, name: str) -> None:
    person = people[name]
    assert person.old_password
    assert not password_works(browsers, person.email, person.old_password)


@then(parsers.parse("{name:w} can log in with the new password"))
def new_password_works(browsers: Browsers, people: People, name: str) -> None:
    assert password_works(browsers, people[name].email, people[name].password)


@then(parsers.parse("{name:w} can log in with her current password only"))
def current_password_only(browsers: Browsers, people: People, name: str) -> None:
    person = people[name]
    assert password_works(browsers, person.email, person.password)
    assert not password_works(browsers, person.email, "noch ein neues Passwort")


@then("both requests got the same answer")
def same_answer(answers: list[Response]) -> None:
    first, second = answers
    assert (first.status_code, first.headers["location"]) == (
        second.status_code,
        second.headers["location"],
    )
    assert first.headers.get_list("set-cookie") == second.headers.get_list("set-cookie")


@then(parsers.parse("nobody but {name:w} receives an e-mail"))
def only_mail_to(mailbox: MailCatcher, people: People, name: str) -> None:
    assert {m["To"] for m in mailbox.messages} == {people[name].email}
    assert len(mailbox.messages) == 1
