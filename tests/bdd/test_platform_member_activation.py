"""Steps for member_activation.feature: invitations, activation links, first login."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.accounts.passwords import make_hasher
from app.core.settings import Settings
from app.organisations.activation import invite_members
from app.organisations.models import Member
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    follows_mailed_link,
    password_works,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("platform/member_activation.feature")

SUBJECT = "Aktiviere dein Stimmwerk-Konto"


@when(
    parsers.parse('{name:w} sends activation e-mails to the members of "{unit_name}"'),
    target_fixture="response",
)
def sends_invitations(browsers: Browsers, org: Organisation, name: str, unit_name: str) -> Response:
    unit = org.unit(unit_name)
    browser = browsers.of(name)
    page = f"/units/{unit.code}"
    response = submit(browser, page, "/admin/invitations", {"unit_code": unit.code})
    assert response.status_code in {302, 303}, visible_text(response)
    return browser.get(response.headers["location"])


def _choose_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    person = people[name]
    assert person.link
    assert person.link.startswith("/activate?token=")
    data = {"password": password, "password_repeat": password}
    response = submit(
        browsers.of(name), person.link, "/activate", {**data, "token": _token(person.link)}
    )
    if response.status_code in {302, 303}:
        person.password = password
        return browsers.of(name).get(response.headers["location"])
    return response


def _token(link: str) -> str:
    return link.split("token=", 1)[1]


@when(
    parsers.parse('{name:w} chooses the password "{password}" on that page'),
    target_fixture="response",
)
def chooses_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    return _choose_password(browsers, people, name, password)


@given(
    parsers.parse(
        '{name:w} has been invited and has activated her account with the password "{password}"'
    )
)
def invited_and_activated(
    db: Session,
    settings: Settings,
    browsers: Browsers,
    people: People,
    mailbox: MailCatcher,
    name: str,
    password: str,
) -> None:
    member = db.get(Member, people[name].member_id)
    assert member is not None
    invite_members(db, settings, make_hasher(settings.security), member.unit, actor=None)
    follows_mailed_link(browsers, people, mailbox, name, SUBJECT)
    page = _choose_password(browsers, people, name, password)
    assert "Dein Konto ist aktiv" in visible_text(page)


@when(
    parsers.parse('someone opens the same activation link and chooses the password "{password}"'),
    target_fixture="response",
)
def reuses_link(browsers: Browsers, people: People, password: str) -> Response:
    (link,) = [p.link for p in people.values() if p.link]
    assert link is not None
    data = {"token": _token(link), "password": password, "password_repeat": password}
    return submit(browsers.of("someone"), link, "/activate", data)


@then(parsers.parse('{name:w} can still log in with the password "{password}"'))
def can_log_in_with(browsers: Browsers, people: People, name: str, password: str) -> None:
    assert password_works(browsers, people[name].email, password)


@then(parsers.parse('nobody can log in as {name:w} with the password "{password}"'))
def nobody_logs_in_with(browsers: Browsers, people: People, name: str, password: str) -> None:
    assert not password_works(browsers, people[name].email, password)
