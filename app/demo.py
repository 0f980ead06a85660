"""Demo data for ``make run``: a small party tree, members, one login per role, and a
Mitgliederentscheid waiting for its key ceremony.

Idempotent: units and members are upserted through the real import services; accounts,
roles and the referendum are created only if missing. The referendum is left in its
first state on purpose: the three commission logins (any two of them can count) hold
the key ceremony in their own
browsers (their key shares must never be made here), after which the schedule of
``stimmwerk serve`` freezes the roll and opens the vote within a minute.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.db import utcnow
from app.core.settings import Settings
from app.organisations import units
from app.organisations.admin_setup import ensure_account, ensure_role
from app.organisations.imports import import_members, import_units
from app.organisations.models import Member
from ballots.manifest import ElectionDraft, OptionDraft, QuestionDraft
from ballots.models import Election
from referendums import services as referendums

DEMO_PASSWORD = "stimmwerk-demo"  # noqa: S105 - published on purpose, demo only

_UNITS = [
    ("BV", "Bundesverband", "federal", ""),
    ("LV-NW", "Landesverband Nordwest", "state", "BV"),
    ("LV-SO", "Landesverband Südost", "state", "BV"),
    ("UB-HAF", "Unterbezirk Hafenstadt", "subdistrict", "LV-NW"),
    ("UB-MOOR", "Unterbezirk Moorland", "subdistrict", "LV-NW"),
    ("KV-BERG", "Kreisverband Bergland", "subdistrict", "LV-SO"),
    ("OV-ALT", "Ortsverein Altstadt", "local", "UB-HAF"),
    ("OV-NORD", "Ortsverein Nordhafen", "local", "UB-HAF"),
    ("OV-DEICH", "Ortsverein Deichdorf", "local", "UB-MOOR"),
    ("OV-TAL", "Ortsverein Talheim", "local", "KV-BERG"),
    ("OV-HOCH", "Ortsverein Hochfeld", "local", "KV-BERG"),
    ("AG-60", "AG 60 plus", "working_group", "BV"),
    ("AG-JUNG", "Arbeitskreis Junge Mitglieder", "working_group", "LV-NW"),
]

_GIVEN = [
    "Anna",
    "Ben",
    "Clara",
    "Deniz",
    "Emil",
    "Fatma",
    "Greta",
    "Hannes",
    "Ilse",
    "Jonas",
    "Katrin",
    "Lukas",
    "Mia",
    "Nils",
    "Oksana",
    "Paul",
]
_FAMILY = [
    "Albers",
    "Becker",
    "Celik",
    "Dietrich",
    "Engel",
    "Fischer",
    "Graf",
    "Hoffmann",
    "Ivanović",
    "Jansen",
    "Krüger",
    "Lange",
    "Meyer",
    "Nowak",
    "Otto",
    "Peters",
]
_LOCAL_UNITS = ["OV-ALT", "OV-NORD", "OV-DEICH", "OV-TAL", "OV-HOCH"]


@dataclass(frozen=True)
class DemoLogins:
    password: str
    accounts: list[tuple[str, str]]


def _units_csv() -> io.StringIO:
    rows = ["code,name,level,parent_code", *(",".join(row) for row in _UNITS)]
    return io.StringIO("\n".join(rows) + "\n")


def _members_csv() -> io.StringIO:
    rng = random.Random(20261122)  # noqa: S311 - fixed seed: the demo is the same every time
    lines = [
        "membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote"
    ]
    lines.append(
        "100001,Maria,Mitglied,mitglied@demo.stimmwerk.example,1980,OV-ALT,2010-05-01,active,0"
    )
    lines.append(
        "100002,Volker,Vorstand,vorstand@demo.stimmwerk.example,1975,OV-ALT,2001-03-15,active,0"
    )
    lines.append("100003,Sabine,Stab,staff@demo.stimmwerk.example,1985,UB-HAF,2005-09-01,active,0")
    lines.append(
        "100004,Paula,Post,briefwahl@demo.stimmwerk.example,1950,OV-NORD,1979-01-01,active,1"
    )
    for number in range(100010, 100130):
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        unit = rng.choice(_LOCAL_UNITS)
        status = "left" if number % 29 == 0 else "active"
        postal = "1" if number % 11 == 0 else "0"
        year = rng.randint(1940, 2006)
        joined = f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines.append(
            f"{number},{given},{family},m{number}@demo.stimmwerk.example,{year},{unit},{joined},{status},{postal}"
        )
    return io.StringIO("\n".join(lines) + "\n")


def _member_id(session: Session, number: str) -> int | None:
    return session.scalar(select(Member.id).where(Member.membership_number == number))


def load_demo(session: Session, settings: Settings) -> DemoLogins:
    import_units(session, _units_csv())
    import_members(session, _members_csv())
    people = [
        (
            "admin@demo.stimmwerk.example",
            "Ada Admin",
            None,
            Role.ADMIN,
            "BV",
            "admin of the federal party (sets up TOTP at first login)",
        ),
        (
            "vorstand@demo.stimmwerk.example",
            "Volker Vorstand",
            "100002",
            Role.BOARD,
            "OV-ALT",
            "board of Ortsverein Altstadt",
        ),
        (
            "staff@demo.stimmwerk.example",
            "Sabine Stab",
            "100003",
            Role.STAFF,
            "UB-HAF",
            "staff of Unterbezirk Hafenstadt",
        ),
        (
            "mitglied@demo.stimmwerk.example",
            "Maria Mitglied",
            "100001",
            None,
            None,
            "member in Ortsverein Altstadt",
        ),
        (
            "briefwahl@demo.stimmwerk.example",
            "Paula Post",
            "100004",
            None,
            None,
            "member voting by post",
        ),
        ("gast@demo.stimmwerk.example", "Gerd Gast", None, None, None, "guest (not a member)"),
        (
            "kommission1@demo.stimmwerk.example",
            "Karl Kommission",
            None,
            Role.COMMISSION,
            "UB-HAF",
            "election commission, trustee 1 of 3 (sets up TOTP at first login)",
        ),
        (
            "kommission2@demo.stimmwerk.example",
            "Klara Kommission",
            None,
            Role.COMMISSION,
            "UB-HAF",
            "election commission, trustee 2 of 3 (sets up TOTP at first login)",
        ),
        (
            "kommission3@demo.stimmwerk.example",
            "Konrad Kommission",
            None,
            Role.COMMISSION,
            "UB-HAF",
            "election commission, trustee 3 of 3 (sets up TOTP at first login)",
        ),
    ]
    for email, name, number, role, unit_code, _ in people:
        member_id = _member_id(session, number) if number else None
        account = ensure_account(
            session, settings, email=email, name=name, password=DEMO_PASSWORD, member_id=member_id
        )
        if role is not None and unit_code is not None:
            ensure_role(session, account, role, units.get_unit(session, unit_code))
    session.commit()
    _ensure_referendum(session, settings)
    return DemoLogins(DEMO_PASSWORD, [(email, description) for email, *_, description in people])


DEMO_REFERENDUM_TITLE = "Mitgliederentscheid: Neue Satzung für den Unterbezirk Hafenstadt"


def _account(session: Session, email: str) -> Account:
    account = session.scalar(select(Account).where(Account.email == email))
    assert account is not None, email
    return account


def _ensure_referendum(session: Session, settings: Settings) -> None:
    """A referendum of Unterbezirk Hafenstadt, two weeks from now, if there is none yet."""
    if session.scalar(select(Election.id).where(Election.title == DEMO_REFERENDUM_TITLE)):
        return
    now = utcnow().replace(second=0, microsecond=0)
    draft = ElectionDraft(
        title=DEMO_REFERENDUM_TITLE,
        description=(
            "Der Vorstand schlägt eine neue Satzung vor: kürzer, verständlicher und mit "
            "Mitgliederentscheiden online neben der Briefwahl."
        ),
        unit_code="UB-HAF",
        unit_name="",
        cutoff_at=now,
        opens_at=now,
        closes_at=now + timedelta(days=14),
        questions=(
            QuestionDraft("satzung", "Soll die neue Satzung beschlossen werden?", "yes_no_abstain"),
            QuestionDraft(
                "termin",
                "Wann soll sie in Kraft treten?",
                "one_of",
                (
                    OptionDraft("sofort", "Sofort"),
                    OptionDraft("jahr", "Zum neuen Jahr"),
                    OptionDraft("parteitag", "Nach dem nächsten Parteitag"),
                ),
            ),
        ),
        # Any 2 of the 3 trustees can count: one lost key share does not lose the result.
        trustees=3,
        threshold=2,
        quorum_percent=20,
    )
    referendums.create_referendum(
        session,
        settings,
        _account(session, "staff@demo.stimmwerk.example"),
        draft,
        [
            _account(session, "kommission1@demo.stimmwerk.example").id,
            _account(session, "kommission2@demo.stimmwerk.example").id,
            _account(session, "kommission3@demo.stimmwerk.example").id,
        ],
        texts=referendums.ReferendumTexts(
            draft.description,
            "Die Satzung wird kürzer und verständlicher.\n\nMitglieder können online "
            "mitentscheiden.",
            "Die alte Satzung hat sich bewährt.\n\nEine Änderung kostet Zeit.",
        ),
        now=now - timedelta(minutes=1),
    )


__all__ = ["Account", "DemoLogins", "load_demo"]
