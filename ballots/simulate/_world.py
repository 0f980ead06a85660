"""The simulated organisation on a scratch database: units, members, staff, commission."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role, RoleAssignment
from app.core import migrate
from app.core.db import Database, utcnow
from app.core.settings import DatabaseSettings, MailSettings, SecuritySettings, Settings
from app.organisations.models import Member, MemberStatus, Unit, UnitLevel, add_unit
from ballots.simulate._config import SimulationConfig

UNIT_CODE = "SIM-LV"
_UNITS = (
    ("SIM-BV", "Bundesverband", UnitLevel.FEDERAL, None),
    (UNIT_CODE, "Landesverband Simulation", UnitLevel.STATE, 0),
    ("SIM-UB", "Unterbezirk Simulation", UnitLevel.SUBDISTRICT, 1),
    ("SIM-OV1", "Ortsverein 1", UnitLevel.LOCAL, 2),
    ("SIM-OV2", "Ortsverein 2", UnitLevel.LOCAL, 2),
    ("SIM-OV3", "Ortsverein 3", UnitLevel.LOCAL, 2),
)
_CHUNK = 5000


@dataclass
class World:
    settings: Settings
    database: Database
    staff: Account
    commission: list[Account]
    """at least two: the postal line needs two commission members."""
    trustees: list[Account]
    online_members: list[int]
    """ids of the members who will vote online."""
    postal_members: int


def make_world(config: SimulationConfig, scratch: Path) -> World:
    """A migrated SQLite database in ``scratch`` with the organisation of the simulation."""
    url = f"sqlite:///{scratch / 'simulation.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(
        database=DatabaseSettings(url=url),
        mail=MailSettings(backend="outbox", outbox_dir=scratch / "outbox", sender="sim@invalid"),
        security=SecuritySettings(secret_key=secrets.token_urlsafe(48)),
        var_dir=scratch,
    )
    database = Database(url)
    with database.session() as session:
        units = _units(session)
        online = _members(session, config, units[3:])
        staff = _account(session, "staff", Role.STAFF, units[1])
        commission = [
            _account(session, f"kommission{i + 1}", Role.COMMISSION, units[1])
            for i in range(max(config.trustees, 2))
        ]
        session.commit()
    trustees = commission[: config.trustees]
    return World(settings, database, staff, commission, trustees, online, config.postal)


def _units(session: Session) -> list[Unit]:
    made: list[Unit] = []
    for code, name, level, parent_at in _UNITS:
        parent = None if parent_at is None else made[parent_at]
        made.append(add_unit(session, code, name, level, parent))
    session.flush()
    return made


def _members(session: Session, config: SimulationConfig, places: list[Unit]) -> list[int]:
    """Voters first, then non-voters, then postal voters; numbers ``S0000000``…"""
    online = config.voters + config.non_voters
    rows = [
        {
            "membership_number": f"S{n:07d}",
            "given_name": "Vorname",
            "family_name": f"Mitglied {n}",
            "unit_id": places[n % len(places)].id,
            "joined_on": date(2010, 1, 1),
            "status": MemberStatus.ACTIVE,
            "postal_vote": n >= online,
        }
        for n in range(online + config.postal)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(Member), rows[start : start + _CHUNK])
    ids = session.scalars(
        select(Member.id).where(Member.postal_vote.is_(False)).order_by(Member.id)
    )
    return list(ids)[: config.voters]


def _account(session: Session, name: str, role: Role, unit: Unit) -> Account:
    account = Account(
        email=f"{name}@simulation.invalid", display_name=name, email_verified_at=utcnow()
    )
    session.add(account)
    session.flush()
    session.add(RoleAssignment(account_id=account.id, role=role, unit_id=unit.id))
    return account
