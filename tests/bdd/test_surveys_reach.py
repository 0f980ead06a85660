"""Steps for surveys/paper_answers.feature: paper questionnaires through the real app.

Staff use the paper form as a browser without JavaScript posts it (field names of
``templates/surveys/paper.html``); the record is downloaded from the API and verified
with the engine-free verifier.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.runtime import set_runtime
from app.core.settings import Settings
from surveys import tasks
from surveys.drafting import local_input
from surveys.models import Survey, SurveyPaperLine, SurveyStatus
from surveys.verifier import verify_record
from tests import factories
from tests.bdd import test_surveys_pages as pages
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    fresh_session,
    log_in_fully,
    subject_of,
    visible_text,
)
from tests.bdd.test_surveys_pages import TITLE, _post
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("surveys/paper_answers.feature")


# The survey pages' steps, declared here too (pytest-bdd binds steps to their module).
@given("Sonja has built and opened a survey with a condition", target_fixture="survey_id")
def built_and_opened(browsers: Browsers, org: Organisation, people: People) -> str:
    return pages.has_built_and_opened(browsers, org, people)


@given(
    "Sonja has built and opened a survey with a condition that runs for three days",
    target_fixture="survey_id",
)
def built_for_three_days(browsers: Browsers, org: Organisation, people: People) -> str:
    log_in_fully(browsers.of("Sonja"), people["Sonja"])
    closes = datetime.now(UTC) + timedelta(days=3)
    survey_id = pages._built(browsers, org, closes_at=local_input(closes))
    opened = pages._open(browsers, survey_id)
    assert opened.status_code in {302, 303}, visible_text(opened)[:2000]
    return survey_id


@when("Sonja confirms and closes the survey")
def closes(browsers: Browsers, survey_id: str) -> None:
    pages.confirms_close(browsers, survey_id)


@when(parsers.parse("{name:w} opens the results"), target_fixture="response")
def opens_results(browsers: Browsers, survey_id: str, name: str) -> Response:
    return pages.opens_results(browsers, survey_id, name)


def _figures(questionnaires: int) -> dict[str, str]:
    """The paper form for the scenarios' survey (q1 yes/no, q2 text, q3 two of three, q4
    text): figures that keep every rule of record §6."""
    n = questionnaires
    return {
        "questionnaires": str(n),
        "q1.answered": str(n),
        "q1.yes": str(n - 1),
        "q1.no": "1",
        "q1.abstain": "0",
        "q2.answered": "1",
        "q3.answered": str(n),
        "q3.o1": str(n),
        "q3.o2": "1",
        "q3.o3": "0",
        "q4.answered": "2",
    }


def _paper(browsers: Browsers, name: str, survey_id: str, step: str, fields: dict[str, str]):
    page = f"/surveys/{survey_id}/manage"
    return _post(browsers.of(name), page, f"/surveys/{survey_id}/paper/{step}", fields)


def _shown(browsers: Browsers, name: str, response: Response, survey_id: str) -> Response:
    if response.status_code in {302, 303}:
        return browsers.of(name).get(f"/surveys/{survey_id}/paper")
    return response


@when("Sonja prints the paper questionnaire", target_fixture="response")
def prints(browsers: Browsers, survey_id: str) -> Response:
    return browsers.of("Sonja").get(f"/surveys/{survey_id}/paper/questionnaire.pdf")


@then("she gets a PDF document")
def a_pdf(response: Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF")


@when(
    parsers.parse("{name:w} enters the paper answers of {count:d} questionnaires"),
    target_fixture="response",
)
def enters(browsers: Browsers, survey_id: str, name: str, count: int) -> Response:
    sent = _paper(browsers, name, survey_id, "enter", _figures(count))
    return _shown(browsers, name, sent, survey_id)


@when(
    parsers.parse("{name:w} confirms the paper answers of {count:d} questionnaires"),
    target_fixture="response",
)
def confirms(browsers: Browsers, survey_id: str, name: str, count: int) -> Response:
    sent = _paper(browsers, name, survey_id, "confirm", _figures(count))
    return _shown(browsers, name, sent, survey_id)


@when(
    parsers.parse(
        'Sonja enters paper answers where question "{question}" has more marks than sheets'
    ),
    target_fixture="response",
)
def enters_wrong(browsers: Browsers, survey_id: str, question: str) -> Response:
    fields = _figures(3)
    fields[f"{question}.no"] = "5"
    return _paper(browsers, "Sonja", survey_id, "enter", fields)


@then(parsers.parse('the paper answers are refused with status {status:d}, saying "{text}"'))
def refused(response: Response, status: int, text: str) -> None:
    assert response.status_code == status, visible_text(response)[:2000]
    assert text in visible_text(response), visible_text(response)[:2000]


def _line(database: Database) -> SurveyPaperLine | None:
    with fresh_session(database) as session:
        return session.scalar(select(SurveyPaperLine))


@then("the paper answers are not confirmed")
def not_confirmed(database: Database) -> None:
    line = _line(database)
    assert line is not None
    assert line.confirmed_by is None


@then("no paper answers are stored")
def none_stored(database: Database) -> None:
    assert _line(database) is None


@then(
    parsers.parse(
        "the results show a paper line of {count:d} questionnaires apart from {members:d} "
        "member answers"
    )
)
def paper_shown(response: Response, count: int, members: int) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    member_block = response.text.split('id="audience-members"', 1)[1].split("</section>", 1)[0]
    assert re.search(rf'class="respondents">\s*{members} Personen\b', member_block)
    paper = response.text.split('id="audience-paper"', 1)[1].split("</section>", 1)[0]
    assert "Papier-Antworten, getrennt gezählt" in paper
    assert re.search(rf'class="respondents">\s*{count} Personen\b', paper), paper[:1500]


@then("the downloaded survey record carries the paper line and verifies")
def record_verifies(browsers: Browsers, survey_id: str) -> None:
    download = browsers.of("Sonja").get(f"/api/surveys/{survey_id}/record.zip")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    report = verify_record(files)
    assert report.ok, report.failures
    assert "paper.eligible" in report.passed


# --- reaching members, closing on time ------------------------------------------------------

scenarios("surveys/reaching_members.feature")


@given(parsers.parse('a member of "{unit_name}" has no e-mail address'))
def without_address(db: Session, org: Organisation, unit_name: str) -> None:
    factories.make_member(db, org.unit(unit_name), "Otto", "Ohnepost", email=None)
    db.commit()


@when("the schedule runs")
def schedule_runs(database: Database, settings: Settings, mailbox: MailCatcher) -> None:
    set_runtime(settings, database)  # what the mail task reads
    with fresh_session(database) as session:
        tasks.close_due(session, settings)
        tasks.send_due_mails(session, settings)


@then(parsers.parse("{name:w} has {count:d} invitation to the survey in her mailbox"))
def invited(mailbox: MailCatcher, people: People, name: str, count: int, survey_id: str) -> None:
    mails = [m for m in mailbox.to(people[name].email) if "Mitgliederbefragung" in m["subject"]]
    assert len(mails) == count
    assert f"/surveys/{survey_id}" in mails[0].get_payload(decode=True).decode()


_KINDS = {"invitation": "Mitgliederbefragung:", "reminder": "Erinnerung:"}


def _mails(mailbox: MailCatcher, address: str, kind: str, survey_id: str) -> list[str]:
    """The bodies of the survey's mails of ``kind`` to ``address``."""
    bodies = [
        m.get_payload(decode=True).decode()
        for m in mailbox.to(address)
        if subject_of(m).startswith(_KINDS[kind]) and TITLE in subject_of(m)
    ]
    assert all(f"/surveys/{survey_id}" in body for body in bodies)
    return bodies


