"""From a successful initiative to the Mitgliederentscheid, and what its result binds.

The Entscheid is made by the referendum module's own creation service
(`referendums.services.create_referendum`): staff name the commission (trustees) and the
dates; the question, the reasons, the initiators' arguments and the quorum come from
the initiative and the rules version it started under, and cannot be changed here. The
board's arguments against are left empty for the board to write on the referendum's
edit page before the key ceremony.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.errors import Forbidden
from app.core.i18n import N_
from app.core.settings import Settings
from ballots.manifest import ElectionDraft, QuestionDraft
from ballots.models import ElectionStatus
from motions import services
from motions.models import Initiative, InitiativeRules, InitiativeStatus, QuorumKind
from referendums import services as referendum_services
from referendums.models import Referendum

QUESTION_MAX = 1_000


@dataclass(frozen=True, slots=True)
class Schedule:
    cutoff_at: datetime
    opens_at: datetime
    closes_at: datetime
    trustees: int
    threshold: int


def draft_for(
    initiative: Initiative,
    rules: InitiativeRules,
    unit_code: str,
    unit_name: str,
    schedule: Schedule,
) -> ElectionDraft:
    """The ballot core's draft of the Entscheid: one yes/no question, the rules' quorum.

    The ballot core knows a turnout quorum; an approval quorum is not bound into the
    manifest and is judged from the result by `binding_of` (stated on the result page).
    """
    quorum = rules.quorum_percent if rules.quorum_kind == QuorumKind.TURNOUT else None
    return ElectionDraft(
        title=f"Mitgliederentscheid: {initiative.title}"[:200],
        description="",
        unit_code=unit_code,
        unit_name=unit_name,
        cutoff_at=schedule.cutoff_at,
        opens_at=schedule.opens_at,
        closes_at=schedule.closes_at,
        questions=(
            QuestionDraft(
                id="q1", text=initiative.proposal[:QUESTION_MAX], method="yes_no_abstain"
            ),
        ),
        trustees=schedule.trustees,
        threshold=schedule.threshold,
        quorum_percent=quorum,
    )


def prepare(
    session: Session,
    settings: Settings,
    actor: Account,
    initiative_id: uuid.UUID,
    *,
    trustee_ids: Sequence[uuid.UUID],
    schedule: Schedule,
    now: datetime | None = None,
) -> Referendum:
    """Create the Entscheid as a draft referendum (staff of the unit).

    Raises:
        Forbidden: not staff of the unit.
        services.Refused: the initiative is not waiting for its Entscheid.
        ManifestInvalid: the dates or trustees are wrong (the referendum service says which).
    """
    view = services.get_view(session, initiative_id)
    if not services.may_check(session, actor, view.unit):
        raise Forbidden
    initiative = view.initiative
    if initiative.status != InitiativeStatus.REFERENDUM_DUE:
        raise services.Refused(N_("This initiative is not waiting for its member referendum."))
    draft = draft_for(initiative, view.rules, view.unit.code, view.unit.name, schedule)
    texts = referendum_services.ReferendumTexts(
        explanation=initiative.reasons,
        arguments_for=initiative.arguments_for,
        arguments_against="",
    )
    referendum = referendum_services.create_referendum(
        session, settings, actor, draft, trustee_ids, texts=texts, now=now
    )
    initiative = services.get_view(session, initiative_id).initiative
    initiative.status = InitiativeStatus.REFERENDUM
    initiative.election_id = referendum.election_id
    record_event(
        session,
        "initiative:referendum_prepared",
        actor_id=actor.id,
        object_type="initiative",
        object_id=initiative_id,
        election=str(referendum.election_id),
    )
    session.commit()
    return referendum


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Binding:
    initiative: Initiative
    rules: InitiativeRules
    accepted: bool
    quorum_met: bool
    binding: bool
    result_date: date
    binding_until: date | None


def initiative_of_election(
    session: Session, election_id: uuid.UUID
) -> tuple[Initiative, InitiativeRules] | None:
    row = session.execute(
        select(Initiative, InitiativeRules)
        .join(InitiativeRules, InitiativeRules.id == Initiative.rules_id)
        .where(Initiative.election_id == election_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def binding_of(session: Session, election_id: uuid.UUID) -> Binding | None:
    """Whether the counted Entscheid binds, and until when (None: not from an initiative,
    or not counted yet)."""
    found = initiative_of_election(session, election_id)
    if found is None:
        return None
    initiative, rules = found
    view = referendum_services.get_referendum(session, election_id)
    if view.election.status != ElectionStatus.TALLIED:
        return None
    results = referendum_services.results(view)
    question = results.questions[0]
    totals = {option.key: option.total for option in question.options}
    yes, no = totals.get("yes", 0), totals.get("no", 0)
    accepted = yes > no
    if rules.quorum_kind == QuorumKind.TURNOUT:
        quorum_met = results.participants * 100 >= rules.quorum_percent * results.eligible
    else:
        quorum_met = yes * 100 >= rules.quorum_percent * results.eligible
    closed = view.election.closes_at
    result_date = closed.date()
    binding = quorum_met
    until = add_months(result_date, rules.binding_months) if binding else None
    return Binding(initiative, rules, accepted, quorum_met, binding, result_date, until)
