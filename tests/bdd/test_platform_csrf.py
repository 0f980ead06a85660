"""Steps for csrf.feature: forms without a valid token are refused; htmx sends a header."""

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.db import Database
from app.organisations.models import Member
from tests.bdd.conftest import Browsers, People, fresh_session, visible_text
from tests.helpers import csrf_token

scenarios("platform/csrf.feature")


@given(parsers.parse('{name:w} has the phone number "{phone}"'))
def has_phone(db: Session, people: People, name: str, phone: str) -> None:
    member = db.get(Member, people[name].member_id)
    assert member is not None
    member.phone = phone
    db.commit()


def _contact_form(phone: str) -> dict[str, str]:
    return {"phone": phone, "street": "", "postcode": "", "city": "", "iban": ""}


@when(
    parsers.parse('a form sends the phone number "{phone}" for {name:w} {how}'),
    target_fixture="response",
)
def form_without_valid_token(browsers: Browsers, name: str, phone: str, how: str) -> Response:
    browser = browsers.of(name)
    browser.get("/me/")  # the browser holds its CSRF cookie, as after any page view
    data = _contact_form(phone)
    if how == "with a made-up token":
        data["_csrf_token"] = "ausgedacht" * 8
    elif how == "with the token of a different browser":
        data["_csrf_token"] = csrf_token(browsers.of("a different browser"), "/login")
    else:
        assert how == "without a token", how
    return browser.post("/me/", data=data, follow_redirects=False)


@when(
    parsers.parse('another site sends a guest registration for "{email}" without a token'),
    target_fixture="response",
)
def foreign_registration(browsers: Browsers, email: str) -> Response:
    data = {
        "display_name": "Gustav Gast",
        "email": email,
        "password": "lange genug und geheim",
        "accept_terms": "yes",
    }
    return browsers.of("visitor").post("/register", data=data, follow_redirects=False)


@when(
    parsers.parse(
        '{name:w}\'s page sends the phone number "{phone}" with htmx, '
        'the token in the "{header}" header'
    ),
    target_fixture="response",
)
def htmx_request(browsers: Browsers, name: str, phone: str, header: str) -> Response:
    browser = browsers.of(name)
    page = browser.get("/me/")
    match = re.search(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'", page.text)
    assert match, "the page hands htmx no token"
    headers = {header: match.group(1), "hx-request": "true", "hx-current-url": page.url.path}
    return browser.post("/me/", data=_contact_form(phone), headers=headers, follow_redirects=False)


def _phone(database: Database, people: People, name: str) -> str | None:
    with fresh_session(database) as session:
        member = session.get(Member, people[name].member_id)
        assert member is not None
        return member.phone


@then(parsers.parse('{name:w}\'s phone number is still "{phone}"'))
@then(parsers.parse('{name:w}\'s phone number is now "{phone}"'))
def phone_is(database: Database, people: People, name: str, phone: str) -> None:
    assert _phone(database, people, name) == phone


@then(parsers.parse('there is no account for "{email}"'))
def no_account(database: Database, email: str) -> None:
    with fresh_session(database) as session:
        query = select(func.count()).select_from(Account).where(Account.email == email)
        assert session.scalar(query) == 0


@then("the change is accepted")
def change_accepted(response: Response) -> None:
    assert response.status_code in {200, 302, 303}, visible_text(response)[:2000]
