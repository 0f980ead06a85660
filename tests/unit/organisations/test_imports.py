# Copyright 2026 Stimmwerk contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The CSV imports of units and members, against a real SQLite (and PostgreSQL) database."""

from __future__ import annotations

import io
import os
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

import app.accounts.models  # noqa: F401 - registers the accounts table on Base.metadata
from app.core.audit import AuditEvent
from app.core.db import Base, Database
from app.organisations import imports
from app.organisations.imports import (
    PLACEMENT_MESSAGES,
    ImportRejected,
    import_members,
    import_units,
)
from app.organisations.imports import _fields as imports_fields
from app.organisations.imports import _members as imports_members
from app.organisations.models import Member, MemberStatus, Unit, UnitLevel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

UNIT_HEADER = "code,name,level,parent_code"
MEMBER_HEADER = "membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote"
TODAY = date(2026, 3, 1)

# Children before parents on purpose; German level names mixed with English ones.
TREE = f"""{UNIT_HEADER}
OV1,Ortsverein Eins,ortsverein,UB1
OV2,Ortsverein Zwei,local,UB1
UB1,Unterbezirk Eins,Unterbezirk,LV1
UB2,Unterbezirk Zwei,subdistrict,LV2
LV1,Landesverband Eins,landesverband,B
LV2,Landesverband Zwei,state,B
B,Bund,Bund,
"""

MEMBERS = f"""{MEMBER_HEADER}
M-1,Anna,Muster,Anna.Muster@Example.ORG,1980,OV1,2001-02-03,active,1
M-2,Bernd,Beispiel,,,OV1,03.04.2005,aktiv,nein
M-3,Clara,Test,clara@example.net,1999,OV2,,ausgetreten,
"""


# --- Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch database of its own, so parallel or repeated runs never collide."""
    url = os.environ.get("STIMMWERK_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("STIMMWERK_TEST_POSTGRES_URL is not set")
    name = f"sw_test_imports_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(scratch)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield scratch
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty schema from ``Base.metadata.create_all`` (not the migrations), per test."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'imports.db'}")
        Base.metadata.create_all(database.engine)
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        with database.engine.begin() as connection:
            connection.execute(
                text("TRUNCATE audit_events, accounts, members, units RESTART IDENTITY CASCADE")
            )
    yield database
    database.dispose()


# --- Helpers ------------------------------------------------------------------------------


def load_units(fresh_db: Database, content: str = TREE) -> imports.ImportReport:
    with fresh_db.session() as session:
        return import_units(session, io.StringIO(content))


def load_members(
    fresh_db: Database, content: str = MEMBERS, **options: Any
) -> imports.ImportReport:
    options.setdefault("today", TODAY)
    with fresh_db.session() as session:
        return import_members(session, io.StringIO(content), **options)


def rejected(call: Any, *args: Any, **kwargs: Any) -> list[imports.RowError]:
    with pytest.raises(ImportRejected) as caught:
        call(*args, **kwargs)
    return caught.value.errors


def problems(errors: list[imports.RowError]) -> set[tuple[int, str | None]]:
    return {(error.line, error.field) for error in errors}


def units_by_code(fresh_db: Database) -> dict[str, Unit]:
    with fresh_db.session() as session:
        return {unit.code: unit for unit in session.scalars(select(Unit))}


def member(fresh_db: Database, number: str) -> Member:
    with fresh_db.session() as session:
        return session.scalars(select(Member).where(Member.membership_number == number)).one()


def snapshot(fresh_db: Database) -> dict[str, Any]:
    """Every row of the touched tables, to prove a rejected import changed nothing."""
    with fresh_db.engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in (Unit.__table__, Member.__table__)
        } | {"events": connection.execute(select(func.count()).select_from(AuditEvent)).scalar()}


def events(fresh_db: Database, action: str) -> list[dict[str, Any]]:
    with fresh_db.session() as session:
        query = select(AuditEvent.details).where(AuditEvent.action == action)
        return list(session.scalars(query))


# --- Units --------------------------------------------------------------------------------


