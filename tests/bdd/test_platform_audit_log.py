"""Steps for audit_log.feature: reading the log, and the database refusing rewrites."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import io
import re
from typing import Any

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.audit import AuditEvent
from app.core.db import Database
from app.organisations.imports import import_members
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    fresh_session,
    stored_rows,
    visible_text,
)
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


@then("the audit log shows entries for these events:")
def log_shows(response: Response, datatable: list[list[str]]) -> None:
    shown = {cells[1] for cells in _table_rows(response)}
    for (label,) in datatable[1:]:
        assert label.strip() in shown, shown


def _table_rows(response: Response) -> list[list[str]]:
    """The audit table's rows as lists of cell texts (time, event, person, object, details)."""
    table = response.text.split('<table class="audit">', 1)
    if len(table) < 2:
        return []
    body = table[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    return [
        [
            re.sub(r"<[^>]+>", " ", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
        ]
        for row in rows
        if "<td>" in row
    ]


@then(parsers.parse('the audit log names "{full_name}" as the person who acted'))
def log_names(response: Response, full_name: str) -> None:
    assert full_name in {cells[2] for cells in _table_rows(response)}, _table_rows(response)


@then(parsers.parse('the audit log does not mention "{full_name}"'))
def log_does_not_mention(response: Response, full_name: str) -> None:
    assert full_name not in visible_text(response)


@then("the audit log shows no account id")
def log_without_ids(response: Response) -> None:
    persons = [cells[2] for cells in _table_rows(response)]
    assert persons
    assert not any(re.fullmatch(r"[0-9a-f-]{8,36}", person) for person in persons), persons


@when(
    parsers.parse(
        '{name:w} filters the audit log by the event "{label}" and the person "{person}"'
    ),
    target_fixture="response",
)
def filters_by_event_and_person(browsers: Browsers, name: str, label: str, person: str) -> Response:
    page = browsers.of(name).get("/admin/audit")
    match = re.search(rf'<option value="([a-z_:]+)">{re.escape(label)}</option>', page.text)
    assert match, f"no event {label!r} to choose"
    params = {"action": match.group(1), "person": person}
    return browsers.of(name).get("/admin/audit", params=params)


@when(
    parsers.parse('{name:w} filters the audit log from "{since}" until "{until}"'),
    target_fixture="response",
)
def filters_by_date(browsers: Browsers, name: str, since: str, until: str) -> Response:
    return browsers.of(name).get("/admin/audit", params={"since": since, "until": until})


@then("the audit log shows no e-mail address")
def log_without_addresses(response: Response) -> None:
    main = response.text.split('<main id="main"', 1)[1]
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", main)


@given("the audit log as it is now has been noted", target_fixture="noted_log")
def note_log(database: Database) -> list[dict[str, Any]]:
    rows = stored_rows(database, AuditEvent)
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
    assert stored_rows(database, AuditEvent) == noted_log
