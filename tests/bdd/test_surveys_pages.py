"""Steps for surveys/survey_pages_*.feature: the survey pages in the staff's and members'
words, through the real app (Litestar TestClient) on SQLite and PostgreSQL.

Staff use the HTML form exactly as a browser without JavaScript posts it (field names of
``templates/surveys/edit.html``, the submit button's ``action``). Members open the answer
page and do what ``frontend/src/survey.js`` does with the URLs and the CSRF token the
page hands it: fetch the credential with the login, send the signed answer from a client
without any cookie. (The browser itself is driven in
``tests/browser/test_surveys_in_browser.py``.)
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.settings import Settings
from crypto.blind_rsa import BlindRsaPublicKey
from surveys import client
from surveys.definition import read_definition
from surveys.drafting import local_input
from surveys.models import Survey, SurveyAnswer, SurveyStatus
from tests.bdd.conftest import BASE_URL, Browsers, Organisation, People, fresh_session, visible_text
from tests.helpers import csrf_token

scenarios(
    "surveys/survey_pages_staff.feature",
    "surveys/survey_pages_members.feature",
    "surveys/public_results.feature",
)

TITLE = "Digitale Parteiarbeit"
GOOD = {
    "q1": "yes",
    "q2": "Weil es schneller geht.",
    "q3": ["o1", "o2"],
    "q4": "Schnell entscheiden",
}


def _form(org: Organisation, **changes: str) -> dict[str, str]:
    """The editor's fields for the survey of these scenarios (as a browser posts them)."""
    now = datetime.now(UTC)
    fields = {
        "title": TITLE,
        "intro": "Wie soll die Partei digital arbeiten?",
        "unit_code": org.unit("Unterbezirk Eins").code,
        "opens_at": local_input(now - timedelta(minutes=2)),
        "closes_at": local_input(now + timedelta(days=1)),
        "s0_title": "Allgemein",
        "s0_q0_id": "q1",
        "s0_q0_type": "yes_no_abstain",
        "s0_q0_text": "Online-Parteitage?",
        "s0_q0_required": "1",
        "s0_q1_id": "q2",
        "s0_q1_type": "long_text",
        "s0_q1_text": "Warum?",
        "s0_q1_condition": "q1=yes",
        "s0_q2_id": "q3",
        "s0_q2_type": "multiple_choice",
        "s0_q2_text": "Welche Themen?",
        "s0_q2_options": "Klima\nBildung\nRente",
        "s0_q2_choice_max": "2",
        "s0_q2_shuffle": "1",
        "s0_q2_required": "1",
        "s0_q3_id": "q4",
        "s0_q3_type": "short_text",
        "s0_q3_text": "Was sollen wir schneller machen?",
        "s0_q3_max_length": "300",
        "action": "save",
    }
    fields.update(changes)
    return fields


def _post(
    browser: TestClient[Litestar], page: str, action: str, fields: dict[str, Any]
) -> Response:
    token = csrf_token(browser, page)
    return browser.post(action, data={**fields, "_csrf_token": token}, follow_redirects=False)


def _surveys(database: Database) -> list[Survey]:
    with fresh_session(database) as session:
        return list(session.scalars(select(Survey).order_by(Survey.created_at)))


