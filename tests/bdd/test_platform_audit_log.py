"""Steps for audit_log.feature: reading the log, and the database refusing rewrites."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import io
import re
from typing import Any

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.core.audit import AuditEvent
from app.core.db import Database
from app.organisations.imports import import_members
from tests.bdd.conftest import Browsers, Organisation, People, fresh_session, visible_text
from tests.helpers import submit

scenarios("platform/audit_log.feature")

MEMBER_FILE = """\
membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
200001,Jana,Jung,jana@example.org,1985,OV-A,2015-03-01,aktiv,nein
200002,Karl,Kurz,karl@example.org,1970,OV-B,2001-09-15,aktiv,ja
"""


@given(parsers.parse("{name:w} has imported a member file with {count:d} members"))
def has_imported(database: Database, people: People, name: str, count: int) -> None:
    with fresh_session(database) as session:
        report = import_members(session, io.StringIO(MEMBER_FILE), actor_id=people[name].account_id)
    assert report.created == count


@given(parsers.parse('{name:w} has made {other:w} board member of "{unit_name}"'))
def has_granted(
    browsers: Browsers, org: Organisation, people: People, name: str, other: str, unit_name: str
) -> None:
    data = {"email": people[other].email, "role": "board", "unit_code": org.unit(unit_name).code}
    response = submit(browsers.of(name), "/admin/roles", "/admin/roles", data)
    assert response.status_code in {302, 303}, visible_text(response)


@when(parsers.parse("{name:w} opens the audit log"), target_fixture="response")
def opens_audit_log(browsers: Browsers, name: str) -> Response:
    return browsers.of(name).get("/admin/audit", follow_redirects=False)


@then("the audit log shows entries for these actions:")
def log_shows(response: Response, datatable: list[list[str]]) -> None:
    shown = set(re.findall(r"<td><code>([a-z_]+:[a-z_]+)</code></td>", response.text))
    for (action,) in datatable[1:]:
        assert action in shown, shown


@then("the audit log shows no e-mail address")
def log_without_addresses(response: Response) -> None:
    main = response.text.split('<main id="main"', 1)[1]
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", main)


def _rows(database: Database) -> list[dict[str, Any]]:
    with fresh_session(database) as session:
        rows = session.execute(select(AuditEvent.__table__).order_by(AuditEvent.__table__.c.id))
        return [dict(row._mapping) for row in rows]


@given("the audit log as it is now has been noted", target_fixture="noted_log")
def note_log(database: Database) -> list[dict[str, Any]]:
    rows = _rows(database)
    assert rows, "the audit log should not be empty"
    return rows


@when(
    parsers.parse('someone runs "{statement}" directly on the database'),
    target_fixture="refusal",
)
def runs_sql(database: Database, statement: str) -> DBAPIError | None:
    try:
        with database.engine.begin() as connection:
            connection.execute(text(statement))
    except DBAPIError as error:
        return error
    return None


@then("the database refuses the statement")
def refused(refusal: DBAPIError | None) -> None:
    assert refusal is not None, "the statement went through"


@then("the audit log is exactly as noted before")
def log_unchanged(database: Database, noted_log: list[dict[str, Any]]) -> None:
    assert _rows(database) == noted_log
