"""Read-only queries of the survey pages: who sees which survey, and in which situation.

Nothing here changes anything; the rules of who may answer are `surveys.services`'
(`eligibility`, `own_entry`), read here to say the right sentence on the page.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.organisations import policies
from app.organisations.models import Unit
from surveys import services
from surveys.definition import LONG_TEXT, SHORT_TEXT
from surveys.models import Survey, SurveyGuestEntry, SurveyRollEntry, SurveyStatus

LIST_LIMIT: Final = 200

# Why the answer page shows no questions to fill in (or that it does):
READY: Final = "ready"  # no credential yet: the page fetches one
ISSUED: Final = "issued"  # a credential was issued (in this browser or another)
NOT_OPEN: Final = "not_open"
CLOSED: Final = "closed"
NOT_ELIGIBLE: Final = "not_eligible"
MEMBERS_ONLY: Final = "members_only"
_REFUSALS: Final[dict[type[Exception], str]] = {
    services.SurveyClosedAlready: CLOSED,
    services.SurveyNotOpen: NOT_OPEN,
    services.NotInAudience: NOT_ELIGIBLE,
    services.MembersOnly: MEMBERS_ONLY,
}


def _paths(session: Session, account: Account | None) -> list[str]:
    if account is None or account.is_disabled:
        return []
    return policies.scope_paths(session, account.id, services.STAFF_ROLES)


def _under(paths: list[str]) -> Any:
    condition = Unit.path.startswith(paths[0])
    for path in paths[1:]:
        condition = condition | Unit.path.startswith(path)
    return condition


def staff_units(session: Session, account: Account | None) -> list[Unit]:
    """Units whose surveys ``account`` runs: where it is staff or board, and below."""
    paths = _paths(session, account)
    if not paths:
        return []
    return list(session.scalars(select(Unit).where(_under(paths)).order_by(Unit.path)))


def managed_surveys(session: Session, account: Account | None) -> list[tuple[Survey, Unit]]:
    """Surveys of the units ``account`` runs, newest first."""
    paths = _paths(session, account)
    if not paths:
        return []
    rows = session.execute(
        select(Survey, Unit)
        .join(Unit, Unit.id == Survey.unit_id)
        .where(_under(paths))
        .order_by(Survey.created_at.desc())
        .limit(LIST_LIMIT)
    )
    return [(survey, unit) for survey, unit in rows]


@dataclass(frozen=True, slots=True)
class Listed:
    survey: Survey
    unit: Unit
    situation: str


def unit_surveys(session: Session, unit: Unit, *, staff: bool) -> list[Survey]:
    """The surveys of one unit (not those of its sub-units), newest first; drafts for staff."""
    query = select(Survey).where(Survey.unit_id == unit.id)
    if not staff:
        query = query.where(Survey.status != SurveyStatus.DRAFT)
    return list(session.scalars(query.order_by(Survey.created_at.desc()).limit(20)))


def surveys_for(
    session: Session, account: Account, *, now: datetime | None = None, open_only: bool = False
) -> list[Listed]:
    """Open and closed surveys this person is (or was) asked: members through the frozen
    audience, guests every survey that also asks guests.

    Three queries whatever the number of surveys: the newest surveys that are not drafts
    (a small table), then this person's entries among them by the (survey, member) or
    (survey, account) unique index, never a scan of the roll entries by member.
    """
    moment = now or datetime.now(UTC)
    query = (
        select(Survey, Unit)
        .join(Unit, Unit.id == Survey.unit_id)
        .where(Survey.status != SurveyStatus.DRAFT)
    )
    if open_only:
        query = query.where(Survey.status == SurveyStatus.OPEN, Survey.closes_at > moment)
    if account.member_id is None:
        query = query.where(Survey.guests_allowed.is_(True))
    rows = list(session.execute(query.order_by(Survey.closes_at.desc()).limit(LIST_LIMIT)))
    ids = [survey.id for survey, _ in rows]
    if not ids:
        return []
    issued: dict[uuid.UUID, bool]
    if account.member_id is not None:
        entries = session.execute(
            select(SurveyRollEntry.survey_id, SurveyRollEntry.credential_issued_on).where(
                SurveyRollEntry.survey_id.in_(ids),
                SurveyRollEntry.member_id == account.member_id,
            )
        )
        issued = {survey_id: day is not None for survey_id, day in entries}
    else:
        taken = session.scalars(
            select(SurveyGuestEntry.survey_id).where(
                SurveyGuestEntry.survey_id.in_(ids), SurveyGuestEntry.account_id == account.id
            )
        )
        issued = dict.fromkeys(ids, False) | dict.fromkeys(taken, True)
    return [
        Listed(survey, unit, _listed_situation(survey, issued[survey.id], moment))
        for survey, unit in rows
        if survey.id in issued
    ]


def _listed_situation(survey: Survey, issued: bool, now: datetime) -> str:
    """As `situation`, for someone already known to be in the survey's audience."""
    if survey.status == SurveyStatus.CLOSED or now >= survey.closes_at:
        return CLOSED
    if survey.status != SurveyStatus.OPEN or now < survey.opens_at:
        return NOT_OPEN
    return ISSUED if issued else READY


def situation(
    session: Session, survey: Survey, account: Account, *, now: datetime | None = None
) -> str:
    """What the answer page says to this person (one of the constants above)."""
    allowed = services.eligibility(session, survey, account, now=now)
    if allowed.refusal is not None:
        return _REFUSALS.get(allowed.refusal, NOT_ELIGIBLE)
    entry = services.own_entry(session, survey, account)
    return ISSUED if entry.credential_issued_on else READY


def text_answers(
    session: Session, survey: Survey, question_id: str, search: str
) -> dict[str, list[str]]:
    """The free texts of one question per audience, in board order, after the close only
    (the caller checks), optionally filtered by a case-insensitive search."""
    needle = search.strip().casefold()
    found: dict[str, list[str]] = {}
    for raw in services.board_lines(session, survey.id):
        line = json.loads(raw)
        text = line["answers"].get(question_id)
        if isinstance(text, str) and needle in text.casefold():
            found.setdefault(line["audience"], []).append(text)
    return found


def text_question_ids(manifest: dict[str, Any]) -> list[str]:
    return [
        str(q["id"])
        for section in manifest["sections"]
        for q in section["questions"]
        if q["type"] in (SHORT_TEXT, LONG_TEXT)
    ]