@then(
    parsers.parse(
        "{name:w} has {count:d} {kind:w} to the survey with an activation link in her mailbox"
    )
)
def with_activation(  # noqa: PLR0917 - pytest-bdd passes steps' arguments by name
    mailbox: MailCatcher, people: People, name: str, count: int, kind: str, survey_id: str
) -> None:
    bodies = _mails(mailbox, people[name].email, kind, survey_id)
    assert len(bodies) == count, [subject_of(m) for m in mailbox.to(people[name].email)]
    found = re.search(r"https://testserver\.local(/activate\?token=\S+)", bodies[-1])
    assert found, bodies[-1]
    assert "noch kein aktives Konto" in bodies[-1]
    people[name].link = found.group(1)


@then(parsers.parse("{name:w} has {count:d} reminder to the survey in her mailbox"))
def reminded(mailbox: MailCatcher, people: People, name: str, count: int, survey_id: str) -> None:
    bodies = _mails(mailbox, people[name].email, "reminder", survey_id)
    assert len(bodies) == count
    assert "/activate" not in bodies[-1]


@when(parsers.parse("the schedule runs {hours:d} hours before the close"))
def schedule_runs_late(database: Database, settings: Settings, survey_id: str, hours: int) -> None:
    set_runtime(settings, database)
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id))
        assert survey is not None
        moment = survey.closes_at - timedelta(hours=hours)
        tasks.send_due_mails(session, settings, now=moment)


@when(
    parsers.parse("{name:w} opens the activation link of the invitation and chooses her password"),
    target_fixture="response",
)
def activates(browsers: Browsers, people: People, name: str) -> Response:
    person = people[name]
    assert person.link
    person.password = "ein langes neues Passwort 7"
    data = {"password": person.password, "password_repeat": person.password}
    token = person.link.split("token=", 1)[1]
    return submit(browsers.of(name), person.link, "/activate", {**data, "token": token})


@then("she is sent to log in and on to the survey")
def to_login_then_survey(response: Response, survey_id: str) -> None:
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    assert response.headers["location"] == f"/login?next=/surveys/{survey_id}"


@when(parsers.parse("{name:w} logs in and opens the survey"), target_fixture="response")
def logs_in_and_opens(browsers: Browsers, people: People, name: str, survey_id: str) -> Response:
    log_in_fully(browsers.of(name), people[name])
    return browsers.of(name).get(f"/surveys/{survey_id}")


@then(parsers.parse("the page lets {name:w} answer"))
def may_answer(response: Response, name: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'data-situation="ready"' in response.text, visible_text(response)[:2000]


@when("Sonja opens the page of the survey for staff", target_fixture="response")
def staff_page(browsers: Browsers, survey_id: str) -> Response:
    return browsers.of("Sonja").get(f"/surveys/{survey_id}/manage")


@when("the closing time has passed and the schedule runs")
def after_closing(database: Database, settings: Settings) -> None:
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id_of(session)))
        assert survey is not None
        moment = survey.closes_at + timedelta(minutes=1)
        report = tasks.close_due(session, settings, now=moment)
    assert len(report.closed) == 1


def survey_id_of(session: Session) -> str:
    return str(session.scalar(select(Survey.id)))


@then("the survey is closed and its record can be downloaded")
def closed_with_record(browsers: Browsers, database: Database, survey_id: str) -> None:
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id))
        assert survey is not None
        assert survey.status == SurveyStatus.CLOSED
    download = browsers.of("Sonja").get(f"/api/surveys/{survey_id}/record.zip")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    assert verify_record(files).ok
