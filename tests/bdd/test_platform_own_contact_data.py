"""Steps for own_contact_data.feature: the member's own contact data and the IBAN."""

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select

from app.core.db import Database
from app.organisations.models import Member
from tests.bdd.conftest import Browsers, People, fresh_session, visible_text
from tests.helpers import submit

scenarios("platform/own_contact_data.feature")

FIELDS = ("phone", "street", "postcode", "city", "iban")


def _save(browsers: Browsers, name: str, values: dict[str, str]) -> Response:
    data = {field: values.get(field, "") for field in FIELDS}
    response = submit(browsers.of(name), "/me/", "/me/", data)
    if response.status_code in {302, 303}:
        return browsers.of(name).get(response.headers["location"])
    return response


@when(parsers.parse("{name:w} saves her contact data:"), target_fixture="response")
def saves_contact_data(browsers: Browsers, name: str, datatable: list[list[str]]) -> Response:
    return _save(browsers, name, dict(datatable[1:]))


@when(parsers.parse("{name:w} sends contact data anyway"), target_fixture="response")
def sends_anyway(browsers: Browsers, name: str) -> Response:
    return submit(browsers.of(name), "/me/", "/me/", dict.fromkeys(FIELDS, "") | {"city": "Köln"})


@given(parsers.parse('{name:w} has saved the phone number "{phone}" and the city "{city}"'))
def has_saved(browsers: Browsers, name: str, phone: str, city: str) -> None:
    page = _save(browsers, name, {"phone": phone, "city": city})
    assert "Deine Änderungen sind gespeichert." in visible_text(page)


@then("the contact form shows:")
def form_shows(response: Response, datatable: list[list[str]]) -> None:
    for field, value in datatable[1:]:
        match = re.search(
            rf'<input id="f-{field}" name="{field}"[^>]*value="([^"]*)"', response.text
        )
        assert match, f"no field {field}"
        assert match.group(1) == value, (field, match.group(1))


@then(parsers.parse('the full IBAN "{iban}" appears nowhere on the page'))
def iban_not_shown(response: Response, iban: str) -> None:
    compact = re.sub(r"\s", "", response.text)
    assert iban not in compact


def _member(database: Database, people: People, name: str) -> Member:
    with fresh_session(database) as session:
        member = session.scalar(select(Member).where(Member.id == people[name].member_id))
        assert member is not None
        return member


@then(parsers.parse("the database holds the IBAN of {name:w} only in encrypted form"))
def iban_encrypted(database: Database, people: People, name: str) -> None:
    stored = _member(database, people, name).iban_encrypted
    assert stored
    for fragment in ("DE89370400440532013000", "370400440532013000", "0532013000"):
        assert fragment not in stored


@then(
    parsers.parse(
        'the stored contact data of {name:w} is still phone "{phone}", city "{city}" and no IBAN'
    )
)
def contact_unchanged(database: Database, people: People, name: str, phone: str, city: str) -> None:
    member = _member(database, people, name)
    assert (member.phone, member.city, member.street, member.iban_encrypted) == (
        phone,
        city,
        None,
        None,
    )


@then("the page has no contact form")
def no_contact_form(response: Response) -> None:
    assert 'action="/me/"' not in response.text
    assert "Kontaktdaten" not in visible_text(response)