def _answers(database: Database) -> int:
    with fresh_session(database) as session:
        return int(session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


def _built(browsers: Browsers, org: Organisation, **changes: str) -> str:
    fields = _form(org, **changes)
    saved = _post(browsers.of("Sonja"), "/surveys/new", "/surveys/new", fields)
    assert saved.status_code in {302, 303}, visible_text(saved)[:2000]
    found = re.search(r"/surveys/([0-9a-f-]{36})/manage", saved.headers["location"])
    assert found, saved.headers["location"]
    return found.group(1)


def _open(browsers: Browsers, survey_id: str) -> Response:
    page = f"/surveys/{survey_id}/manage"
    return _post(browsers.of("Sonja"), page, f"/surveys/{survey_id}/open", {"confirm": "yes"})


# --- staff ---------------------------------------------------------------------------------


@when(
    parsers.parse('Sonja fills in the new survey form with a yes/no question "{text}"'),
    target_fixture="fields",
)
def fills_form(org: Organisation, text: str) -> dict[str, str]:
    fields = {k: v for k, v in _form(org).items() if not k.startswith(("s0_q1", "s0_q2", "s0_q3"))}
    fields["s0_q0_text"] = text
    return fields


@when("Sonja adds a question", target_fixture="response")
def adds_question(browsers: Browsers, fields: dict[str, str]) -> Response:
    return _post(
        browsers.of("Sonja"), "/surveys/new", "/surveys/new", {**fields, "action": "add_question-0"}
    )


@then("the form comes back with the title and question 1 kept, and no survey is stored yet")
def form_kept(response: Response, database: Database) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert f'value="{TITLE}"' in response.text
    assert 'value="Online-Parteitage?"' in response.text
    assert 'name="s0_q1_type"' in response.text, "no second question block"
    assert 'name="s0_q1_id" value="q2"' in response.text
    # The new block may already be made conditional on question 1.
    assert 'value="q1=yes"' in response.text
    assert _surveys(database) == []


@when(parsers.parse('Sonja makes question 2 a long text "{text}" shown only if question 1 is "Ja"'))
def makes_conditional(fields: dict[str, str], text: str) -> None:
    fields.update(
        {
            "s0_q1_id": "q2",
            "s0_q1_type": "long_text",
            "s0_q1_text": text,
            "s0_q1_condition": "q1=yes",
        }
    )


@when(
    parsers.parse(
        'Sonja makes question 2 a long text "{text}" shown only if question 1 is "Ja" or '
        '"Enthaltung"'
    )
)
def makes_conditional_on_two(fields: dict[str, Any], text: str) -> None:
    """Two boxes ticked: the field is posted once per value, as a browser sends it."""
    fields.update(
        {
            "s0_q1_id": "q2",
            "s0_q1_type": "long_text",
            "s0_q1_text": text,
            "s0_q1_condition": ["q1=yes", "q1=abstain"],
        }
    )


@when(
    "Sonja ticks options of two different questions in the condition of question 4",
    target_fixture="fields",
)
def ticks_two_questions(org: Organisation) -> dict[str, Any]:
    fields: dict[str, Any] = _form(org)
    fields["s0_q3_condition"] = ["q1=yes", "q3=o1"]
    return fields


@when("Sonja saves the draft", target_fixture="response")
def saves(browsers: Browsers, fields: dict[str, str]) -> Response:
    return _post(browsers.of("Sonja"), "/surveys/new", "/surveys/new", {**fields, "action": "save"})


@then(
    parsers.parse(
        'the survey is stored as a draft with question "{qid}" asked only if "{other}" is "{value}"'
    ),
    target_fixture="survey_id",
)
def stored_draft(database: Database, response: Response, qid: str, other: str, value: str) -> str:
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    [survey] = _surveys(database)
    assert survey.status == SurveyStatus.DRAFT
    question = read_definition(json.loads(survey.definition)).question(qid)
    assert (question.condition_question, question.condition_values) == (other, {value})
    return str(survey.id)


@then(
    parsers.parse(
        'the survey is stored as a draft with question "{qid}" asked only if "{other}" is one '
        'of "{first}" and "{second}"'
    ),
    target_fixture="survey_id",
)
def stored_draft_two(  # noqa: PLR0917 - pytest-bdd passes steps' arguments by name
    database: Database, response: Response, qid: str, other: str, first: str, second: str
) -> str:
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    [survey] = _surveys(database)
    question = read_definition(json.loads(survey.definition)).question(qid)
    assert (question.condition_question, question.condition_values) == (other, {first, second})
    return str(survey.id)


@when("Sonja opens the edit form of the survey", target_fixture="response")
def opens_edit(browsers: Browsers, survey_id: str) -> Response:
    return browsers.of("Sonja").get(f"/surveys/{survey_id}/edit")


@then(parsers.parse('"{first}" and "{second}" are ticked in the condition of question 2'))
def ticked(response: Response, first: str, second: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    block = response.text.split('id="s0_q1_condition"', 1)[1].split("</fieldset>", 1)[0]
    checked = re.findall(r'<input type="checkbox"[^>]*checked> ([^<]+)</label>', block)
    assert sorted(label.strip() for label in checked) == sorted([first, second]), block


@given(
    parsers.parse(
        'Sonja has built and opened a survey asking question 2 only if question 1 is "Ja" or '
        '"Enthaltung"'
    ),
    target_fixture="survey_id",
)
def has_built_two_values(browsers: Browsers, org: Organisation, people: People) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of("Sonja"), people["Sonja"])
    fields: dict[str, Any] = _form(org)
    fields["s0_q1_condition"] = ["q1=yes", "q1=abstain"]
    saved = _post(browsers.of("Sonja"), "/surveys/new", "/surveys/new", fields)
    assert saved.status_code in {302, 303}, visible_text(saved)[:2000]
    found = re.search(r"/surveys/([0-9a-f-]{36})/manage", saved.headers["location"])
    assert found, saved.headers["location"]
    opened = _open(browsers, found.group(1))
    assert opened.status_code in {302, 303}, visible_text(opened)[:2000]
    return found.group(1)


@when(
    parsers.parse('{name:w} answers question 1 with "{value}" and gives a reason'),
    target_fixture="response",
)
def answers_with_reason(  # noqa: PLR0917 - pytest-bdd passes steps' arguments by name
    app: Litestar, browsers: Browsers, people: People, survey_id: str, name: str, value: str
) -> Response:
    credential = _credential(browsers, people, survey_id, name)
    answers = {**GOOD, "q1": value, "q2": "Weil es so ist."}
    return _send(app, browsers, survey_id, credential, answers, check=False)


@then("the answer is accepted")
def accepted(response: Response) -> None:
    assert response.status_code == 201, response.text


@when("Sonja opens the preview", target_fixture="response")
def opens_preview(browsers: Browsers, survey_id: str) -> Response:
    return browsers.of("Sonja").get(f"/surveys/{survey_id}/preview")


def _no_names(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    form = response.text.split('id="survey-form"', 1)[1]
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    assert controls, "no inputs"
    named = [c for c in controls if re.search(r"\sname=", c)]
    assert not named, named


@then("no input of the preview has a name")
def preview_no_names(response: Response) -> None:
    _no_names(response)


@when(
    parsers.parse('Sonja opens the surveys section of the page of "{unit_name}"'),
    target_fixture="response",
)
def opens_unit_section(browsers: Browsers, org: Organisation, unit_name: str) -> Response:
    code = org.unit(unit_name).code
    page = browsers.of("Sonja").get(f"/units/{code}")
    assert f'hx-get="/surveys/units/{code}"' in page.text
    return browsers.of("Sonja").get(f"/surveys/units/{code}")


@when("Sonja follows the link to a new survey for this unit", target_fixture="response")
def follows_new_link(browsers: Browsers, response: Response) -> Response:
    found = re.search(r'href="(/surveys/new\?unit=[^"]+)"', response.text)
    assert found, visible_text(response)
    return browsers.of("Sonja").get(found.group(1))


@then(parsers.parse('the new survey form has "{unit_name}" chosen as the unit that asks'))
def unit_chosen(response: Response, org: Organisation, unit_name: str) -> None:
    assert response.status_code == 200
    code = org.unit(unit_name).code
    assert f'<option value="{code}" selected>' in response.text


@when(
    parsers.parse(
        "Sonja saves a survey whose multiple-choice question allows {high:d} of 3 options"
    ),
    target_fixture="response",
)
def saves_broken(browsers: Browsers, org: Organisation, high: int) -> Response:
    fields = _form(org, s0_q2_choice_max=str(high))
    return _post(browsers.of("Sonja"), "/surveys/new", "/surveys/new", fields)


@then(parsers.parse("the form comes back with status {status:d}"))
def form_back(response: Response, status: int) -> None:
    assert response.status_code == status, visible_text(response)[:2000]
    assert 'id="error-summary"' in response.text
    assert 'aria-invalid="true"' in response.text


@then("no survey is stored")
def nothing_stored(database: Database) -> None:
    assert _surveys(database) == []


@given("Sonja has built a survey with a condition", target_fixture="survey_id")
def has_built(browsers: Browsers, org: Organisation, people: People) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of("Sonja"), people["Sonja"])
    return _built(browsers, org)


@given("Sonja has built and opened a survey with a condition", target_fixture="survey_id")
def has_built_and_opened(browsers: Browsers, org: Organisation, people: People) -> str:
    survey_id = has_built(browsers, org, people)
    opened = _open(browsers, survey_id)
    assert opened.status_code in {302, 303}, visible_text(opened)[:2000]
    return survey_id


@given(
    "Sonja has built and opened a survey with a condition that also asks guests",
    target_fixture="survey_id",
)
def has_built_for_guests(browsers: Browsers, org: Organisation) -> str:
    survey_id = _built(browsers, org, guests_allowed="1")
    opened = _open(browsers, survey_id)
    assert opened.status_code in {302, 303}, visible_text(opened)[:2000]
    return survey_id


@given(
    "Sonja has built and opened a survey with a condition and live results",
    target_fixture="survey_id",
)
def has_built_live(browsers: Browsers, org: Organisation, people: People) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of("Sonja"), people["Sonja"])
    survey_id = _built(browsers, org, results_live="1")
    opened = _open(browsers, survey_id)
    assert opened.status_code in {302, 303}, visible_text(opened)[:2000]
    return survey_id


