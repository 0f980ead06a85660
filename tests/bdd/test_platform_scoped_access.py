"""Steps for scoped_access.feature: who may read which member data."""

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import parsers, scenarios, then, when
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.db import Database
from tests.bdd.conftest import Browsers, Organisation, People, fresh_session, visible_text

scenarios("platform/scoped_access.feature")


@when(parsers.parse('{name:w} opens the member list of "{unit_name}"'), target_fixture="response")
def opens_member_list(browsers: Browsers, org: Organisation, name: str, unit_name: str) -> Response:
    unit = org.unit(unit_name)
    return browsers.of(name).get(f"/units/{unit.code}/members", follow_redirects=False)


@when(parsers.parse("{name:w} opens the member record of {other:w}"), target_fixture="response")
def opens_member_record(browsers: Browsers, people: People, name: str, other: str) -> Response:
    return browsers.of(name).get(f"/members/{people[other].member_id}", follow_redirects=False)


@then("the list shows exactly these members:")
def list_shows(response: Response, datatable: list[list[str]]) -> None:
    names = re.findall(r'<a href="/members/\d+">([^<]+)</a>', response.text)
    assert names == [row[0] for row in datatable[1:]]


@then(parsers.parse("the page shows the membership number of {name:w}"))
def shows_number(response: Response, people: People, name: str) -> None:
    number = people[name].membership_number
    assert number
    assert number in visible_text(response)


@then("the page shows no member data")
def no_member_data(response: Response, people: People) -> None:
    text = visible_text(response)
    for person in people.values():
        if person.membership_number:
            assert person.membership_number not in text
        assert person.email not in text
    assert 'href="/members/' not in response.text


@then("the page shows no member data of anyone else")
def no_data_of_others(response: Response, people: People) -> None:
    text = visible_text(response)
    reader = next(p for p in people.values() if p.membership_number and p.membership_number in text)
    for person in people.values():
        if person is not reader and person.membership_number:
            assert person.membership_number not in text
            assert person.full_name not in text


@then(
    parsers.parse("the audit log holds exactly these entries about {name:w} reading member data:")
)
def audit_entries(
    database: Database,
    org: Organisation,
    people: People,
    name: str,
    datatable: list[list[str]],
) -> None:
    unit_names = {str(unit.id): unit.name for unit in org.by_name.values()}
    member_names = {str(p.member_id): p.name for p in people.values() if p.member_id}
    with fresh_session(database) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.actor_id == people[name].account_id,
                AuditEvent.action.in_(["members:listed", "member:viewed"]),
            )
            .order_by(AuditEvent.id)
        )
        found = []
        for event in events:
            names = unit_names if event.object_type == "unit" else member_names
            found.append([event.action, f"{event.object_type} {names[event.object_id or '']}"])
    assert found == datatable[1:]
