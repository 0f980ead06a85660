"""An answer and the close at the same moment, on PostgreSQL: no receipt without its
answer in the record.

The answer checks that the survey is open before it is stored; the close claims the
survey and puts the last batch on the board. Without a lock between the two, an answer
checked just before the close could commit just after the close's final batch: its
member holds a receipt, and the answer is in no record. SQLite serialises writers, so
the race is PostgreSQL's; the tests pause one side at the critical point.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import select, update

from app.core.db import Database
from app.core.settings import Settings
from surveys import client, services
from surveys.definition import read_definition
from surveys.models import Survey, SurveyAnswer, SurveyStatus
from tests.helpers import in_thread
from tests.surveys_support import good_answers
from tests.unit.surveys.test_survey_services import DURING, World, _credential, _open

postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
WAIT = 20.0


def _answer_line(database: Database, settings: Settings) -> tuple[Any, bytes]:
    with database.session() as db:
        world = World(db, settings)
        survey = _open(db, settings, world)
        credential = _credential(db, settings, survey, world.members[0])
        manifest = read_definition(json.loads(survey.definition))
        line = client.answer_line(manifest, str(survey.fingerprint), credential, good_answers())
        return survey.id, line


@postgres_only
def test_an_answer_being_stored_when_the_close_starts_is_in_the_record(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey_id, line = _answer_line(database, settings)
    inserted, release = threading.Event(), threading.Event()
    real = services._open_and_waiting

    def paused(session: Any, sid: Any) -> tuple[bool, int]:
        inserted.set()  # the answer's row is written, not yet committed
        assert release.wait(WAIT)
        return real(session, sid)

    monkeypatch.setattr(services, "_open_and_waiting", paused)

    def answer() -> dict[str, Any]:
        with database.session() as session:
            return services.submit_answer(session, settings, survey_id, line, now=DURING)

    def close() -> None:
        with database.session() as session:
            services.close_survey(session, settings, None, survey_id)

    answering, answered = in_thread(answer)
    assert inserted.wait(WAIT)
    closing, closed = in_thread(close)
    closing.join(1.0)
    assert closing.is_alive(), "the close must wait for the answer being stored"
    release.set()
    answering.join(WAIT)
    closing.join(WAIT)
    assert "error" not in answered, answered
    assert "error" not in closed, closed
    receipt = answered["value"]
    with database.session() as session:
        stored = session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id))
        leaves = {row.leaf_hash: row.leaf_index for row in stored}
        survey = session.get(Survey, survey_id)
        assert survey is not None
        assert survey.status == SurveyStatus.CLOSED
        assert leaves.get(receipt["answer_hash"]) is not None, (
            "the receipt's answer is on the board"
        )
        assert survey.board_size == len(leaves) == 1
        files = services.build_record_files(session, settings, survey)
    assert line in files["answers.jsonl"].splitlines()


@postgres_only
def test_an_answer_that_arrives_while_the_close_holds_the_survey_is_refused(
    database: Database, settings: Settings
) -> None:
    survey_id, line = _answer_line(database, settings)
    with database.session() as closer:
        # What close_survey does first: the row lock, then the survey marked closed.
        closer.execute(select(Survey.id).where(Survey.id == survey_id).with_for_update())
        closer.execute(
            update(Survey).where(Survey.id == survey_id).values(status=SurveyStatus.CLOSED)
        )

        def answer() -> dict[str, Any]:
            with database.session() as session:
                return services.submit_answer(session, settings, survey_id, line, now=DURING)

        answering, answered = in_thread(answer)  # checked "open" before the close commits
        answering.join(1.0)
        assert answering.is_alive(), "the answer's insert must wait for the close"
        closer.commit()
    answering.join(WAIT)
    assert isinstance(answered.get("error"), services.SurveyClosedAlready), answered
    with database.session() as session:
        count = session.scalars(
            select(SurveyAnswer.id).where(SurveyAnswer.survey_id == survey_id)
        ).all()
    assert count == [], "nothing is stored for a refused answer"
