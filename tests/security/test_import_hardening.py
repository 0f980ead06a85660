"""Issue 9, finding 16: the imports refuse NUL and control characters in names, unsafe
unit codes and one address for two members, listing the lines and changing nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.organisations.imports import ImportRejected, import_members, import_units
from app.organisations.models import Member, Unit

UNITS = """code,name,level,parent_code
BV,Bund,federal,
LV,Land,state,BV
UB,Unterbezirk,subdistrict,LV
OV,Ortsverein,local,UB
"""
HEADER = "membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote\n"


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("code", ["..", ".", ".hidden", "-x", "a/b", "a b", "x" * 33])
def test_unsafe_unit_codes_are_refused(db: Session, code: str) -> None:
    with pytest.raises(ImportRejected) as refused:
        import_units(db, io.StringIO(UNITS + f"{code},Irgendwo,local,UB\n"))
    assert [(e.line, e.field) for e in refused.value.errors] == [(6, "code")]
    assert _count(db, Unit) == 0


@pytest.mark.parametrize(
    "name", ["Ge\x00heim", "Zeile\nZwei", "Tab\x0bulator", "\u202eegnA", "Tren\u2028ner"]
)
def test_control_characters_in_names_are_refused_without_echo(db: Session, name: str) -> None:
    import_units(db, io.StringIO(UNITS))
    row = f'M-1,"{name}",Muster,anna@example.org,1980,OV,,active,0\n'
    with pytest.raises(ImportRejected) as refused:
        import_members(db, io.StringIO(HEADER + row))
    errors = refused.value.errors
    assert [(e.line, e.field) for e in errors] == [(2, "given_name")]
    assert errors[0].value is None  # names are never repeated back
    assert _count(db, Member) == 0


def test_two_members_with_one_address_are_refused(db: Session) -> None:
    import_units(db, io.StringIO(UNITS))
    rows = (
        "M-1,Anna,Muster,familie@example.org,1980,OV,,active,0\n"
        "M-2,Bernd,Muster,Familie@Example.org,1982,OV,,active,0\n"
        "M-3,Clara,Muster,,1990,OV,,active,0\n"
    )
    with pytest.raises(ImportRejected) as refused:
        import_members(db, io.StringIO(HEADER + rows))
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "email"), (3, "email")]
    assert all("familie" not in (e.value or "") for e in refused.value.errors)
    assert _count(db, Member) == 0


def test_an_address_already_used_by_another_member_is_refused(db: Session) -> None:
    import_units(db, io.StringIO(UNITS))
    import_members(db, io.StringIO(HEADER + "M-1,Anna,Muster,anna@example.org,1980,OV,,active,0\n"))
    with pytest.raises(ImportRejected) as refused:
        import_members(
            db, io.StringIO(HEADER + "M-9,Neu,Person,anna@example.org,1990,OV,,active,0\n")
        )
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "email")]
    db.expire_all()
    assert _count(db, Member) == 1


def test_a_member_who_left_may_share_the_address_of_a_new_member(db: Session) -> None:
    """Only active members need their own address (the one who left cannot log in)."""
    import_units(db, io.StringIO(UNITS))
    rows = (
        "M-1,Anna,Muster,anna@example.org,1980,OV,,left,0\n"
        "M-2,Anna,Muster,anna@example.org,1980,OV,,active,0\n"
    )
    report = import_members(db, io.StringIO(HEADER + rows))
    assert report.created == 2
