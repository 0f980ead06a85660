"""Steps for member_activation.feature: invitations, activation links, first login."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.accounts.passwords import make_hasher
from app.accounts.services import AccountService
from app.core.db import Database
from app.core.settings import Settings
from app.organisations.activation import invite_members
from app.organisations.models import Member
from tests.bdd.access_steps import *  # noqa: F403 - the shared steps
from tests.bdd.access_steps import choose_password, follow, press_button, token_of
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    body_of,
    follows_mailed_link,
    fresh_session,
    password_works,
    subject_of,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("platform/member_activation.feature")

SUBJECT = "Aktiviere dein Stimmwerk-Konto"


@when(
    parsers.parse('{name:w} opens the activation mailing for "{unit_name}"'),
    target_fixture="response",
)
def opens_mailing(browsers: Browsers, org: Organisation, name: str, unit_name: str) -> Response:
    unit = org.unit(unit_name)
    response = browsers.of(name).get(f"/units/{unit.code}")
    assert f"/admin/invitations?unit_code={unit.code}" in response.text
    return browsers.of(name).get(f"/admin/invitations?unit_code={unit.code}")


@when(parsers.parse("{name:w} confirms the mailing"), target_fixture="response")
def confirms_mailing(browsers: Browsers, response: Response, name: str) -> Response:
    browser = browsers.of(name)
    sent = press_button(browser, response, "Senden", {"confirm": "yes"})
    assert sent.status_code in {302, 303}, visible_text(sent)
    return follow(browser, sent)


@when(
    parsers.parse("{name:w} sends the mailing without ticking the confirmation"),
    target_fixture="response",
)
def sends_unconfirmed(browsers: Browsers, response: Response, name: str) -> Response:
    return press_button(browsers.of(name), response, "Senden")


@given(parsers.parse("{name:w} has been invited but has not activated yet"))
def invited_only(
    db: Session, settings: Settings, people: People, mailbox: MailCatcher, name: str
) -> None:
    member = db.get(Member, people[name].member_id)
    assert member is not None
    invite_members(db, settings, make_hasher(settings.security), member.unit, actor=None)


@when(
    parsers.parse(
        "{name:w} sends {other:w}'s activation e-mail again from {owner:w}'s member page"
    ),
    target_fixture="response",
)
def resends(browsers: Browsers, people: People, name: str, other: str, owner: str) -> Response:
    browser = browsers.of(name)
    page = browser.get(f"/members/{people[other].member_id}")
    assert page.status_code == 200, visible_text(page)
    return follow(browser, press_button(browser, page, "Aktivierungs-E-Mail erneut senden"))


@then(parsers.parse('{name:w} has received {count:d} e-mails with the subject "{subject}"'))
def received_count(
    mailbox: MailCatcher, people: People, name: str, count: int, subject: str
) -> None:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert len(mails) == count


@given(
    parsers.parse(
        "before {name:w}'s record was imported, someone registered as a guest with her "
        'address and the password "{password}"'
    )
)
def pre_registered(
    db: Session, settings: Settings, people: People, name: str, password: str
) -> None:
    # The guest path as it ran before the member record existed (no member to find).
    accounts = AccountService(db, settings, make_hasher(settings.security))
    registration = accounts.check_registration(
        email=people[name].email,
        display_name="Angreifer",
        password=password,
        locale="de",
        accepted_privacy_notice=True,
        address="203.0.113.9",
    )
    accounts.deliver_registration(registration)


@when(parsers.parse("a mail scanner fetches every link mailed to {name:w}"))
def scanner(browsers: Browsers, people: People, mailbox: MailCatcher, name: str) -> None:
    scanner_browser = browsers.of("mail scanner")
    for mail in mailbox.to(people[name].email):
        for link in re.findall(r"https://testserver\.local(/\S+)", body_of(mail)):
            assert scanner_browser.get(link).status_code in {200, 400}


@then(parsers.parse("{name:w}'s account is linked to her member record"))
def linked(database: Database, people: People, name: str) -> None:
    with fresh_session(database) as session:
        (account,) = session.scalars(select(Account).where(Account.email == people[name].email))
        assert account.member_id == people[name].member_id
        assert account.display_name == people[name].full_name


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
    page = choose_password(browsers, people, name, password)
    assert "Dein Konto ist aktiv" in visible_text(page)


@when(
    parsers.parse('someone opens the same activation link and chooses the password "{password}"'),
    target_fixture="response",
)
def reuses_link(browsers: Browsers, people: People, password: str) -> Response:
    (link,) = [p.link for p in people.values() if p.link]
    assert link is not None
    data = {"token": token_of(link), "password": password, "password_repeat": password}
    return submit(browsers.of("someone"), link, "/activate", data)


@then(parsers.parse('{name:w} can still log in with the password "{password}"'))
def can_log_in_with(browsers: Browsers, people: People, name: str, password: str) -> None:
    assert password_works(browsers, people[name].email, password)


@then(parsers.parse('nobody can log in as {name:w} with the password "{password}"'))
def nobody_logs_in_with(browsers: Browsers, people: People, name: str, password: str) -> None:
    assert not password_works(browsers, people[name].email, password)
