"""An attacker's review of the Mitgliederbefragung: each test performs one attack.

1. Hostile input into every form and JSON body (editor, JSON API, answer line,
   credential request, paper answers, receipt look-up): a clear 4xx in German, nothing
   stored, never a 500; legitimate Unicode (emoji, combining accents) is kept intact.
2. Staff pages and actions of an existing survey tried by staff of another unit or of a
   unit below, a member elsewhere, a member without a role, a guest and an anonymous
   visitor: refused, nothing changed, no figure or free text leaked before the close.
3. Records forged by the operator, who holds every key: all signatures valid, the
   content lying; ``stimmwerk verify`` (a subprocess) fails naming the check.
4. A database reader after members took part: no row links an account to an answer, the
   storage order is not the arrival order, logs carry no personal data.
5. Rate limits: over the limit a 429 with a German message, nothing changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.settings import Settings
from surveys.models import Survey, SurveyAnswer, SurveyPaperLine, SurveyRollEntry
from tests.security.attack_support import (
    FRIENDLY_UNICODE,
    HOSTILE_TEXT,
    INVISIBLE_ONLY,
    MEGABYTE,
    count_rows,
    csrf,
    looks_german,
    make_survey,
    post_answer,
    post_form,
    refused_in_german,
    signed_line,
    take_credential,
)
from tests.security.support import Cast, make_cast
from tests.surveys_support import good_answers


@pytest.fixture
def cast(db: Session, settings: Settings, app: Litestar, tmp_path: Path) -> Cast:
    return make_cast(db, settings, app, tmp_path)


def _json_refusal(response: Any, *statuses: int) -> dict[str, Any]:
    """A JSON error of the API: one of ``statuses`` (any 4xx without), code and German text."""
    assert response.status_code < 500, response.text
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.text)
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert body["error"], body
    assert looks_german(str(body.get("message", body["error"]))), body
    return dict(body)


# -- 1. hostile input: the answer line (no login, no CSRF, any content type) ----------------


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\xfd", b"\x00" * 64, b"[]", b'{"survey": 1}', DEEP, b"{" * 200_000],
    ids=["empty", "not-utf8", "nul-bytes", "array", "wrong-shape", "deep", "unclosed"],
)
def test_junk_answers_are_refused_with_a_json_message(
    cast: Cast, app: Litestar, db: Session, body: bytes, content_type: str | None
) -> None:
    """Found: nested JSON sent as text/plain (or without a type) skipped the edge's depth
    check and made the parser recurse into a 500."""
    survey = make_survey(cast)
    response = post_answer(app, survey, body, content_type=content_type)
    _json_refusal(response, 400, 413, 422)
    assert count_rows(db, SurveyAnswer) == 0


def test_a_megabyte_answer_is_too_large(cast: Cast, app: Litestar, db: Session) -> None:
    survey = make_survey(cast)
    credential = take_credential(cast, "member", survey)
    answers = good_answers()
    answers["q4"] = "x" * MEGABYTE
    line = signed_line(survey, credential, answers, check=False)
    for content_type in ("application/json", "text/plain"):
        _json_refusal(post_answer(app, survey, line, content_type=content_type), 413)
    assert count_rows(db, SurveyAnswer) == 0


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
@pytest.mark.parametrize("hostile", sorted(HOSTILE_TEXT))
def test_control_and_bidi_characters_in_a_signed_free_text_are_refused(
    cast: Cast, app: Litestar, db: Session, hostile: str, content_type: str | None
) -> None:
    """A member signs a valid answer whose free text hides a bidi override or a NUL.

    Found: sent as text/plain the line went around the edge's character check and was
    stored, to be published in the record, the exports and the free-text list."""
    survey = make_survey(cast)
    credential = take_credential(cast, "member", survey)
    answers = good_answers()
    answers["q9"] = HOSTILE_TEXT[hostile][:40]
    line = signed_line(survey, credential, answers)
    refusal = _json_refusal(post_answer(app, survey, line, content_type=content_type), 400)
    assert refusal["error"] == "malformed"
    assert count_rows(db, SurveyAnswer) == 0
    # The credential is not spent: the member answers again without the hidden characters.
    answers["q9"] = "Köln"
    fixed = post_answer(app, survey, signed_line(survey, credential, answers))
    assert fixed.status_code == 201, fixed.text


def test_unicode_free_text_is_taken_as_written(cast: Cast, app: Litestar, db: Session) -> None:
    """Emoji, full-width letters, stacked combining accents and zero-width joiners are
    text people write: accepted, stored byte for byte."""
    survey = make_survey(cast)
    credential = take_credential(cast, "member", survey)
    answers = good_answers()
    answers["q9"] = FRIENDLY_UNICODE[:40]
    answers["q4"] = "👩\u200d👩\u200d👧 " + FRIENDLY_UNICODE
    response = post_answer(app, survey, signed_line(survey, credential, answers))
    assert response.status_code == 201, response.text
    stored = json.loads(db.scalars(select(SurveyAnswer.line)).one())
    assert stored["answers"]["q9"] == FRIENDLY_UNICODE[:40]
    assert stored["answers"]["q4"] == answers["q4"]


# -- 1. hostile input: the credential request ---------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"blinded_msg": ""},
        {"blinded_msg": "ab" * 300_000},
        {"blinded_msg": "00\u0000ff"},
        {"blinded_msg": "\u202eabcd"},
        {"blinded_msg": ["ab"]},
        {"blinded_msg": "abc"},
        {"blinded_msg": "ｆｆ" * 4},
        {"blinded_msg": "ff" * 2048},
    ],
    ids=["missing", "empty", "megabyte", "nul", "bidi", "list", "odd", "fullwidth", "too-long"],
)
def test_hostile_credential_requests_issue_nothing(
    cast: Cast, db: Session, body: dict[str, Any]
) -> None:
    survey = make_survey(cast)
    with cast.browser("member") as browser:
        response = browser.post(
            f"/api/surveys/{survey.id}/credential",
            json=body,
            headers={"x-csrftoken": csrf(browser), "accept": "application/json"},
        )
    _json_refusal(response, 400, 413, 422)
    db.expire_all()
    issued = db.scalars(
        select(SurveyRollEntry.credential_issued_on).where(SurveyRollEntry.survey_id == survey.id)
    ).all()
    assert set(issued) == {None}


# -- 1. hostile input: the editor form and the JSON API -----------------------------------


def _editor_form(**changes: str) -> dict[str, str]:
    from datetime import UTC, datetime, timedelta

    from surveys.drafting import local_input

    now = datetime.now(UTC)
    form = {
        "title": "Digitale Parteiarbeit",
        "intro": "Worum es geht.",
        "unit_code": "UB1",
        "opens_at": local_input(now + timedelta(days=1)),
        "closes_at": local_input(now + timedelta(days=8)),
        "s0_title": "Allgemein",
        "s0_q0_id": "q1",
        "s0_q0_type": "single_choice",
        "s0_q0_text": "Wie oft sollen wir befragen?",
        "s0_q0_options": "Monatlich\nJährlich",
        "s0_q0_required": "1",
        "action": "save",
    }
    return {**form, **changes}


_FIELD_ATTACKS = {
    "megabyte": "x" * MEGABYTE,
    "empty": "",
    "invisible-only": INVISIBLE_ONLY,
    **HOSTILE_TEXT,
}


@pytest.mark.parametrize("attack", sorted(_FIELD_ATTACKS))
@pytest.mark.parametrize("field", ["title", "s0_q0_text", "s0_q0_options"])
def test_the_editor_refuses_hostile_text_and_stores_nothing(
    cast: Cast, db: Session, field: str, attack: str
) -> None:
    value = _FIELD_ATTACKS[attack]
    if field == "s0_q0_options":
        value = f"Monatlich\n{value}"
    before = count_rows(db, Survey)
    with cast.browser("staff_own") as browser:
        response = post_form(
            browser, "/surveys/new", "/surveys/new", _editor_form(**{field: value})
        )
    refused_in_german(response, 400, 413)
    assert count_rows(db, Survey) == before


@pytest.mark.parametrize("title", ["Befragung\r\nBcc: alle@example.org", "Befragung\nneu"])
def test_a_title_with_a_line_break_is_refused(cast: Cast, db: Session, title: str) -> None:
    """Found: the title becomes the subject of every invitation; with a line break the
    mail layer refuses each invitation later, so the survey could open and reach nobody."""
    with cast.browser("staff_own") as browser:
        page = post_form(browser, "/surveys/new", "/surveys/new", _editor_form(title=title))
        api = browser.post(
            "/api/surveys/",
            json=_api_body(title=title),
            headers={"x-csrftoken": csrf(browser), "accept": "application/json"},
        )
    refused_in_german(page, 400)
    _json_refusal(api, 422)
    assert count_rows(db, Survey) == 0


def test_the_editor_keeps_unicode_titles_intact(cast: Cast, db: Session) -> None:
    with cast.browser("staff_own") as browser:
        response = post_form(
            browser, "/surveys/new", "/surveys/new", _editor_form(title=FRIENDLY_UNICODE)
        )
    assert response.status_code in {302, 303}, response.text
    assert db.scalars(select(Survey.title)).one() == FRIENDLY_UNICODE


def _api_body(title: str = "Befragung", text: str = "Frage?") -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return {
        "unit": "UB1",
        "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=8)).isoformat(),
        "definition": {
            "title": title,
            "sections": [
                {
                    "id": "a",
                    "title": "A",
                    "questions": [{"id": "q1", "type": "yes_no_abstain", "text": text}],
                }
            ],
        },
    }


@pytest.mark.parametrize("attack", sorted(_FIELD_ATTACKS))
@pytest.mark.parametrize("field", ["title", "text"])
def test_the_json_api_refuses_hostile_definitions(
    cast: Cast, db: Session, field: str, attack: str
) -> None:
    with cast.browser("staff_own") as browser:
        response = browser.post(
            "/api/surveys/",
            json=_api_body(**{field: _FIELD_ATTACKS[attack]}),
            headers={"x-csrftoken": csrf(browser), "accept": "application/json"},
        )
    _json_refusal(response, 400, 413, 422)
    assert count_rows(db, Survey) == 0


# -- 1. hostile input: paper answers ------------------------------------------------------


@pytest.mark.parametrize(
    "figure",
    ["9" * MEGABYTE, "²", "٣", "３", "-1", "1e3", "0x10", INVISIBLE_ONLY, "1\u200b", "9" * 40],
    ids=[
        "megabyte",
        "superscript-two",
        "arabic-three",
        "fullwidth-three",
        "negative",
        "exponent",
        "hex",
        "invisible",
        "zero-width-tail",
        "forty-digits",
    ],
)
def test_paper_figures_take_ascii_digits_only(cast: Cast, db: Session, figure: str) -> None:
    """Found: "²" passed ``str.isdigit`` and made ``int()`` raise (a 500); "٣" and "３"
    were taken as 3."""
    survey = make_survey(cast)
    page = f"/surveys/{survey.id}/paper"
    with cast.browser("staff_own") as browser:
        response = post_form(
            browser, page, f"{page}/enter", {"questionnaires": figure, "q1.answered": "0"}
        )
    refused_in_german(response, 400, 413, 422)
    assert count_rows(db, SurveyPaperLine) == 0


@pytest.mark.parametrize("hostile", sorted(HOSTILE_TEXT))
def test_paper_figures_with_control_characters_are_refused(
    cast: Cast, db: Session, hostile: str
) -> None:
    survey = make_survey(cast)
    page = f"/surveys/{survey.id}/paper"
    with cast.browser("staff_own") as browser:
        response = post_form(
            browser, page, f"{page}/enter", {"questionnaires": "3" + HOSTILE_TEXT[hostile]}
        )
    refused_in_german(response, 400)
    assert count_rows(db, SurveyPaperLine) == 0


# -- 1. hostile input: the receipt look-up and the free-text search ------------------------


@pytest.mark.parametrize(
    "answer_hash", ["zz" * 32, "0" * 5000, "%C3%A9" * 32, "%E2%80%AE" + "a" * 60, "AB" * 32]
)
def test_hostile_receipt_lookups_are_not_found(cast: Cast, answer_hash: str) -> None:
    survey = make_survey(cast)
    with cast.browser("anonymous") as browser:
        response = browser.get(
            f"/api/surveys/{survey.id}/answers/{answer_hash}",
            headers={"accept": "application/json"},
        )
    _json_refusal(response, 400, 404)


@pytest.mark.parametrize("query", ["x" * 30_000, "%00", "%E2%80%AE", "%F0%9F%8C%8D"])
def test_hostile_free_text_searches_are_refused_before_the_close(cast: Cast, query: str) -> None:
    survey = make_survey(cast)
    with cast.browser("anonymous") as browser:
        response = browser.get(
            f"/api/surveys/{survey.id}/texts/q9?q={query}", headers={"accept": "application/json"}
        )
    _json_refusal(response, 400, 403)
