"""Steps for surveys/*.feature: staff build surveys, members and guests answer them.

Everything goes through the real app (Litestar TestClient): staff and the credential
request with their login; answers from a fresh client without any cookie, exactly as
the browser must send them.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, inspect, select

from app.core.db import Database
from crypto.blind_rsa import BlindRsaPublicKey
from surveys import client
from surveys.definition import read_definition
from surveys.models import Survey, SurveyAnswer
from surveys.verifier import read_record, verify_record
from tests.bdd.conftest import BASE_URL, Browsers, Organisation, fresh_session
from tests.surveys_support import example_definition, good_answers

scenarios(
    "surveys/create_survey.feature",
    "surveys/answer_survey.feature",
    "surveys/breakdown.feature",
)

JSON = {"accept": "application/json"}


def _token(browser: TestClient[Litestar]) -> dict[str, str]:
    browser.get("/dashboard")
    token = browser.cookies.get("__Host-csrftoken") or browser.cookies.get("csrftoken")
    assert token, "no CSRF cookie"
    return {**JSON, "x-csrftoken": token}


def _create(browsers: Browsers, name: str, unit: str, definition: Any, **extra: Any) -> Response:
    browser = browsers.of(name)
    now = datetime.now(UTC)
    body = {
        "unit": unit,
        "definition": definition,
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        **extra,
    }
    return browser.post("/api/surveys/", json=body, headers=_token(browser))


@when(
    parsers.parse('{name:w} creates the example survey for "{unit_name}"'),
    target_fixture="response",
)
def creates(browsers: Browsers, org: Organisation, name: str, unit_name: str) -> Response:
    return _create(browsers, name, org.unit(unit_name).code, example_definition())


@when(
    parsers.parse(
        '{name:w} creates the example survey with question "{qid}" allowing {high:d} of 3 options'
    ),
    target_fixture="response",
)
def creates_broken(
    browsers: Browsers, org: Organisation, name: str, qid: str, high: int
) -> Response:
    definition = example_definition()
    for section in definition["sections"]:
        for question in section["questions"]:
            if question["id"] == qid:
                question["max"] = high
    return _create(browsers, name, org.unit("Unterbezirk Eins").code, definition)


@then("the survey is saved as a draft")
def saved_draft(response: Response) -> None:
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"


@then(parsers.parse('the preview shows question "{qid}" only if "{other}" is answered "{value}"'))
def preview_condition(
    browsers: Browsers, response: Response, qid: str, other: str, value: str
) -> None:
    survey_id = response.json()["id"]
    preview = browsers.of("Sonja").get(f"/api/surveys/{survey_id}/preview", headers=JSON)
    assert preview.status_code == 200, preview.text
    manifest = read_definition(preview.json()["manifest"])
    question = manifest.question(qid)
    assert question.condition_question == other
    assert question.condition_values == {value}


@then(parsers.parse('the survey is refused, naming question "{qid}"'))
def refused_naming(response: Response, qid: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["question"] == qid
    assert response.json()["message"].startswith("Die Befragung kann nicht gespeichert werden")


@then("no survey is saved")
def none_saved(database: Database) -> None:
    with fresh_session(database) as session:
        assert session.scalar(select(func.count()).select_from(Survey)) == 0


def _open_survey(
    browsers: Browsers, org: Organisation, name: str, unit_name: str, *, guests: bool
) -> str:
    created = _create(
        browsers, name, org.unit(unit_name).code, example_definition(), guests_allowed=guests
    )
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    browser = browsers.of(name)
    opened = browser.post(f"/api/surveys/{survey_id}/open", headers=_token(browser))
    assert opened.status_code == 200, opened.text
    return str(survey_id)


@given(
    parsers.parse('{name:w} has opened the example survey for "{unit_name}"'),
    target_fixture="survey_id",
)
def has_opened(
    browsers: Browsers, org: Organisation, people: Any, name: str, unit_name: str
) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of(name), people[name])
    return _open_survey(browsers, org, name, unit_name, guests=False)


@given(
    parsers.parse('{name:w} has opened the example survey for "{unit_name}" with guests'),
    target_fixture="survey_id",
)
def has_opened_with_guests(
    browsers: Browsers, org: Organisation, people: Any, name: str, unit_name: str
) -> str:
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of(name), people[name])
    return _open_survey(browsers, org, name, unit_name, guests=True)


@when("Sonja changes the title of the survey", target_fixture="response")
def changes_title(browsers: Browsers, survey_id: str) -> Response:
    definition = example_definition()
    definition["title"] = "Neuer Titel"
    browser = browsers.of("Sonja")
    return browser.put(
        f"/api/surveys/{survey_id}", json={"definition": definition}, headers=_token(browser)
    )


@then("the change is refused because the survey is open")
def refused_frozen(response: Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "frozen"
    assert "nicht mehr geändert" in response.json()["message"]


@when("Sonja copies the survey", target_fixture="response")
def copies(browsers: Browsers, survey_id: str) -> Response:
    browser = browsers.of("Sonja")
    now = datetime.now(UTC)
    body = {
        "opens_at": (now + timedelta(days=2)).isoformat(),
        "closes_at": (now + timedelta(days=5)).isoformat(),
    }
    return browser.post(f"/api/surveys/{survey_id}/copy", json=body, headers=_token(browser))


@then("the copy is a draft with the same questions")
def copy_same(browsers: Browsers, response: Response, survey_id: str) -> None:
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    assert response.json()["copied_from"] == survey_id
    sonja = browsers.of("Sonja")
    original = sonja.get(f"/api/surveys/{survey_id}/preview", headers=JSON).json()["manifest"]
    copy = sonja.get(f"/api/surveys/{response.json()['id']}/preview", headers=JSON).json()
    assert copy["manifest"] == original


# --- answering -----------------------------------------------------------------------


def _client_data(browsers: Browsers, survey_id: str) -> dict[str, Any]:
    data = browsers.of("visitor").get(f"/api/surveys/{survey_id}/client-data", headers=JSON)
    assert data.status_code == 200, data.text
    return dict(data.json())


def _ask_credential(
    browsers: Browsers, people: Any, survey_id: str, name: str
) -> tuple[client.SurveyCredential | None, Response]:
    from tests.bdd.conftest import log_in_fully

    browser = browsers.of(name)
    log_in_fully(browser, people[name])
    data = _client_data(browsers, survey_id)
    audience = "members" if people[name].member_id else "guests"
    mine = browser.get(f"/api/surveys/{survey_id}/me", headers=JSON)
    if mine.status_code == 200 and mine.json().get("audience"):
        audience = mine.json()["audience"]  # with a breakdown: members/<the member's group>
    spki = (data["issuers"] or {}).get(audience) or next(iter(data["issuers"].values()))
    issuer = BlindRsaPublicKey.from_der(bytes.fromhex(spki))
    request = client.request_credential(issuer, survey_id, audience)
    answer = browser.post(
        f"/api/surveys/{survey_id}/credential",
        json={"blinded_msg": request.blinded_msg.hex()},
        headers=_token(browser),
    )
    if answer.status_code != 200:
        return None, answer
    blind = bytes.fromhex(answer.json()["blind_signature"])
    return client.finish_credential(issuer, request, blind), answer


def _send(
    app: Litestar, browsers: Browsers, survey_id: str, credential: client.SurveyCredential,
    answers: dict[str, Any], *, check: bool = True,
) -> Response:  # fmt: skip
    """Sent from a fresh client with no cookie at all: the answer cannot carry a login."""
    data = _client_data(browsers, survey_id)
    manifest = read_definition(data["manifest"])
    line = client.answer_line(manifest, data["fingerprint"], credential, answers, check=check)
    with TestClient(app, base_url=BASE_URL) as anonymous:
        return anonymous.post(
            f"/api/surveys/{survey_id}/answers",
            content=line,
            headers={"content-type": "application/json", **JSON},
        )


@given(parsers.parse("{name:w} has fetched a credential"), target_fixture="fetched")
def has_fetched(
    browsers: Browsers, people: Any, survey_id: str, name: str
) -> client.SurveyCredential:
    credential, answer = _ask_credential(browsers, people, survey_id, name)
    assert credential is not None, answer.text
    return credential


@when(parsers.parse("{name:w} answers the survey"), target_fixture="response")
def answers_survey(
    app: Litestar, browsers: Browsers, people: Any, survey_id: str, name: str
) -> Response:
    credential, answer = _ask_credential(browsers, people, survey_id, name)
    assert credential is not None, answer.text
    _kept[(survey_id, name)] = credential
    return _send(app, browsers, survey_id, credential, good_answers())


_kept: dict[tuple[str, str], client.SurveyCredential] = {}


@when(parsers.parse("{name:w} answers with the credential she fetched"), target_fixture="response")
def answers_with_fetched(
    app: Litestar, browsers: Browsers, survey_id: str, fetched: client.SurveyCredential
) -> Response:
    return _send(app, browsers, survey_id, fetched, good_answers())


MISTAKES: dict[str, tuple[str, Any]] = {
    "an unknown option for q1": ("q1", "jeden Tag"),
    "three topics for q3": ("q3", ["klima", "bildung", "rente"]),
    "a text of 201 characters for q4": ("q4", "x" * 201),
}


@when(parsers.parse("{name:w} answers the survey with {mistake}"), target_fixture="response")
def answers_wrongly(
    app: Litestar, browsers: Browsers, people: Any, survey_id: str, name: str, mistake: str
) -> Response:
    credential, answer = _ask_credential(browsers, people, survey_id, name)
    assert credential is not None, answer.text
    sheet = good_answers()
    if mistake.startswith("an answer to q4"):
        sheet["q2"] = "no"
    else:
        qid, value = MISTAKES[mistake]
        sheet[qid] = value
    return _send(app, browsers, survey_id, credential, sheet, check=False)


@then(parsers.parse("{name:w} gets a receipt"))
def gets_receipt(response: Response, name: str) -> None:
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt"]
    assert len(receipt["answer_hash"]) == 64
    assert receipt["fingerprint"]


@then("the stored answer carries no account, address or time")
def nothing_links(database: Database) -> None:
    columns = {c.key for c in inspect(SurveyAnswer).columns}
    assert columns == {
        "id",
        "survey_id",
        "credential_key",
        "audience",
        "leaf_hash",
        "line",
        "leaf_index",
    }
    with fresh_session(database) as session:
        line = json.loads(session.scalars(select(SurveyAnswer.line)).one())
    assert set(line) == {"survey", "fingerprint", "audience", "credential", "answers", "signature"}


@when(
    parsers.parse("{name:w} sends a second answer with the same credential"),
    target_fixture="response",
)
def second_answer(app: Litestar, browsers: Browsers, survey_id: str, name: str) -> Response:
    sheet = good_answers()
    sheet["q1"] = "jahr"
    return _send(app, browsers, survey_id, _kept[(survey_id, name)], sheet)


@when(parsers.parse("{name:w} asks for a second credential"), target_fixture="response")
@when(parsers.parse("{name:w} asks for a credential"), target_fixture="response")
def asks_credential(browsers: Browsers, people: Any, survey_id: str, name: str) -> Response:
    _, answer = _ask_credential(browsers, people, survey_id, name)
    return answer


@then(parsers.parse('the answer is refused with "{code}" naming question "{qid}"'))
def refused_with_question(response: Response, code: str, qid: str) -> None:
    assert response.json()["error"] == code, response.text
    assert response.json()["question"] == qid
    assert response.json()["message"].startswith("Die Antwort wurde nicht angenommen")


@then(parsers.parse('the answer is refused with "{code}"'))
def refused_with(response: Response, code: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] == code, response.text


@then(parsers.parse('the message says "{text}"'))
def message_says(response: Response, text: str) -> None:
    assert text in response.json()["message"], response.text


@then("no answer is stored")
def no_answer(database: Database) -> None:
    with fresh_session(database) as session:
        assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


@when("Sonja closes the survey")
def closes(browsers: Browsers, survey_id: str) -> None:
    browser = browsers.of("Sonja")
    closed = browser.post(f"/api/surveys/{survey_id}/close", headers=_token(browser))
    assert closed.status_code == 200, closed.text


@then(
    parsers.parse(
        "the results count {members:d} member answer and {guests:d} guest answer separately"
    )
)
def counted_apart(browsers: Browsers, survey_id: str, members: int, guests: int) -> None:
    shown = browsers.of("visitor").get(f"/api/surveys/{survey_id}/results", headers=JSON)
    assert shown.status_code == 200, shown.text
    results = shown.json()["results"]
    assert results["members"]["respondents"] == members
    assert results["guests"]["respondents"] == guests


@then("the results are shown to everyone")
def results_public(browsers: Browsers, survey_id: str) -> None:
    shown = browsers.of("visitor").get(f"/api/surveys/{survey_id}/results", headers=JSON)
    assert shown.status_code == 200, shown.text
    assert shown.json()["results"]["members"]["respondents"] == 1


@then("the survey record downloads with a stable ETag and verifies")
def record_verifies(browsers: Browsers, survey_id: str, tmp_path: Any) -> None:
    visitor = browsers.of("visitor")
    first = visitor.get(f"/api/surveys/{survey_id}/record.zip")
    second = visitor.get(f"/api/surveys/{survey_id}/record.zip")
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == second.headers["etag"]
    assert first.content == second.content
    again = visitor.get(
        f"/api/surveys/{survey_id}/record.zip", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    path = tmp_path / "record.zip"
    path.write_bytes(first.content)
    report = verify_record(read_record(path))
    assert report.ok, report.failures


@then("the export is refused until the survey has closed")
def export_refused(browsers: Browsers, survey_id: str) -> None:
    for kind in ("xlsx", "answers-csv", "aggregates-csv"):
        early = browsers.of("visitor").get(f"/api/surveys/{survey_id}/export/{kind}")
        assert early.status_code == 403, early.text
        assert early.json()["error"] == "not_yet"
    texts = browsers.of("visitor").get(f"/api/surveys/{survey_id}/texts/q4")
    assert texts.status_code == 403


@then(parsers.parse('the XLSX export opens with {count:d} answers in the sheet "{sheet}"'))
def xlsx_opens(browsers: Browsers, survey_id: str, count: int, sheet: str) -> None:
    download = browsers.of("Sonja").get(f"/api/surveys/{survey_id}/export/xlsx")
    assert download.status_code == 200, download.text
    book = load_workbook(BytesIO(download.content), read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    assert rows[0][0] == "audience"
    assert len(rows) == 1 + count
    assert {row[0] for row in rows[1:]} == {"members"}
    assert list(book["Ergebnisse"].iter_rows(values_only=True))[1][-1] == count


@then("the CSV of the answers has one row per answer")
def csv_rows(browsers: Browsers, survey_id: str) -> None:
    download = browsers.of("visitor").get(f"/api/surveys/{survey_id}/export/answers-csv")
    assert download.status_code == 200, download.text
    rows = list(csv.reader(download.content.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["audience", "q1", "q2"]
    assert len(rows) == 3


@then(parsers.parse('searching the free texts of "{qid}" for "{needle}" finds {count:d} texts'))
def texts_found(browsers: Browsers, survey_id: str, qid: str, needle: str, count: int) -> None:
    found = browsers.of("visitor").get(
        f"/api/surveys/{survey_id}/texts/{qid}", params={"q": needle}
    )
    assert found.status_code == 200, found.text
    assert len(found.json()["texts"]["members"]) == count
    none = browsers.of("visitor").get(f"/api/surveys/{survey_id}/texts/{qid}", params={"q": "xyz"})
    assert none.json()["texts"] == {}


def _own(browsers: Browsers, people: Any, survey_id: str, name: str) -> dict[str, Any]:
    from tests.bdd.conftest import log_in_fully

    browser = browsers.of(name)
    log_in_fully(browser, people[name])
    mine = browser.get(f"/api/surveys/{survey_id}/me", headers=JSON)
    assert mine.status_code == 200, mine.text
    return dict(mine.json())


@then(parsers.parse("{name:w} sees that no credential was issued for him"))
def no_credential_issued(browsers: Browsers, people: Any, survey_id: str, name: str) -> None:
    mine = _own(browsers, people, survey_id, name)
    assert {key: mine[key] for key in ("eligible", "audience", "credential_issued_on")} == {
        "eligible": True,
        "audience": "members",
        "credential_issued_on": None,
    }
    assert len(mine["roll"]["entry"]) == 64  # his entry in the frozen list, to look up


@then(parsers.parse("{name:w} sees that a credential was issued for her today"))
def credential_issued_today(browsers: Browsers, people: Any, survey_id: str, name: str) -> None:
    mine = _own(browsers, people, survey_id, name)
    assert mine["credential_issued_on"] == datetime.now(UTC).date().isoformat()


# --- breakdown by sub-unit and age band (surveys/breakdown.feature) -------------------

DIMENSIONS = {"sub-unit": ["unit"], "age band": ["age"], "sub-unit and age band": ["unit", "age"]}


@pytest.fixture
def groups() -> dict[str, list[str]]:
    """The people added per unit by the steps below (their names), in order."""
    return {}


@given(parsers.parse('{count:d} more members belong directly to "{unit_name}"'))
@given(parsers.parse('{count:d} members belong to "{unit_name}"'))
def members_of(
    db: Any, settings: Any, org: Organisation, people: Any, groups: dict[str, list[str]],
    count: int, unit_name: str,
) -> None:  # fmt: skip
    from tests.bdd.conftest import _add_member

    for _ in range(count):
        name = f"Mitglied{len(people) + 1}"
        _add_member(
            db, settings, org, people, f"{name} {unit_name.rsplit(maxsplit=1)[-1]}", unit_name
        )
        groups.setdefault(unit_name, []).append(name)


@given(parsers.parse('a member born in {year:d} belongs to "{unit_name}"'))
def member_born(
    db: Any, settings: Any, org: Organisation, people: Any, groups: dict[str, list[str]],
    year: int, unit_name: str,
) -> None:  # fmt: skip
    from app.organisations.models import Member

    members_of(db, settings, org, people, groups, 1, unit_name)
    person = people[groups[unit_name][-1]]
    db.get(Member, person.member_id).birth_year = year
    db.commit()
    groups[f"born {year}"] = [person.name]


@given(
    parsers.parse(
        '{name:w} has opened the example survey for "{unit_name}" broken down by '
        "{dimension} with a threshold of {k:d}"
    ),
    target_fixture="survey_id",
)
def has_opened_broken_down(
    browsers: Browsers, org: Organisation, people: Any, name: str, unit_name: str,
    dimension: str, k: int,
) -> str:  # fmt: skip
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of(name), people[name])
    breakdown = {"by": DIMENSIONS[dimension], "threshold": k}
    created = _create(
        browsers, name, org.unit(unit_name).code, example_definition(), breakdown=breakdown
    )
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    browser = browsers.of(name)
    opened = browser.post(f"/api/surveys/{survey_id}/open", headers=_token(browser))
    assert opened.status_code == 200, opened.text
    return str(survey_id)


@when(
    parsers.parse(
        '{name:w} creates the example survey for "{unit_name}" broken down by {dimension} '
        "with a threshold of {k:d}"
    ),
    target_fixture="response",
)
def creates_broken_down(
    browsers: Browsers, org: Organisation, people: Any, name: str, unit_name: str,
    dimension: str, k: int,
) -> Response:  # fmt: skip
    from tests.bdd.conftest import log_in_fully

    log_in_fully(browsers.of(name), people[name])
    breakdown = {"by": DIMENSIONS[dimension], "threshold": k}
    return _create(
        browsers, name, org.unit(unit_name).code, example_definition(), breakdown=breakdown
    )


def _summary(browsers: Browsers, survey_id: str) -> dict[str, Any]:
    return _client_data(browsers, survey_id)


@then(parsers.parse("the survey has {count:d} groups of at least {k:d} members each"))
def groups_of_at_least(browsers: Browsers, survey_id: str, count: int, k: int) -> None:
    classes = _summary(browsers, survey_id)["classes"]
    assert len(classes) == count, classes
    assert all(c["eligible"] >= k for c in classes.values()), classes


@then(parsers.parse("no group of the survey has fewer than {k:d} members"))
def no_small_group(browsers: Browsers, survey_id: str, k: int) -> None:
    classes = _summary(browsers, survey_id)["classes"]
    assert classes
    assert all(c["eligible"] >= k for c in classes.values()), classes


def _own_name(browsers: Browsers, people: Any, survey_id: str, name: str) -> str:
    return str(_own(browsers, people, survey_id, name)["audience"])


@then(parsers.parse('a member of "{unit_name}" gets the credential of the group "{group_name}"'))
def credential_of_group(
    browsers: Browsers, org: Organisation, people: Any, groups: dict[str, list[str]],
    survey_id: str, unit_name: str, group_name: str,
) -> None:  # fmt: skip
    name = groups[unit_name][0]
    audience = _own_name(browsers, people, survey_id, name)
    classes = _summary(browsers, survey_id)["classes"]
    class_id = audience.partition("/")[2]
    assert classes[class_id]["unit"] == org.unit(group_name).code
    credential, answer = _ask_credential(browsers, people, survey_id, name)
    assert credential is not None, answer.text
    assert answer.json()["audience"] == audience


@then(
    parsers.parse("the member born in {year:d} gets the credential of the same group as the others")
)
def same_group(
    browsers: Browsers, people: Any, groups: dict[str, list[str]], survey_id: str, year: int
) -> None:
    young = _own_name(browsers, people, survey_id, groups[f"born {year}"][0])
    other = _own_name(browsers, people, survey_id, "Sonja")
    assert young == other


@when(parsers.parse('{count:d} members of "{unit_name}" answer the survey'))
def members_answer(
    app: Litestar, browsers: Browsers, people: Any, groups: dict[str, list[str]],
    survey_id: str, count: int, unit_name: str,
) -> None:  # fmt: skip
    names = (["Sonja"] if unit_name == "Unterbezirk Eins" else []) + groups.get(unit_name, [])
    names = names[:count]
    assert len(names) == count
    for name in names:
        credential, answer = _ask_credential(browsers, people, survey_id, name)
        assert credential is not None, answer.text
        sent = _send(app, browsers, survey_id, credential, good_answers())
        assert sent.status_code == 201, sent.text


def _breakdown_section(browsers: Browsers, survey_id: str) -> str:
    page = browsers.of("Sonja").get(f"/surveys/{survey_id}/results")
    assert page.status_code == 200, page.text
    start = page.text.find('id="breakdown"')
    end = page.text.find("<!-- end of breakdown -->", start)
    assert 0 <= start < end, "no breakdown on the results page"
    return page.text[start:end]


@then(parsers.parse('the breakdown on the results page shows "{first}" and "{second}"'))
def breakdown_shows(browsers: Browsers, survey_id: str, first: str, second: str) -> None:
    section = _breakdown_section(browsers, survey_id)
    assert first in section
    assert second in section


@then(parsers.parse('the breakdown on the results page does not show "{name}"'))
def breakdown_hides(browsers: Browsers, survey_id: str, name: str) -> None:
    assert name not in _breakdown_section(browsers, survey_id)


@then("the survey is refused because the threshold is below 5")
def refused_threshold(response: Response) -> None:
    assert response.status_code == 422, response.text
    assert "threshold" in response.json()["message"] or "5" in response.json()["message"]
