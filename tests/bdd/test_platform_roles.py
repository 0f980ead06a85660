"""Steps for roles.feature: granting and revoking roles within an admin's area."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import re

from httpx import Response
from pytest_bdd import parsers, scenarios, then, when
from sqlalchemy import select

from app.accounts.models import RoleAssignment
from app.core.audit import AuditEvent
from app.core.db import Database
from tests.bdd.conftest import Browsers, Organisation, People, fresh_session
from tests.helpers import submit

scenarios("platform/roles.feature")

ROLE_VALUES = {"Vorstand": "board", "Geschäftsstelle": "staff", "Mitgliederverwaltung": "admin"}


def _follow(browsers: Browsers, name: str, response: Response) -> Response:
    if response.status_code in {302, 303}:
        return browsers.of(name).get(response.headers["location"])
    return response


@when(
    parsers.parse('{name:w} grants {other:w} the role "{role}" on "{unit_name}"'),
    target_fixture="response",
)
def grants(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    other: str,
    role: str,
    unit_name: str,
) -> Response:
    data = {
        "email": people[other].email,
        "role": ROLE_VALUES[role],
        "unit_code": org.unit(unit_name).code,
    }
    return _follow(browsers, name, submit(browsers.of(name), "/admin/roles", "/admin/roles", data))


def _role_rows(page: Response) -> list[tuple[str, str, str, str]]:
    """(person, role, unit, revoke action) for every row of the roles table."""
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>\s*"
        r'<td><form method="post" action="([^"]+)"',
        page.text,
    )
    return [
        (person.strip(), role.strip(), unit.strip(), action) for person, role, unit, action in rows
    ]


@when(
    parsers.parse('{name:w} revokes the role "{role}" of {other:w} on "{unit_name}"'),
    target_fixture="response",
)
def revokes(
    browsers: Browsers, people: People, name: str, role: str, other: str, unit_name: str
) -> Response:
    browser = browsers.of(name)
    rows = _role_rows(browser.get("/admin/roles"))
    (action,) = [row[3] for row in rows if row[:3] == (people[other].full_name, role, unit_name)]
    return _follow(browsers, name, submit(browser, "/admin/roles", action, {}))


@then(parsers.parse('the list of roles shows {other:w} as "{role}" of "{unit_name}"'))
def list_shows(response: Response, people: People, other: str, role: str, unit_name: str) -> None:
    assert (people[other].full_name, role, unit_name) in [row[:3] for row in _role_rows(response)]


@then(parsers.parse("{name:w} holds no role"))
def holds_no_role(database: Database, people: People, name: str) -> None:
    with fresh_session(database) as session:
        query = select(RoleAssignment).where(RoleAssignment.account_id == people[name].account_id)
        assert list(session.scalars(query)) == []


def _assert_audited(
    database: Database,
    org: Organisation,
    people: People,
    action: str,
    actor: str,
    subject: str,
    role: str,
    unit_name: str,
) -> None:
    with fresh_session(database) as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    assert event.actor_id == people[actor].account_id
    assert event.object_type == "account"
    assert event.object_id == str(people[subject].account_id)
    assert event.details == {"role": role, "unit_id": org.unit(unit_name).id}


@then(
    parsers.parse(
        'the audit log records that {name:w} granted {other:w} the role "{role}" on "{unit_name}"'
    )
)
def audit_grant(
    database: Database,
    org: Organisation,
    people: People,
    name: str,
    other: str,
    role: str,
    unit_name: str,
) -> None:
    _assert_audited(database, org, people, "role:granted", name, other, role, unit_name)


@then(
    parsers.parse(
        'the audit log records that {name:w} revoked the role "{role}" of {other:w} on "{unit_name}"'
    )
)
def audit_revoke(
    database: Database,
    org: Organisation,
    people: People,
    name: str,
    other: str,
    role: str,
    unit_name: str,
) -> None:
    _assert_audited(database, org, people, "role:revoked", name, other, role, unit_name)