@given(
    "Sonja has built a survey with a condition that closed yesterday", target_fixture="survey_id"
)
def has_built_past(browsers: Browsers, org: Organisation, people: People) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of("Sonja"), people["Sonja"])
    now = datetime.now(UTC)
    return _built(
        browsers,
        org,
        opens_at=local_input(now - timedelta(days=3)),
        closes_at=local_input(now - timedelta(days=1)),
    )


@when("Sonja copies the survey on its page", target_fixture="response")
def copies(browsers: Browsers, survey_id: str) -> Response:
    page = f"/surveys/{survey_id}/manage"
    return _post(browsers.of("Sonja"), page, f"/surveys/{survey_id}/copy", {})


@then("a second survey is stored as a draft with the same questions")
def copy_stored(database: Database, survey_id: str) -> None:
    original, copy = _surveys(database)
    assert str(original.id) == survey_id
    assert copy.status == SurveyStatus.DRAFT
    assert copy.copied_from == original.id
    assert copy.definition == original.definition


@then("the edit form of the copy opens")
def copy_edit_opens(browsers: Browsers, database: Database, response: Response) -> None:
    copy = _surveys(database)[1]
    assert response.headers["location"] == f"/surveys/{copy.id}/edit"
    page = browsers.of("Sonja").get(response.headers["location"])
    assert page.status_code == 200
    assert 'value="Online-Parteitage?"' in page.text
    assert re.search(r'name="s0_q1_condition" value="q1=yes" checked', page.text)


