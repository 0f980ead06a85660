"""The surveys' schedule against a real database: due surveys close once, with record."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from app.core.settings import Settings
from surveys import services, tasks
from surveys.models import SurveyStatus
from surveys.verifier import verify_record
from tests.surveys_support import good_answers, paper_line
from tests.unit.surveys.test_survey_services import (
    DURING,
    END,
    World,
    _answer,
    _credential,
    _open,
)


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    return World(db, settings)


def test_a_survey_closes_at_its_closing_time_once_with_its_record(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    _answer(
        db, settings, survey, _credential(db, settings, survey, world.members[0]), good_answers()
    )
    assert tasks.close_due(db, settings, now=DURING).closed == []
    report = tasks.close_due(db, settings, now=END)
    assert report.closed == [survey.id]
    closed = services.get_survey(db, survey.id)
    assert closed.status == SurveyStatus.CLOSED
    assert json.loads(str(closed.results))["members"]["respondents"] == 1
    assert verify_record(services.build_record_files(db, closed)).ok
    # a second run (or staff pressing close) finds nothing to do
    assert tasks.close_due(db, settings, now=END).closed == []


def test_a_survey_whose_paper_line_waits_is_not_closed_until_confirmed(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    services.enter_paper_line(db, world.staff, survey.id, paper_line(2))
    report = tasks.close_due(db, settings, now=END)
    assert report.waiting == [survey.id]
    assert services.get_survey(db, survey.id).status == SurveyStatus.OPEN
    services.discard_paper_line(db, world.staff, survey.id)
    assert tasks.close_due(db, settings, now=END).closed == [survey.id]
