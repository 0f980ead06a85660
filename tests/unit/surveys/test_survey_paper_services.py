"""Paper answers against a real database: entered by one staff member, confirmed by another.

The refusals leave nothing changed: the same person confirming, different figures, a line
breaking a rule, an unconfirmed line at the close, entering after the close.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.audit import AuditEvent
from app.core.settings import Settings
from surveys import services
from surveys.models import SurveyPaperLine
from surveys.verifier import verify_record
from tests import factories
from tests.surveys_support import good_answers, paper_line
from tests.unit.surveys.test_survey_services import World, _answer, _credential, _open


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    made = World(db, settings)
    made.second_staff = factories.make_account(db, settings, "staff2@test.de", "pw-123456789")  # type: ignore[attr-defined]
    factories.grant(db, made.second_staff, Role.STAFF, made.tree["UB1"])  # type: ignore[attr-defined]
    db.commit()
    return made


def test_two_staff_members_enter_and_confirm_and_the_record_carries_the_paper_line(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    for account in world.members[:2]:
        _answer(db, settings, survey, _credential(db, settings, survey, account), good_answers())
    services.enter_paper_line(db, world.staff, survey.id, paper_line(3))
    # not counted before it is confirmed; the close waits for the confirmation
    assert services.confirmed_paper(db, survey.id) is None
    with pytest.raises(services.PaperUnconfirmed):
        services.close_survey(db, settings, world.staff, survey.id)
    # the same person cannot confirm: refused, nothing changed
    with pytest.raises(services.PaperSamePerson):
        services.confirm_paper_line(db, world.staff, survey.id, paper_line(3))
    # different figures: refused, nothing changed
    with pytest.raises(services.PaperMismatch):
        services.confirm_paper_line(db, world.second_staff, survey.id, paper_line(4))  # type: ignore[attr-defined]
    row = db.get(SurveyPaperLine, survey.id)
    assert row is not None
    assert row.confirmed_by is None
    services.confirm_paper_line(db, world.second_staff, survey.id, paper_line(3))  # type: ignore[attr-defined]
    with pytest.raises(services.PaperLineExists):
        services.enter_paper_line(db, world.staff, survey.id, paper_line(3))
    closed = services.close_survey(db, settings, world.staff, survey.id)
    results = json.loads(str(closed.results))
    assert results["paper"]["respondents"] == 3
    assert results["members"]["respondents"] == 2  # never mixed into the online answers
    files = services.build_record_files(db, settings, closed)
    assert json.loads(files["survey.json"])["paper"]["questionnaires"] == 3
    report = verify_record(files)
    assert report.ok, report.failures
    actions = set(db.scalars(select(AuditEvent.action)).all())
    assert {"survey:paper_entered", "survey:paper_confirmed"} <= actions
    # after the close: refused
    with pytest.raises(services.SurveyNotOpen):
        services.discard_paper_line(db, world.staff, survey.id)


def test_a_line_breaking_a_rule_or_from_outside_staff_is_refused_and_nothing_stored(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    wrong = paper_line(3)
    wrong["questions"]["q1"]["counts"]["jahr"] = 5
    with pytest.raises(services.PaperLineInvalid) as refused:
        services.enter_paper_line(db, world.staff, survey.id, wrong)
    assert refused.value.question == "q1"
    with pytest.raises(services.NotStaff):
        services.enter_paper_line(db, world.members[0], survey.id, paper_line(3))
    assert db.get(SurveyPaperLine, survey.id) is None
    # a disagreed line can be withdrawn and entered again
    services.enter_paper_line(db, world.staff, survey.id, paper_line(2))
    services.discard_paper_line(db, world.second_staff, survey.id)  # type: ignore[attr-defined]
    assert db.get(SurveyPaperLine, survey.id) is None