@when(
    parsers.parse('Sonja presses "Befragung öffnen" without confirming'), target_fixture="response"
)
def opens_unconfirmed(browsers: Browsers, survey_id: str) -> Response:
    page = f"/surveys/{survey_id}/manage"
    return _post(browsers.of("Sonja"), page, f"/surveys/{survey_id}/open", {})


def _status(database: Database, survey_id: str) -> SurveyStatus:
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id))
        assert survey is not None
        return survey.status


@then("the survey is still a draft")
def still_draft(database: Database, survey_id: str) -> None:
    assert _status(database, survey_id) == SurveyStatus.DRAFT


@when("Sonja confirms and opens the survey", target_fixture="response")
def confirms_open(browsers: Browsers, survey_id: str) -> Response:
    return _open(browsers, survey_id)


@then("the survey is open")
def is_open(database: Database, survey_id: str, response: Response) -> None:
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    assert _status(database, survey_id) == SurveyStatus.OPEN


@then("the audit log records that Sonja created and opened the survey")
def audited(database: Database, people: People, survey_id: str) -> None:
    with fresh_session(database) as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.actor_id).where(AuditEvent.object_id == survey_id)
        ).all()
    actions = {action for action, actor in events if actor == people["Sonja"].account_id}
    assert {"survey:created", "survey:opened"} <= actions, events


