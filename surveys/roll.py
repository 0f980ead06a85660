"""The survey's frozen audience: who is on it, in which breakdown class, its commitment.

When a survey opens (`freeze`), the active members of the unit and its sub-units are
written to ``survey_roll_entries`` with their breakdown class (``surveys.breakdown``:
sub-unit × age band, merged until every class has at least the threshold of eligible
members, *before* any credential exists). Each member's entry in the published list is
a salted hash (``answer_format.roll_entry``); the salt is derived from a per-survey
secret (``roll_key``), so it need not be stored per member and only the member is told
theirs. The commitment (``ballots.rolls.roll_commitment``) goes into the fingerprint;
the record lists the entries per class and which of them got a credential (record §9),
so ``answers ≤ credentials ≤ eligible`` holds per class for anyone who checks.

Inserting 400,000 rows happens in chunks of `CHUNK` within the opening transaction (the
survey is not open until it commits); measured in ``bench/survey_load.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.organisations.models import Member, MemberStatus, Unit
from app.organisations.units import subtree_filter
from ballots.rolls import roll_commitment
from surveys import answer_format as fmt
from surveys import breakdown as bd
from surveys.models import SurveyRollEntry

CHUNK: Final = 5000
ALL_MEMBERS: Final = fmt.MEMBERS
"""The class key of every entry of a survey without breakdown classes."""


def salt(roll_key: bytes, member_id: int) -> str:
    """The member's secret salt: HMAC of the survey's roll key over the member id."""
    return hmac.new(roll_key, f"member:{member_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Frozen:
    """What opening fixed: eligible count, classes (empty: none) and the commitment."""

    eligible: int
    classes: dict[str, bd.ClassInfo]
    commitment: str


def _group(unit: Unit, children: dict[str, Unit], path: str) -> Unit:
    """The sub-unit directly below ``unit`` that holds ``path`` (or ``unit`` itself)."""
    if path == unit.path:
        return unit
    rest = path[len(unit.path) :]
    child = unit.path + rest.split("/", 1)[0] + "/"
    return children.get(child, unit)


def freeze(
    session: Session,
    survey_id: uuid.UUID,
    unit: Unit,
    spec: bd.Spec,
    *,
    year: int,
    roll_key: bytes,
) -> Frozen:
    """Write the frozen audience with classes; the caller commits (with the keys)."""
    rows = session.execute(
        select(Member.id, Member.membership_number, Unit.path, Member.birth_year)
        .join(Unit, Unit.id == Member.unit_id)
        .where(subtree_filter(unit), Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
    ).all()
    children = {
        child.path: child
        for child in session.scalars(select(Unit).where(Unit.parent_id == unit.id))
    }
    by_unit, by_age = bd.UNIT in spec.by, bd.AGE in spec.by
    cells: list[bd.Cell] = []
    names: dict[str, str] = {}
    for _, _, path, birth_year in rows:
        group = _group(unit, children, path)
        names[group.code] = group.name
        cells.append(
            (
                group.code if by_unit else bd.ALL,
                bd.age_band(birth_year, year) if by_age else bd.ALL,
            )
        )
    classes: dict[str, bd.ClassInfo] = {}
    keys: list[str] = [ALL_MEMBERS] * len(rows)
    if spec.active and rows:
        counts = Counter(cells)
        label_of = bd.form_classes(counts, spec)
        ids = bd.class_ids(label_of.values())
        sizes: Counter[str] = Counter()
        for cell, count in counts.items():
            sizes[ids[label_of[cell]]] += count
        classes = {
            cid: bd.ClassInfo(
                unit=label[0], band=label[1], eligible=sizes[cid], unit_name=names.get(label[0], "")
            )
            for label, cid in ids.items()
        }
        keys = [ids[label_of[cell]] for cell in cells]
    entries: list[str] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        session.execute(
            insert(SurveyRollEntry),
            [
                {
                    "survey_id": survey_id,
                    "member_id": member_id,
                    "class_id": None if key == ALL_MEMBERS else key,
                }
                for (member_id, _, _, _), key in zip(
                    chunk, keys[start : start + CHUNK], strict=True
                )
            ],
        )
        entries.extend(
            fmt.roll_entry(str(survey_id), salt(roll_key, member_id), number, key)
            for (member_id, number, _, _), key in zip(
                chunk, keys[start : start + CHUNK], strict=True
            )
        )
    entries.sort()
    return Frozen(eligible=len(rows), classes=classes, commitment=roll_commitment(entries))


def _entries(
    session: Session, survey_id: uuid.UUID, roll_key: bytes
) -> Iterator[tuple[str, str, bool]]:
    """(class key, entry, credential issued) for every member on the frozen list."""
    query = (
        select(
            SurveyRollEntry.member_id,
            Member.membership_number,
            SurveyRollEntry.class_id,
            SurveyRollEntry.credential_issued_on,
        )
        .join(Member, Member.id == SurveyRollEntry.member_id)
        .where(SurveyRollEntry.survey_id == survey_id)
        .execution_options(yield_per=CHUNK)
    )
    for member_id, number, class_id, issued_on in session.execute(query):
        key = class_id or ALL_MEMBERS
        entry = fmt.roll_entry(str(survey_id), salt(roll_key, member_id), number, key)
        yield key, entry, issued_on is not None


def roll_document(session: Session, survey_id: uuid.UUID, roll_key: bytes) -> dict[str, Any]:
    """``roll.json`` (record §9): per class the sorted entries and the issued ones."""
    entries: dict[str, list[str]] = {}
    issued: dict[str, list[str]] = {}
    for key, entry, was_issued in _entries(session, survey_id, roll_key):
        entries.setdefault(key, []).append(entry)
        issued.setdefault(key, [])
        if was_issued:
            issued[key].append(entry)
    for values in (*entries.values(), *issued.values()):
        values.sort()
    return {"format": fmt.ROLL_FORMAT, "entries": entries, "issued": issued}


@dataclass(frozen=True, slots=True)
class OwnRollEntry:
    """A member's own entry: the class, the salt and the entry they can look up."""

    class_key: str
    salt: str
    entry: str


def own_roll_entry(
    session: Session, survey_id: uuid.UUID, member_id: int, roll_key: bytes
) -> OwnRollEntry | None:
    found = session.execute(
        select(Member.membership_number, SurveyRollEntry.class_id)
        .join(Member, Member.id == SurveyRollEntry.member_id)
        .where(SurveyRollEntry.survey_id == survey_id, SurveyRollEntry.member_id == member_id)
    ).one_or_none()
    if found is None:
        return None
    number, class_id = found
    key = class_id or ALL_MEMBERS
    member_salt = salt(roll_key, member_id)
    return OwnRollEntry(key, member_salt, fmt.roll_entry(str(survey_id), member_salt, number, key))