def test_units_children_before_parents_build_paths(fresh_db: Database) -> None:
    report = load_units(fresh_db)

    assert (report.created, report.updated, report.unchanged, report.total) == (7, 0, 0, 7)
    units = units_by_code(fresh_db)
    root, state, sub, local = units["B"], units["LV1"], units["UB1"], units["OV1"]
    assert root.parent_id is None
    assert (root.path, root.depth) == (f"/{root.id}/", 0)
    assert local.path == f"/{root.id}/{state.id}/{sub.id}/{local.id}/"
    assert (local.depth, local.parent_id, local.level) == (3, sub.id, UnitLevel.LOCAL)
    assert sub.level is UnitLevel.SUBDISTRICT
    assert events(fresh_db, "units:imported") == [
        {"created": 7, "updated": 0, "unchanged": 0, "marked_left": 0, "total": 7}
    ]


def test_unit_reimport_moves_a_subtree_and_recomputes_paths(fresh_db: Database) -> None:
    load_units(fresh_db)
    moved = TREE.replace("UB1,Unterbezirk Eins,Unterbezirk,LV1", "UB1,UB Eins,subdistrict,LV2")

    report = load_units(fresh_db, moved)

    # OV1 and OV2 count as updated too: their stored path changed with their parent's.
    assert (report.created, report.updated, report.unchanged) == (0, 3, 4)
    units = units_by_code(fresh_db)
    root, state, sub = units["B"], units["LV2"], units["UB1"]
    assert (sub.name, sub.parent_id) == ("UB Eins", state.id)
    # The children were not in the change but their paths follow their parent.
    for code in ("OV1", "OV2"):
        assert units[code].path == f"/{root.id}/{state.id}/{sub.id}/{units[code].id}/"
    assert load_units(fresh_db, moved).unchanged == 7


def test_units_can_hang_below_parents_stored_earlier(fresh_db: Database) -> None:
    load_units(fresh_db)
    report = load_units(fresh_db, f"{UNIT_HEADER}\nAG1,AG Umwelt,ag,LV1\nOV3,Drei,local,UB2\n")

    assert report.created == 2
    units = units_by_code(fresh_db)
    assert units["AG1"].path == f"{units['LV1'].path}{units['AG1'].id}/"
    assert units["OV3"].depth == 3


def test_bad_unit_file_lists_every_bad_line_and_changes_nothing(fresh_db: Database) -> None:
    load_units(fresh_db)
    before = snapshot(fresh_db)
    content = f"""{UNIT_HEADER}
OV9,Neun,local,NOPE
OV8,Acht,village,UB1
OV7,Sieben,local,LV1
X1,Kreis,working_group,X2
X2,Kreis,working_group,X1
OV1,Doppelt,local,UB1
OV1,Doppelt,local,UB1
,Ohne Code,local,UB1
UB1,Unterbezirk Eins,state,B
"""

    errors = rejected(load_units, fresh_db, content)

    assert problems(errors) == {
        (2, "parent_code"),  # unknown parent
        (3, "level"),  # unknown level
        (4, "parent_code"),  # a local unit directly below a state
        (5, "parent_code"),  # cycle X1 -> X2 -> X1 (and working group below working group)
        (6, "parent_code"),
        (7, "code"),  # duplicate code, both lines
        (7, "parent_code"),  # UB1 becomes a state on line 10, so OV1 may not hang below it
        (8, "code"),
        (9, "code"),  # missing code
        (10, "level"),  # the stored OV2 cannot stay below UB1 as a state
    }
    assert [error.line for error in errors] == sorted(error.line for error in errors)
    by_line = {(error.line, error.field): error for error in errors}
    assert by_line[2, "parent_code"].value == "NOPE"
    assert by_line[3, "level"].value == "village"
    assert by_line[4, "parent_code"].message == PLACEMENT_MESSAGES[UnitLevel.LOCAL]
    assert by_line[5, "parent_code"].value == "X1 → X2 → X1"
    assert by_line[7, "code"].message == by_line[8, "code"].message
    assert snapshot(fresh_db) == before