@when("Sonja sends a changed question text to the edit form", target_fixture="response")
def sends_change(
    browsers: Browsers, org: Organisation, database: Database, survey_id: str
) -> Response:
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id))
        assert survey is not None
        before = survey.definition
    browser = browsers.of("Sonja")
    token = csrf_token(browser, f"/surveys/{survey_id}/manage")
    fields = _form(org, s0_q0_text="Ganz andere Frage?")
    response = browser.post(
        f"/surveys/{survey_id}/edit", data={**fields, "_csrf_token": token}, follow_redirects=False
    )
    response.extensions["before"] = before
    return response


@then("the questions of the survey are unchanged")
def unchanged(database: Database, survey_id: str, response: Response) -> None:
    with fresh_session(database) as session:
        survey = session.get(Survey, uuid.UUID(survey_id))
        assert survey is not None
        assert survey.definition == response.extensions["before"]
        assert "Ganz andere Frage?" not in survey.definition


@when(parsers.parse("{name:w} opens the page of the survey for staff"), target_fixture="response")
def opens_manage(browsers: Browsers, survey_id: str, name: str) -> Response:
    return browsers.of(name).get(f"/surveys/{survey_id}/manage")


@when("Anna sends the form that opens the survey", target_fixture="response")
def anna_opens(browsers: Browsers, survey_id: str) -> Response:
    return _post(browsers.of("Anna"), "/surveys/", f"/surveys/{survey_id}/open", {"confirm": "yes"})


# --- members -------------------------------------------------------------------------------


@when(parsers.parse("{name:w} opens her surveys on the dashboard"), target_fixture="response")
def opens_mine(browsers: Browsers, name: str) -> Response:
    dashboard = browsers.of(name).get("/dashboard")
    assert 'hx-get="/surveys/mine"' in dashboard.text
    return browsers.of(name).get("/surveys/mine")


@then(parsers.parse('the page lists the survey "{title}"'))
def lists_survey(response: Response, title: str, survey_id: str) -> None:
    assert response.status_code == 200
    assert f'href="/surveys/{survey_id}"' in response.text
    assert title in visible_text(response)


@when(parsers.parse("{name:w} opens the survey"), target_fixture="response")
def opens_survey(browsers: Browsers, survey_id: str, name: str) -> Response:
    return browsers.of(name).get(f"/surveys/{survey_id}")


@then(parsers.parse('the page shows question 2 with the note "{note}"'))
def shows_note(response: Response, note: str) -> None:
    assert response.status_code == 200
    block = response.text.split('data-question-id="q2"', 1)[1].split("</fieldset>", 1)[0]
    assert note in visible_text(Response(200, text=block))
    assert 'data-condition-question="q1"' in response.text


@then("no input of the answer page has a name")
def answer_no_names(response: Response) -> None:
    _no_names(response)
    assert "<form" not in response.text.split('id="survey-app"', 1)[1].split("</main>", 1)[0]


@then("the questions are locked until the browser holds a credential")
def locked(response: Response) -> None:
    fieldsets = re.findall(
        r'<fieldset class="ballot-question survey-question"[^>]*>', response.text
    )
    assert len(fieldsets) == 4
    assert all(" disabled" in f for f in fieldsets)
    assert 'data-situation="ready"' in response.text
    assert 'src="/static/vendor/survey.js"' in response.text


