"""Steps for member_import.feature: the CLI and the import services on the real database."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select

from app.core.db import Database
from app.organisations.imports import ImportRejected, ImportReport, import_members
from app.organisations.models import Member, MemberStatus, Unit
from tests.bdd.conftest import fresh_session, stored_rows

scenarios("platform/member_import.feature")


@given("a freshly installed Stimmwerk without any units")
def fresh_installation(database: Database) -> None:
    with fresh_session(database) as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0


@given(parsers.parse('the file "{name}":'))
def a_file(tmp_path: Path, name: str, docstring: str) -> None:
    (tmp_path / name).write_text(docstring + "\n", encoding="utf-8")


def _import(database: Database, csv_text: str, **options: Any) -> ImportReport | ImportRejected:
    with fresh_session(database) as session:
        try:
            return import_members(session, io.StringIO(csv_text + "\n"), **options)
        except ImportRejected as rejected:
            return rejected


@given("the administrator has imported the member file:")
def has_imported(database: Database, docstring: str) -> None:
    assert isinstance(_import(database, docstring), ImportReport)


@when("the administrator imports the member file:", target_fixture="outcome")
def imports(database: Database, docstring: str) -> ImportReport | ImportRejected:
    return _import(database, docstring)


@when(
    "the administrator imports the complete register, marking missing members as left:",
    target_fixture="outcome",
)
def imports_complete(database: Database, docstring: str) -> ImportReport | ImportRejected:
    return _import(database, docstring, mark_missing_left=True)


@then(
    parsers.parse(
        "the import reports {created:d} created, {updated:d} updated and {unchanged:d} unchanged"
    )
)
def reports_counts(
    outcome: ImportReport | ImportRejected, created: int, updated: int, unchanged: int
) -> None:
    assert isinstance(outcome, ImportReport), getattr(outcome, "errors", outcome)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (created, updated, unchanged)


@then(parsers.parse("the import reports {count:d} marked as left"))
def reports_marked_left(outcome: ImportReport | ImportRejected, count: int) -> None:
    assert isinstance(outcome, ImportReport), getattr(outcome, "errors", outcome)
    assert outcome.marked_left == count


def _members(database: Database) -> list[Member]:
    with fresh_session(database) as session:
        members = list(session.scalars(select(Member).order_by(Member.membership_number)))
        for member in members:
            _ = member.unit.name  # load before the session closes
        return members


@then("the register holds these members:")
def register_holds(database: Database, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    found = [
        {
            "membership number": member.membership_number,
            "name": member.full_name,
            "e-mail": member.email or "",
            "unit": member.unit.name,
            "status": member.status.value,
            "postal vote": "yes" if member.postal_vote else "no",
        }
        for member in _members(database)
    ]
    assert found == expected


@then(parsers.parse("the register still holds {count:d} members"))
def register_count(database: Database, count: int) -> None:
    assert len(_members(database)) == count


@then(parsers.parse("member {number} is marked as having left today"))
def marked_left(database: Database, number: str) -> None:
    member = next(m for m in _members(database) if m.membership_number == number)
    assert member.status == MemberStatus.LEFT
    assert member.left_on == date.today()  # noqa: DTZ011 - the import records the local date


@then(parsers.parse('"{unit}" lies below "{parent}", "{grandparent}" and "{root}"'))
def lies_below(database: Database, unit: str, parent: str, grandparent: str, root: str) -> None:
    with fresh_session(database) as session:
        by_name = {u.name: u for u in session.scalars(select(Unit))}
    chain = [by_name[root], by_name[grandparent], by_name[parent], by_name[unit]]
    assert by_name[unit].path == "/" + "".join(f"{u.id}/" for u in chain)
    assert [u.parent_id for u in chain] == [None, *(u.id for u in chain[:-1])]


@given("the register as it is now has been noted", target_fixture="noted_register")
def note_register(database: Database) -> list[dict[str, Any]]:
    return stored_rows(database, Member)


@then("the file is rejected with these problems:")
def rejected_with(outcome: ImportReport | ImportRejected, datatable: list[list[str]]) -> None:
    assert isinstance(outcome, ImportRejected), outcome
    expected = [(int(line), field) for line, field in datatable[1:]]
    assert [(error.line, error.field) for error in outcome.errors] == expected
    assert all(error.message for error in outcome.errors)


@then("the register is exactly as noted before")
def register_unchanged(database: Database, noted_register: list[dict[str, Any]]) -> None:
    after = stored_rows(database, Member)
    assert len(after) == len(noted_register)
    assert after == noted_register
