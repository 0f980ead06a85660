"""Reading the organisation tree."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, object_session

from app.core.errors import NotFound
from app.organisations.models import Member, MemberStatus, Unit


def get_unit(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound
    return unit


def roots(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)))


def children(session: Session, unit: Unit) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.level, Unit.name)
        )
    )


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """Root first, the unit itself excluded."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def subtree_filter(unit: Unit) -> ColumnElement[bool]:
    """Members of ``unit`` and of every unit below it.

    A unit without sub-units (most Ortsvereine) gets a plain equality, which lets the
    database walk the (unit_id, status, family_name, …) index in list order instead of
    sorting the whole branch for every page.
    """
    session = object_session(unit)
    has_children = session is not None and session.scalar(
        select(Unit.id).where(Unit.parent_id == unit.id).limit(1)
    )
    if not has_children:
        return Member.unit_id == unit.id
    return Member.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path)))


def count_active_members(session: Session, unit: Unit) -> int:
    query = (
        select(func.count())
        .select_from(Member)
        .where(subtree_filter(unit), Member.status == MemberStatus.ACTIVE)
    )
    return int(session.scalar(query) or 0)


def search_units(session: Session, text: str, limit: int = 20) -> list[Unit]:
    # autoescape: "%" and "_" typed by the user are literal characters, not wildcards
    # (a search for "_" must not list every unit).
    needle = text.strip()
    return list(
        session.scalars(
            select(Unit)
            .where(
                Unit.name.icontains(needle, autoescape=True)
                | Unit.code.icontains(needle, autoescape=True)
            )
            .order_by(Unit.depth, Unit.name)
            .limit(limit)
        )
    )