@then("the page shows no questions")
def no_questions(response: Response) -> None:
    assert response.status_code == 200
    assert 'id="survey-form"' not in response.text
    assert "survey.js" not in response.text


def _page_urls(browser: TestClient[Litestar], survey_id: str) -> dict[str, str]:
    page = browser.get(f"/surveys/{survey_id}")
    assert page.status_code == 200, visible_text(page)[:1000]
    app_tag = page.text.split('id="survey-app"', 1)[1].split(">", 1)[0]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', app_tag))


def _credential(
    browsers: Browsers, people: People, survey_id: str, name: str
) -> client.SurveyCredential:
    from tests.bdd.conftest import log_in_fully

    browser = browsers.of(name)
    log_in_fully(browser, people[name])
    urls = _page_urls(browser, survey_id)
    data = browser.get(urls["client-data-url"], headers={"accept": "application/json"}).json()
    issuer = BlindRsaPublicKey.from_der(bytes.fromhex(data["issuers"][urls["audience"]]))
    request = client.request_credential(issuer, survey_id, urls["audience"])
    answer = browser.post(
        urls["credential-url"],
        json={"blinded_msg": request.blinded_msg.hex()},
        headers={"accept": "application/json", "x-csrftoken": urls["csrf-token"]},
    )
    assert answer.status_code == 200, answer.text
    return client.finish_credential(
        issuer, request, bytes.fromhex(answer.json()["blind_signature"])
    )


def _send(
    app: Litestar, browsers: Browsers, survey_id: str, credential: client.SurveyCredential,
    answers: dict[str, Any], *, check: bool = True,
) -> Response:  # fmt: skip
    """From a client without any cookie, as survey.js sends it (credentials: "omit")."""
    data = browsers.of("visitor").get(f"/api/surveys/{survey_id}/client-data").json()
    manifest = read_definition(data["manifest"])
    line = client.answer_line(manifest, data["fingerprint"], credential, answers, check=check)
    with TestClient(app, base_url=BASE_URL) as anonymous:
        return anonymous.post(
            f"/api/surveys/{survey_id}/answers",
            content=line,
            headers={"content-type": "application/json", "accept": "application/json"},
        )


_MISTAKES: dict[str, dict[str, Any]] = {
    'a reason although question 1 is "Nein"': {"q1": "no"},
    "three topics where at most two are allowed": {"q3": ["o1", "o2", "o3"]},
    "a text of 301 characters": {"q4": "x" * 301},
}


@when(parsers.parse("Bernd answers with {mistake}"), target_fixture="response")
def answers_wrongly(
    app: Litestar, browsers: Browsers, people: People, survey_id: str, mistake: str
) -> Response:
    credential = _credential(browsers, people, survey_id, "Bernd")
    return _send(app, browsers, survey_id, credential, {**GOOD, **_MISTAKES[mistake]}, check=False)