def test_units_from_a_path_with_bom_and_semicolons(fresh_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("\ufeff" + TREE.replace(",", ";"), encoding="utf-8")

    with fresh_db.session() as session:
        report = import_units(session, path)

    assert (report.created, report.total) == (7, 7)
    assert units_by_code(fresh_db)["OV2"].depth == 3


def test_federal_units_need_no_parent_and_others_do(fresh_db: Database) -> None:
    errors = rejected(load_units, fresh_db, f"{UNIT_HEADER}\nB,Bund,federal,\nLV,Land,state,\n")
    assert problems(errors) == {(3, "parent_code")}
    assert errors[0].message == "A state unit must be placed below a federal unit."


# --- Members ------------------------------------------------------------------------------


def test_member_file_creates_members_with_normalised_values(fresh_db: Database) -> None:
    load_units(fresh_db)

    report = load_members(fresh_db)

    assert (report.created, report.updated, report.unchanged, report.total) == (3, 0, 0, 3)
    anna, bernd, clara = (member(fresh_db, number) for number in ("M-1", "M-2", "M-3"))
    assert anna.email == "anna.muster@example.org"
    assert (anna.birth_year, anna.joined_on, anna.postal_vote) == (1980, date(2001, 2, 3), True)
    assert anna.unit_id == units_by_code(fresh_db)["OV1"].id
    assert (bernd.email, bernd.birth_year, bernd.joined_on) == (None, None, date(2005, 4, 3))
    assert (clara.status, clara.left_on, clara.postal_vote) == (MemberStatus.LEFT, TODAY, False)
    details = events(fresh_db, "members:imported")
    assert details == [{"created": 3, "updated": 0, "unchanged": 0, "marked_left": 0, "total": 3}]


def test_reimport_updates_changed_rows_only(fresh_db: Database) -> None:
    load_units(fresh_db)
    load_members(fresh_db)
    stamps = {number: member(fresh_db, number).updated_at for number in ("M-1", "M-2", "M-3")}
    changed = MEMBERS.replace("M-2,Bernd,Beispiel,,,OV1", "M-2,Bernd,Beispiel,,,OV2")

    report = load_members(fresh_db, changed + "M-4,Dora,Neu,,,OV2,,active,0\n")

    assert (report.created, report.updated, report.unchanged) == (1, 1, 2)
    assert member(fresh_db, "M-2").unit_id == units_by_code(fresh_db)["OV2"].id
    assert member(fresh_db, "M-2").updated_at > stamps["M-2"]
    assert member(fresh_db, "M-1").updated_at == stamps["M-1"]
    assert load_members(fresh_db, changed).unchanged == 3


def test_left_members_are_kept_and_keep_their_date_of_leaving(fresh_db: Database) -> None:
    load_units(fresh_db)
    load_members(fresh_db)
    left = MEMBERS.replace("2001-02-03,active", "2001-02-03,left")

    assert load_members(fresh_db, left, today=date(2026, 4, 1)).updated == 1
    assert member(fresh_db, "M-1").left_on == date(2026, 4, 1)
    later = load_members(fresh_db, left, today=date(2026, 5, 1))
    assert (later.updated, later.unchanged) == (0, 3)
    assert member(fresh_db, "M-1").left_on == date(2026, 4, 1)
    assert member(fresh_db, "M-3").left_on == TODAY
    # Re-joining clears the date of leaving.
    load_members(fresh_db, MEMBERS)
    assert (member(fresh_db, "M-1").status, member(fresh_db, "M-1").left_on) == (
        MemberStatus.ACTIVE,
        None,
    )


def test_mark_missing_left_marks_absent_active_members(fresh_db: Database) -> None:
    load_units(fresh_db)
    load_members(fresh_db)
    without_anna = MEMBERS.replace(
        "M-1,Anna,Muster,Anna.Muster@Example.ORG,1980,OV1,2001-02-03,active,1\n", ""
    )

    assert load_members(fresh_db, without_anna).marked_left == 0
    assert member(fresh_db, "M-1").status is MemberStatus.ACTIVE

    report = load_members(fresh_db, without_anna, mark_missing_left=True, today=date(2026, 6, 1))

    assert (report.marked_left, report.unchanged, report.total) == (1, 2, 2)
    anna = member(fresh_db, "M-1")
    assert (anna.status, anna.left_on) == (MemberStatus.LEFT, date(2026, 6, 1))
    # Already marked: not counted again.
    assert load_members(fresh_db, without_anna, mark_missing_left=True).marked_left == 0
    assert events(fresh_db, "members:imported")[-1]["marked_left"] == 0


def test_mark_missing_left_refuses_a_file_without_rows(fresh_db: Database) -> None:
    load_units(fresh_db)
    load_members(fresh_db)
    before = snapshot(fresh_db)

    errors = rejected(load_members, fresh_db, MEMBER_HEADER + "\n", mark_missing_left=True)

    assert problems(errors) == {(1, None)}
    assert snapshot(fresh_db) == before


def test_bad_member_file_lists_every_bad_row_and_changes_nothing(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_units(fresh_db)
    load_members(fresh_db)
    before = snapshot(fresh_db)
    # Tiny chunks, so good rows are written before the bad ones are found: the rollback
    # must undo them.
    monkeypatch.setattr(imports_members, "CHUNK_SIZE", 1)
    content = f"""{MEMBER_HEADER}
M-1,Anna,Muster,anna@example.org,1980,OV1,2001-02-03,active,1
N-1,Neu,Eins,,,OV2,,active,0
N-2,Neu,Zwei,,,NOWHERE,,active,0
N-3,Neu,Drei,,,OV1,31.02.2020,active,0
N-4,Neu,Vier,not-an-address,,OV1,,active,0
N-1,Neu,Doppelt,,,OV1,,active,0
N-5,Neu,Fünf,,1850,OV1,,active,0
N-6,Neu,Sechs,,,OV1,,active,vielleicht
N 7,,Sieben,,,OV1,,weg,0
N-8,Neu,Acht,,,OV1
"""

    errors = rejected(load_members, fresh_db, content)

    assert problems(errors) == {
        (3, "membership_number"),  # first of the duplicate pair
        (4, "unit_code"),
        (5, "joined_on"),
        (6, "email"),
        (7, "membership_number"),
        (8, "birth_year"),
        (9, "postal_vote"),
        (10, "membership_number"),
        (10, "given_name"),
        (10, "status"),
        (11, None),  # too few fields
    }
    by_line = {(error.line, error.field): error for error in errors}
    assert by_line[3, "membership_number"].value == by_line[7, "membership_number"].value == "N-1"
    assert by_line[4, "unit_code"].value == "NOWHERE"
    assert by_line[6, "email"].value is None  # personal data is never echoed
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("load", [load_units, load_members])
def test_wrong_header_is_rejected_with_a_clear_message(fresh_db: Database, load: Any) -> None:
    errors = rejected(load, fresh_db, "1;Anna;Muster\n2;Bernd;Beispiel\n")

    assert len(errors) == 1
    assert errors[0].line == 1
    assert errors[0].message == "The header line does not have the expected columns."
    assert errors[0].value is not None
    assert "; missing: " in errors[0].value
    assert "Anna" not in str(errors)  # a missing header must not leak the first data row


def test_empty_file_is_rejected(fresh_db: Database) -> None:
    errors = rejected(load_units, fresh_db, "")
    assert errors == [imports.RowError(1, None, "The file is empty.")]


def test_semicolons_bom_bytes_and_any_column_order_are_accepted(fresh_db: Database) -> None:
    load_units(fresh_db)
    content = (
        "\ufeffunit_code;membership_number;given_name;family_name;email;birth_year;"
        "joined_on;status;postal_vote\r\n"
        "OV1;M-9;Jörg;Müller;jörg@example.org;1970;1.2.2003;Aktiv;JA\r\n"
        ";;;;;;;;\r\n"
    ).encode()

    with fresh_db.session() as session:
        report = import_members(session, io.BytesIO(content), today=TODAY)

    assert (report.created, report.total) == (1, 1)
    jorg = member(fresh_db, "M-9")
    assert (jorg.email, jorg.joined_on, jorg.postal_vote) == (
        "jörg@example.org",
        date(2003, 2, 1),
        True,
    )


@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("Max.Mustermann+vote@Example.COM", "max.mustermann+vote@example.com"),
        ("o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk"),
        ("ä@example.de", "ä@example.de"),
        ("a..b@example.de", None),
        ("someone@localhost", None),
        ("someone@host.test", None),
        ("two@@example.de", None),
        (f"{'x' * 64}@{'a' * 63}.{'b' * 63}.{'c' * 63}.de", None),  # longer than 254
    ],
)
def test_email_fast_path_agrees_with_email_validator(address: str, stored: str | None) -> None:
    errors: list[imports.RowError] = []
    assert imports_fields._email(errors, 2, address) == stored
    assert bool(errors) == (stored is None)


def test_unreadable_bytes_are_rejected(fresh_db: Database) -> None:
    load_units(fresh_db)
    before = snapshot(fresh_db)
    content = f"{MEMBER_HEADER}\nM-1,Anna,Muster,,,OV1,,active,0\n".encode() + b"\xff\xfe,x\n"

    with fresh_db.session() as session:
        errors = rejected(import_members, session, io.BytesIO(content), today=TODAY)

    assert errors == [imports.RowError(3, None, "The file is not valid UTF-8 from here on.")]
    assert snapshot(fresh_db) == before
