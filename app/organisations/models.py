"""The organisation tree, the member register and roles scoped to units."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.core.db import Base, utcnow


class UnitLevel(enum.StrEnum):
    FEDERAL = "federal"
    STATE = "state"
    SUBDISTRICT = "subdistrict"
    LOCAL = "local"
    WORKING_GROUP = "working_group"


# Which level may sit below which: the tree is Bund > Landesverband/Bezirk >
# Unterbezirk/Kreisverband > Ortsverein; working groups hang below any unit.
ALLOWED_PARENT_LEVELS: dict[UnitLevel, frozenset[UnitLevel | None]] = {
    UnitLevel.FEDERAL: frozenset({None}),
    UnitLevel.STATE: frozenset({UnitLevel.FEDERAL}),
    UnitLevel.SUBDISTRICT: frozenset({UnitLevel.STATE}),
    UnitLevel.LOCAL: frozenset({UnitLevel.SUBDISTRICT}),
    UnitLevel.WORKING_GROUP: frozenset(
        {UnitLevel.FEDERAL, UnitLevel.STATE, UnitLevel.SUBDISTRICT, UnitLevel.LOCAL}
    ),
}


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class Unit(Base):
    """A node of the tree. ``path`` ("/1/4/17/") makes "this unit and all below" one
    indexed prefix query instead of a recursive walk."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[UnitLevel] = mapped_column(
        Enum(
            UnitLevel, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True)
    depth: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)


def add_unit(
    session: Session, code: str, name: str, level: UnitLevel, parent: Unit | None = None
) -> Unit:
    """A new unit under ``parent`` (None: a root), its ``path`` and ``depth`` set.

    The path holds the unit's own id, which exists only once the row is flushed.
    The member import writes its units in bulk (``imports._units``); this is the
    one-at-a-time way used by fixtures, the simulation and the benchmarks.
    """
    unit = Unit(
        code=code, name=name, level=level, parent_id=parent.id if parent else None, path="", depth=0
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0
    return unit


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        # Serves the paged member list: equality on unit and status, then list order.
        Index("ix_members_unit_list", "unit_id", "status", "family_name", "given_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    membership_number: Mapped[str] = mapped_column(String(32), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    birth_year: Mapped[int | None]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    joined_on: Mapped[date | None]
    status: Mapped[MemberStatus] = mapped_column(
        Enum(
            MemberStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MemberStatus.ACTIVE,
    )
    left_on: Mapped[date | None]
    postal_vote: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    iban_encrypted: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class ActivationCode(Base):
    """A one-time code printed in a letter, for members without an e-mail address.

    With it and the membership number a member opens their own account
    (``app.organisations.access``). Only a keyed hash is stored; the code itself is
    shown once, to the staff member who exports the letters.
    """

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