@then(parsers.parse('the answer is refused, saying "{text}"'))
def refused_saying(response: Response, text: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert text in response.json()["message"], response.text


@then("no answer is stored")
def no_answer(database: Database) -> None:
    assert _answers(database) == 0


@then(parsers.parse("{count:d} answer is stored"))
def answers_stored(database: Database, count: int) -> None:
    assert _answers(database) == count


_held: dict[str, client.SurveyCredential] = {}
_receipts: dict[str, str] = {}


@then(parsers.parse("{name}'s receipt, looked up without a login, says {status}"))
def receipt_says(app: Litestar, survey_id: str, name: str, status: str) -> None:
    """As survey.js looks it up: from a client without any cookie."""
    answer_hash = _receipts[f"{survey_id}/{name}"]
    with TestClient(app, base_url=BASE_URL) as anonymous:
        found = anonymous.get(f"/api/surveys/{survey_id}/answers/{answer_hash}")
    assert found.status_code == 200, found.text
    receipt = found.json()["receipt"]
    if status == "it waits for its batch":
        assert receipt["status"] == "waiting"
    else:
        assert status == "it is on the board at place 1"
        assert (receipt["status"], receipt["index"]) == ("on_board", 0)


@when(
    parsers.parse("{name:w} saves his receipt, looked up without a login"),
    target_fixture="saved_receipt",
)
def saves_receipt(app: Litestar, survey_id: str, name: str, tmp_path: Path) -> Path:
    """What survey.js keeps and offers as a file: the look-up's JSON, as it came."""
    answer_hash = _receipts[f"{survey_id}/{name}"]
    with TestClient(app, base_url=BASE_URL) as anonymous:
        found = anonymous.get(f"/api/surveys/{survey_id}/answers/{answer_hash}")
    assert found.status_code == 200, found.text
    assert found.json()["receipt"]["status"] == "on_board"
    target = tmp_path / f"receipt-{name.lower()}.json"
    target.write_bytes(found.content)
    return target


@then(parsers.parse("the saved receipt holds nothing about {name:w}"))
def receipt_anonymous(saved_receipt: Path, people: People, name: str) -> None:
    receipt = json.loads(saved_receipt.read_text(encoding="utf-8"))["receipt"]
    assert set(receipt) == {
        "survey", "fingerprint", "answer_hash", "status", "index", "checkpoint", "inclusion_path",
    }  # fmt: skip
    person = people[name]
    text = saved_receipt.read_text(encoding="utf-8").lower()
    details = [person.email, *person.full_name.split(), person.membership_number or ""]
    assert not [d for d in details if d and d.lower() in text], details


@then(parsers.parse("the survey record, checked with {name:w}'s saved receipt, verifies"))
def record_verifies_receipt(
    browsers: Browsers, survey_id: str, saved_receipt: Path, tmp_path: Path
) -> None:
    """``stimmwerk verify RECORD --receipt FILE`` in its own process, as an auditor."""
    record = browsers.of("visitor").get(f"/api/surveys/{survey_id}/record.zip")
    assert record.status_code == 200, record.text
    path = tmp_path / "record.zip"
    path.write_bytes(record.content)
    checked = subprocess.run(
        [sys.executable, "-m", "app.cli", "verify", str(path), "--receipt", str(saved_receipt)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"RECEIPT VERIFIED: {saved_receipt}" in checked.stdout


@then(
    parsers.parse(
        "the page tells him, for a browser without JavaScript, where to fetch his receipt"
    )
)
def says_where_without_js(response: Response, survey_id: str, settings: Settings) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    noscript = response.text.split('id="receipt-by-hand"', 1)[1].split("</noscript>", 1)[0]
    assert "Ohne JavaScript kannst du deine Quittung selbst abrufen" in noscript
    assert "privates Fenster" in noscript
    assert f"{settings.base_url}/api/surveys/{survey_id}/answers/" in noscript


@when(parsers.parse("{name:w} answers the survey on its page"), target_fixture="response")
def answers_on_page(
    app: Litestar, browsers: Browsers, people: People, survey_id: str, name: str
) -> Response:
    credential = _credential(browsers, people, survey_id, name)
    _held[f"{survey_id}/{name}"] = credential
    response = _send(app, browsers, survey_id, credential, GOOD)
    assert response.status_code == 201, response.text
    _receipts[f"{survey_id}/{name}"] = response.json()["receipt"]["answer_hash"]
    return response


@when(
    parsers.parse("{name:w} sends a second answer with the same credential"),
    target_fixture="response",
)
def second_answer(app: Litestar, browsers: Browsers, survey_id: str, name: str) -> Response:
    other = {"q1": "no", "q3": ["o3"]}
    return _send(app, browsers, survey_id, _held[f"{survey_id}/{name}"], other)


@given(parsers.parse("{name:w} has fetched her credential"), target_fixture="fetched")
def has_fetched(
    browsers: Browsers, people: People, survey_id: str, name: str
) -> client.SurveyCredential:
    return _credential(browsers, people, survey_id, name)


@when("Sonja confirms and closes the survey")
def confirms_close(browsers: Browsers, survey_id: str) -> None:
    page = f"/surveys/{survey_id}/manage"
    closed = _post(browsers.of("Sonja"), page, f"/surveys/{survey_id}/close", {"confirm": "yes"})
    assert closed.status_code in {302, 303}, visible_text(closed)[:2000]


@when(parsers.parse("{name:w} answers with the credential she fetched"), target_fixture="response")
def answers_fetched(
    app: Litestar, browsers: Browsers, survey_id: str, fetched: client.SurveyCredential
) -> Response:
    return _send(app, browsers, survey_id, fetched, GOOD)


@when(parsers.parse("{name:w} opens the results"), target_fixture="response")
def opens_results(browsers: Browsers, survey_id: str, name: str) -> Response:
    return browsers.of(name).get(f"/surveys/{survey_id}/results")


@then(
    parsers.parse(
        "the results show {count:d} member answer with a chart and a table for question 1"
    )
)
def results_shown(response: Response, count: int) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    members = response.text.split('id="audience-members"', 1)[1]
    assert re.search(rf'class="respondents">\s*{count} Person\b', members), visible_text(response)[
        :1500
    ]
    block = members.split('id="result-members-q1"', 1)[1].split("</article>", 1)[0]
    assert '<svg role="img"' in block
    assert "<table" in block
    text = visible_text(Response(200, text=block))
    assert "Ja 1 100,0 %" in text, text


@then("the results link the XLSX export and the survey record")
def results_links(browsers: Browsers, response: Response, survey_id: str) -> None:
    for link in (f"/api/surveys/{survey_id}/export/xlsx", f"/api/surveys/{survey_id}/record.zip"):
        assert f'href="{link}"' in response.text
        assert browsers.of("visitor").get(link).status_code == 200


@when(
    parsers.parse('{name:w} searches the free-text answers of question {number:d} for "{text}"'),
    target_fixture="response",
)
def searches(browsers: Browsers, survey_id: str, name: str, number: int, text: str) -> Response:
    return browsers.of(name).get(f"/surveys/{survey_id}/results?question=q{number}&q={text}")


@then(parsers.parse("{count:d} free-text answer is listed"))
def texts_listed(response: Response, count: int) -> None:
    assert response.status_code == 200
    section = response.text.split('id="texts"', 1)[1]
    assert len(re.findall(r"<li>", section.split("</section>", 1)[0])) == count


@then(
    parsers.parse(
        "the results show {members:d} member answer and, apart, {guests:d} guest answer "
        'under "{heading}"'
    )
)
def counted_apart(response: Response, members: int, guests: int, heading: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    member_part = response.text.split('id="audience-members"', 1)[1].split("</section>", 1)[0]
    guest_part = response.text.split('id="audience-guests"', 1)[1].split("</section>", 1)[0]
    assert re.search(rf'class="respondents">\s*{members} Person\b', member_part)
    assert re.search(rf'class="respondents">\s*{guests} Person\b', guest_part)
    assert heading in visible_text(Response(200, text=guest_part))


# --- the public results page ----------------------------------------------------------------


@when("a visitor without a login opens the results", target_fixture="response")
def visitor_opens_results(app: Litestar, survey_id: str) -> Response:
    with TestClient(app, base_url=BASE_URL) as anonymous:
        return anonymous.get(f"/surveys/{survey_id}/results", headers={"accept": "text/html"})


@when(
    parsers.parse(
        'a visitor without a login searches the free-text answers of question {number:d} for "{text}"'
    ),
    target_fixture="response",
)
def visitor_searches(app: Litestar, survey_id: str, number: int, text: str) -> Response:
    with TestClient(app, base_url=BASE_URL) as anonymous:
        return anonymous.get(
            f"/surveys/{survey_id}/results?question=q{number}&q={text}",
            headers={"accept": "text/html"},
        )


@then("the results show no figures")
def no_figures(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'id="audience-members"' not in response.text
    assert "/export/" not in response.text


@then("no free-text answers are listed")
def no_texts(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'id="texts"' not in response.text
    assert "Weil es schneller geht." not in response.text
