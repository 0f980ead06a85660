"""Small factories over the real models (one per model, no JSON blobs)."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy.orm import Session

from app.accounts.models import Account, Role, RoleAssignment
from app.accounts.passwords import hash_password, make_hasher
from app.core.db import utcnow
from app.core.settings import Settings
from app.organisations.models import Member, MemberStatus, Unit, UnitLevel, add_unit

_numbers = itertools.count(500000)


def make_unit(
    session: Session, code: str, name: str, level: UnitLevel, parent: Unit | None = None
) -> Unit:
    unit = add_unit(session, code, name, level, parent)
    session.flush()
    return unit


def make_tree(session: Session) -> dict[str, Unit]:
    """Bund > LV > UB > two Ortsvereine, plus a second UB with one Ortsverein."""
    bund = make_unit(session, "BV", "Bundesverband", UnitLevel.FEDERAL)
    lv = make_unit(session, "LV1", "Landesverband Eins", UnitLevel.STATE, bund)
    ub = make_unit(session, "UB1", "Unterbezirk Eins", UnitLevel.SUBDISTRICT, lv)
    ub2 = make_unit(session, "UB2", "Unterbezirk Zwei", UnitLevel.SUBDISTRICT, lv)
    ov_a = make_unit(session, "OV-A", "Ortsverein Ahorn", UnitLevel.LOCAL, ub)
    ov_b = make_unit(session, "OV-B", "Ortsverein Birke", UnitLevel.LOCAL, ub)
    ov_c = make_unit(session, "OV-C", "Ortsverein Chaussee", UnitLevel.LOCAL, ub2)
    session.commit()
    return {u.code: u for u in (bund, lv, ub, ub2, ov_a, ov_b, ov_c)}


def make_member(
    session: Session,
    unit: Unit,
    given: str,
    family: str,
    *,
    email: str | None = None,
    postal_vote: bool = False,
) -> Member:
    member = Member(
        membership_number=str(next(_numbers)),
        given_name=given,
        family_name=family,
        email=email,
        birth_year=1980,
        unit_id=unit.id,
        joined_on=date(2010, 1, 1),
        status=MemberStatus.ACTIVE,
        postal_vote=postal_vote,
    )
    session.add(member)
    session.flush()
    return member


def make_account(
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    *,
    name: str = "Test Person",
    member: Member | None = None,
    verified: bool = True,
) -> Account:
    account = Account(
        email=email,
        display_name=name,
        member_id=member.id if member else None,
        password_hash=hash_password(make_hasher(settings.security), password),
        email_verified_at=utcnow() if verified else None,
    )
    session.add(account)
    session.flush()
    return account


def grant(session: Session, account: Account, role: Role, unit: Unit) -> RoleAssignment:
    assignment = RoleAssignment(account_id=account.id, role=role, unit_id=unit.id)
    session.add(assignment)
    session.flush()
    return assignment
