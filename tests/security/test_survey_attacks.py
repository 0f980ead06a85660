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
from collections.abc import Sequence
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
    PAGE,
    add_members,
    add_people,
    app_log,
    assert_every_route_listed,
    count_rows,
    csrf,
    denied,
    limited,
    looks_german,
    make_survey,
    mentions,
    post_answer,
    post_form,
    refused_in_german,
    send,
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


# -- 2. staff pages and actions of an existing survey, tried by everyone else ----------------

SECRET_TEXT = "Geheimort Zwiebelturm"
"""A free-text answer no one may read before the close, staff included."""


def _paper_form() -> dict[str, str]:
    """A paper line that keeps every rule: three questionnaires, one answer to q1."""
    return {"questionnaires": "3", "q1.answered": "1", "q1.monat": "1"}


def _answered(cast: Cast, app: Litestar) -> Survey:
    """An open survey (results after the close) two members have answered, one with the
    secret free text; the board holds both answers (a batch was written)."""
    from surveys import services

    survey = make_survey(cast)
    for role, text in (("member", SECRET_TEXT), ("staff_own", "Köln")):
        answers = good_answers()
        answers["q9"] = text
        line = signed_line(survey, take_credential(cast, role, survey), answers)
        assert post_answer(app, survey, line).status_code == 201
    services.flush_board(cast.session, cast.settings, survey.id)
    cast.session.expire_all()
    return survey


def _state(db: Session, survey_id: Any) -> tuple[Any, ...]:
    """What no refused request may change: the survey's row and how many there are."""
    db.expire_all()
    survey = db.get(Survey, survey_id)
    assert survey is not None
    return (
        survey.status,
        survey.title,
        survey.definition,
        survey.results,
        count_rows(db, Survey),
        count_rows(db, SurveyPaperLine),
        count_rows(db, SurveyAnswer),
    )


# (method, path, body kind, body): the staff's own pages and actions of one survey.
_OPEN_SURVEY_STAFF = [
    ("GET", "/api/surveys/{id}/preview", "api", None),
    ("GET", "/api/surveys/{id}/results", "api", None),
    ("GET", "/surveys/{id}/manage", "page", None),
    ("GET", "/surveys/{id}/preview", "page", None),
    ("GET", "/surveys/{id}/edit", "page", None),
    ("GET", "/surveys/{id}/paper", "page", None),
    ("GET", "/surveys/{id}/paper/questionnaire.pdf", "page", None),
    ("POST", "/surveys/{id}/paper/enter", "page", _paper_form()),
    ("POST", "/surveys/{id}/paper/confirm", "page", _paper_form()),
    ("POST", "/surveys/{id}/paper/discard", "page", {}),
    ("POST", "/api/surveys/{id}/copy", "api", "window"),
    ("POST", "/surveys/{id}/copy", "page", {}),
    ("POST", "/api/surveys/{id}/close", "api", {}),
    ("POST", "/surveys/{id}/close", "page", {"confirm": "yes"}),
]
_DRAFT_SURVEY_STAFF = [
    ("GET", "/api/surveys/{id}/preview", "api", None),
    ("GET", "/surveys/{id}/manage", "page", None),
    ("GET", "/surveys/{id}/preview", "page", None),
    ("GET", "/surveys/{id}/edit", "page", None),
    ("PUT", "/api/surveys/{id}", "api", "definition"),
    ("POST", "/surveys/{id}/edit", "page", "editor"),
    ("POST", "/api/surveys/{id}/open", "api", {}),
    ("POST", "/surveys/{id}/open", "page", {"confirm": "yes"}),
    ("POST", "/api/surveys/{id}/copy", "api", "window"),
    ("POST", "/surveys/{id}/copy", "page", {}),
]


def _body(kind: Any) -> Any:
    from datetime import UTC, datetime, timedelta

    if kind == "window":
        now = datetime.now(UTC)
        return {
            "opens_at": (now + timedelta(days=2)).isoformat(),
            "closes_at": (now + timedelta(days=9)).isoformat(),
        }
    if kind == "definition":
        return _api_body(title="Übernommen")
    if kind == "editor":
        return _editor_form(title="Übernommen")
    return kind


def _attempt(cast: Cast, role: str, survey_id: Any, attempt: tuple[str, str, str, Any]) -> Any:
    method, path, kind, body = attempt
    with cast.browser(role) as browser:
        return send(browser, method, path.format(id=survey_id), _body(body), api=kind == "api")


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "guest",
        "member",
        "member_other",
        "staff_other",
        "staff_below",
        "commission_own",
        "admin_own",
        "admin_other",
    ],
)
def test_nobody_but_its_staff_reaches_an_open_surveys_staff_pages(
    cast: Cast, app: Litestar, db: Session, role: str
) -> None:
    add_people(cast)
    survey = _answered(cast, app)
    before = _state(db, survey.id)
    wrong = []
    for attempt in _OPEN_SURVEY_STAFF:
        response = _attempt(cast, role, survey.id, attempt)
        if not denied(response) or SECRET_TEXT in response.text:
            wrong.append(f"{attempt[0]} {attempt[1]}: {response.status_code}")
    assert not wrong, wrong
    assert _state(db, survey.id) == before
    # The control: the unit's staff do get in (the attempts above were not just broken).
    for method, path, kind, body in _OPEN_SURVEY_STAFF:
        if method == "GET":
            response = _attempt(cast, "staff_own", survey.id, (method, path, kind, body))
            assert not denied(response), (path, response.status_code)
            assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "guest",
        "member",
        "member_other",
        "staff_other",
        "staff_below",
        "commission_own",
        "admin_own",
    ],
)
def test_nobody_but_its_staff_reaches_a_draft(cast: Cast, db: Session, role: str) -> None:
    add_people(cast)
    survey = make_survey(cast, opened=False)
    before = _state(db, survey.id)
    wrong = []
    for attempt in _DRAFT_SURVEY_STAFF:
        response = _attempt(cast, role, survey.id, attempt)
        if not denied(response) or "Wie oft sollen wir befragen" in response.text:
            wrong.append(f"{attempt[0]} {attempt[1]}: {response.status_code}")
    # A draft is nobody's business but its staff's: its public pages do not exist yet.
    for path in ("/surveys/{id}", "/surveys/{id}/results", "/api/surveys/{id}/client-data"):
        response = _attempt(cast, role, survey.id, ("GET", path, "page", None))
        if response.status_code != 404 and not denied(response):
            wrong.append(f"GET {path}: {response.status_code}")
    assert not wrong, wrong
    assert _state(db, survey.id) == before


@pytest.mark.parametrize("role", ["staff_other", "staff_below"])
def test_staff_elsewhere_cannot_make_a_survey_for_the_unit(
    cast: Cast, db: Session, role: str
) -> None:
    """Staff of another unit (or of a unit below) name the unit in the form or the body."""
    add_people(cast)
    with cast.browser(role) as browser:
        page = send(browser, "POST", "/surveys/new", _editor_form(unit_code="UB1"))
        api = send(browser, "POST", "/api/surveys/", _api_body(), api=True)
    assert page.status_code == 400, page.status_code  # "Choose one of your units."
    refused_in_german(page, 400)
    _json_refusal(api, 403)
    assert count_rows(db, Survey) == 0


@pytest.mark.parametrize("role", ["anonymous", "guest", "member", "staff_other", "staff_own"])
def test_no_result_figure_or_free_text_before_the_close(
    cast: Cast, app: Litestar, role: str
) -> None:
    """Results are not live: before the close nobody but the unit's staff sees a figure,
    and nobody at all (staff included) reads a free-text answer or downloads the answers."""
    survey = _answered(cast, app)
    sid = survey.id
    with cast.browser(role) as browser:
        page = browser.get(f"/surveys/{sid}/results", headers=PAGE)
        texts_page = browser.get(f"/surveys/{sid}/results?question=q9&q=Zwiebel", headers=PAGE)
        api = {
            path: browser.get(f"/api/surveys/{sid}/{path}", headers={"accept": "application/json"})
            for path in (
                "results",
                "texts/q9?q=Zwiebel",
                "export/answers-csv",
                "export/aggregates-csv",
                "export/xlsx",
                "record.zip",
            )
        }
    assert page.status_code == 200
    staff = role == "staff_own"
    assert ('id="results-later"' in page.text) is not staff
    assert ('class="chart"' in page.text) is staff
    for response in (page, texts_page, *api.values()):
        assert SECRET_TEXT.encode() not in response.content
    assert (api["results"].status_code == 200) is staff
    for path, response in api.items():
        if path != "results":
            _json_refusal(response, 403, 404)


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("guest", 403), ("member_other", 403), ("staff_other", 403)],
)
def test_only_the_audience_gets_a_credential(
    cast: Cast, db: Session, role: str, status: int
) -> None:
    """A guest (members-only survey), a member of another unit, staff of another unit
    and a visitor without a login ask for the survey's credential."""
    from surveys import client, services

    add_people(cast)
    survey = make_survey(cast)
    issuer = services.issuer_public(survey, "members")
    request = client.request_credential(issuer, str(survey.id), "members")
    with cast.browser(role) as browser:
        response = send(
            browser,
            "POST",
            f"/api/surveys/{survey.id}/credential",
            {"blinded_msg": request.blinded_msg.hex()},
            api=True,
        )
    _json_refusal(response, status)
    db.expire_all()
    issued = db.scalars(select(SurveyRollEntry.credential_issued_on)).all()
    assert set(issued) == {None}


@pytest.mark.parametrize("role", ["member", "member_other", "staff_other", "staff_below", "guest"])
def test_lists_do_not_show_another_units_draft(cast: Cast, role: str) -> None:
    add_people(cast)
    make_survey(cast, opened=False, definition={**_api_body()["definition"], "title": "Entwurf X"})
    with cast.browser(role) as browser:
        pages = [
            browser.get(path, headers=PAGE)
            for path in ("/surveys/", "/surveys/mine", "/surveys/units/UB1", "/dashboard")
        ]
    for page in pages:
        assert "Entwurf X" not in page.text, page.url


# Every route of the survey module and where this file attacks it (or why it is not a
# staff route). A new route fails `test_every_survey_route_is_accounted_for` until it
# is added here.
SURVEY_ROUTES = {
    "GET /api/surveys/{survey_id:str}/preview": "staff: _OPEN_SURVEY_STAFF, _DRAFT_SURVEY_STAFF",
    "GET /api/surveys/{survey_id:str}/results": "staff before the close: _OPEN_SURVEY_STAFF",
    "PUT /api/surveys/{survey_id:str}": "staff: _DRAFT_SURVEY_STAFF",
    "POST /api/surveys/{survey_id:str}/open": "staff: _DRAFT_SURVEY_STAFF",
    "POST /api/surveys/{survey_id:str}/close": "staff: _OPEN_SURVEY_STAFF",
    "POST /api/surveys/{survey_id:str}/copy": "staff: both lists",
    "POST /api/surveys": "staff of the unit named: test_staff_elsewhere_cannot_make_a_survey",
    "GET /surveys/new": "staff of any unit; the unit is checked on saving (above)",
    "POST /surveys/new": "staff of the unit named: test_staff_elsewhere_cannot_make_a_survey",
    "GET /surveys/{survey_id:uuid}/edit": "staff: both lists",
    "POST /surveys/{survey_id:uuid}/edit": "staff: _DRAFT_SURVEY_STAFF",
    "GET /surveys/{survey_id:uuid}/manage": "staff: both lists",
    "GET /surveys/{survey_id:uuid}/preview": "staff: both lists",
    "POST /surveys/{survey_id:uuid}/open": "staff: _DRAFT_SURVEY_STAFF",
    "POST /surveys/{survey_id:uuid}/close": "staff: _OPEN_SURVEY_STAFF",
    "POST /surveys/{survey_id:uuid}/copy": "staff: both lists",
    "GET /surveys/{survey_id:uuid}/paper": "staff: _OPEN_SURVEY_STAFF",
    "GET /surveys/{survey_id:uuid}/paper/questionnaire.pdf": "staff: _OPEN_SURVEY_STAFF",
    "POST /surveys/{survey_id:uuid}/paper/enter": "staff: _OPEN_SURVEY_STAFF",
    "POST /surveys/{survey_id:uuid}/paper/confirm": "staff: _OPEN_SURVEY_STAFF",
    "POST /surveys/{survey_id:uuid}/paper/discard": "staff: _OPEN_SURVEY_STAFF",
    "GET /surveys/{survey_id:uuid}/results": "public after the close: no figure before it",
    "GET /api/surveys/{survey_id:str}/texts/{question_id:str}": "after the close: not before",
    "GET /api/surveys/{survey_id:str}/export/{kind:str}": "after the close: not before",
    "GET /api/surveys/{survey_id:str}/record.zip": "after the close: not before",
    "GET /api/surveys/{survey_id:str}/client-data": "public once open; a draft's is 404",
    "GET /surveys/{survey_id:uuid}": "the answer page, once open; a draft's is 404",
    "POST /api/surveys/{survey_id:str}/credential": "the audience: test_only_the_audience",
    "GET /api/surveys/{survey_id:str}/me": "the person's own entry only",
    "POST /api/surveys/{survey_id:str}/answers": "no login by design: the credential decides",
    "GET /api/surveys/{survey_id:str}/answers/{answer_hash:str}": "a receipt: public",
    "GET /surveys": "own lists: test_lists_do_not_show_another_units_draft",
    "GET /surveys/mine": "own lists: test_lists_do_not_show_another_units_draft",
    "GET /surveys/units/{code:str}": "own lists: test_lists_do_not_show_another_units_draft",
}


def test_every_survey_route_is_accounted_for(app: Litestar) -> None:
    assert_every_route_listed(app, SURVEY_ROUTES, ("/surveys", "/api/surveys"))


# -- 3. records forged by the operator: every signature valid, the content lying -------------


class Forger:
    """The operator of a closed survey with a breakdown by sub-unit: it holds the board
    key and every class's issuer key (they are only encrypted with the server's secret),
    so every signature it makes is valid. What it cannot make consistent is the content.
    """

    def __init__(self, cast: Cast, survey: Survey, files: dict[str, bytes]) -> None:
        from app.core.secrets_box import decrypt_field
        from ballots import board
        from crypto.blind_rsa import BlindRsaPrivateKey
        from surveys import services

        secret = cast.settings.security.secret_key
        self.survey = survey
        self.files = files
        self.lines = files["answers.jsonl"].splitlines()
        seed = bytes.fromhex(
            decrypt_field(secret, services.BOARD_PURPOSE, str(survey.board_key_encrypted))
        )
        self.signer = board.signer(services.origin(survey), seed)
        sealed = json.loads(str(survey.class_keys_encrypted))
        self.issuers = {
            cid: BlindRsaPrivateKey.from_pem(
                decrypt_field(secret, services.ISSUER_PURPOSE, key).encode()
            )
            for cid, key in sealed.items()
        }

    def credential(self, class_id: str) -> Any:
        """A credential of ``class_id`` that no member asked for, validly signed."""
        from crypto.blind_rsa import blind_sign
        from surveys import client

        key = self.issuers[class_id]
        name = f"members/{class_id}"
        request = client.request_credential(key.public_key, str(self.survey.id), name)
        return client.finish_credential(
            key.public_key, request, blind_sign(key, request.blinded_msg)
        )

    def answer(self, credential: Any, **changes: Any) -> bytes:
        answers = good_answers()
        answers.update(changes)
        return signed_line(self.survey, credential, answers)

    @property
    def sizes(self) -> list[int]:
        """The tree sizes of the honest record's checkpoints (the empty board, the batches)."""
        from crypto.checkpoints import Checkpoint

        return [
            Checkpoint.from_body(
                json.loads(line)["note"].split("\n\n")[0].encode() + b"\n"
            ).tree_size
            for line in self.files["checkpoints.jsonl"].splitlines()
        ]

    def history(self, lines: list[bytes], sizes: list[int] | None = None) -> bytes:
        """checkpoints.jsonl over ``lines``, a checkpoint at each of ``sizes`` (default:
        the honest record's sizes, the last one moved to the number of lines), every one
        signed with the board's key."""
        from ballots import board
        from crypto.canonical import canonical_json
        from surveys.answer_format import answer_leaf

        sizes = sizes or [*self.sizes[:-1], len(lines)]
        state, notes = board.BoardState.empty(), [board.sign_empty(self.signer)]
        for size in sizes[1:]:
            leaves = [answer_leaf(line) for line in lines[state.size : size]]
            batch = board.append_batch(state, leaves, self.signer)
            state = batch.state
            notes.append(batch.note)
        return b"".join(canonical_json({"note": note}) + b"\n" for note in notes)

    def results(self, lines: list[bytes]) -> bytes:
        """results.json recomputed honestly from ``lines`` (so only the lie shows)."""
        from crypto.canonical import canonical_json
        from surveys import services
        from surveys.verifier import expected_results

        manifest = services.manifest_of(self.survey)
        sheets = []
        for raw in lines:
            line = json.loads(raw)
            sheets.append((line["audience"], line.get("class"), line["answers"]))
        expected = expected_results(
            manifest,
            ["members"],
            sheets,
            spec=services.spec_of(self.survey),
            classes=services.class_infos(self.survey),
        )
        return canonical_json(expected) + b"\n"

    def board(self, lines: list[bytes], *, signed: list[bytes] | None = None) -> dict[str, bytes]:
        """The record with ``lines`` as answers.jsonl, every checkpoint signed again over
        ``signed`` (default: the same lines) and results recomputed from ``lines``."""
        return {
            **self.files,
            "answers.jsonl": b"".join(line + b"\n" for line in lines),
            "checkpoints.jsonl": self.history(lines if signed is None else signed),
            "results.json": self.results(lines),
        }

    def edit(self, name: str, change: Any) -> dict[str, bytes]:
        """The record with one JSON file changed by ``change`` and written canonically."""
        from crypto.canonical import canonical_json

        document = json.loads(self.files[name])
        change(document)
        return {**self.files, name: canonical_json(document) + b"\n"}


@pytest.fixture
def forger(cast: Cast) -> Forger:
    """A survey of UB1 broken down by sub-unit (OV-A, OV-B and the rest, at least five
    eligible members each), answered by every member who got a credential, closed."""
    from datetime import UTC, datetime

    from surveys import breakdown, services
    from tests.factories import make_account, make_member
    from tests.surveys_support import answer_as

    session, settings = cast.session, cast.settings
    people = []
    for unit in ("OV-A", "OV-B", "UB1"):
        for n in range(5):
            member = make_member(session, cast.units[unit], "Vor", f"{unit}-{n}")
            account = make_account(
                session, settings, f"{unit.lower()}-{n}@example.org", "pw-123456789", member=member
            )
            people.append(account)
    session.commit()
    staff = cast.accounts["staff_own"]
    draft = make_survey(cast, opened=False)
    draft.breakdown = services._breakdown_json(breakdown.Spec(("unit",), 5))
    session.commit()
    survey = services.open_survey(session, settings, staff, draft.id, key_bits=2048)
    assert len(services.classes_of(survey)) >= 2
    now = datetime.now(UTC)
    for n, account in enumerate(people, start=1):
        answer_as(session, settings, survey, account, good_answers(), now=now)
        if n % 5 == 0 and n < len(people):  # three batches: 5, 10 and (at the close) 15
            services.flush_board(session, settings, survey.id)
    closed = services.close_survey(session, settings, staff, survey.id)
    files = services.build_record_files(session, settings, closed)
    return Forger(cast, closed, files)


def _verify(tmp_path: Path, files: dict[str, bytes], receipts: Sequence[Path] = ()) -> Any:
    """``stimmwerk verify`` on the record, as an auditor runs it: a fresh process; with
    ``receipts``, each checked against the record (``--receipt``)."""
    import subprocess
    import sys

    folder = tmp_path / f"record-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "verify",
            "--quiet",
            str(folder),
            *[arg for path in receipts for arg in ("--receipt", str(path))],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _class_of(line: bytes) -> str:
    return str(json.loads(line)["class"])


def _duplicate_credential(forger: Forger) -> dict[str, bytes]:
    credential = forger.credential(_class_of(forger.lines[0]))
    extra = [forger.answer(credential, q1="jahr"), forger.answer(credential, q1="quartal")]
    return forger.board([*forger.lines, *extra])


def _more_answers_than_credentials(forger: Forger) -> dict[str, bytes]:
    minted = forger.answer(forger.credential(_class_of(forger.lines[0])))
    return forger.board([*forger.lines, minted])


def _class_credentials_do_not_add_up(forger: Forger) -> dict[str, bytes]:
    def more(document: dict[str, Any]) -> None:
        document["breakdown"]["classes"][_class_of(forger.lines[0])]["credentials"] += 1

    return forger.edit("survey.json", more)


def _breakdown_not_recomputed(forger: Forger) -> dict[str, bytes]:
    def shift(document: dict[str, Any]) -> None:
        document["breakdown"]["unit"][0]["tally"]["respondents"] += 1

    return forger.edit("results.json", shift)


def _result_not_the_sum(forger: Forger) -> dict[str, bytes]:
    def raise_count(document: dict[str, Any]) -> None:
        document["members"]["questions"]["q1"]["counts"]["jahr"] += 1

    return forger.edit("results.json", raise_count)


def _root_over_another_list(forger: Forger) -> dict[str, bytes]:
    minted = forger.answer(forger.credential(_class_of(forger.lines[0])))
    return {
        **forger.board(forger.lines),
        "checkpoints.jsonl": forger.history([minted, *forger.lines[1:]]),
    }


def _count_not_the_leaves(forger: Forger) -> dict[str, bytes]:
    minted = forger.answer(forger.credential(_class_of(forger.lines[0])))
    return {
        **forger.board(forger.lines),
        "checkpoints.jsonl": forger.history([*forger.lines, minted]),
    }


def _checkpoint_over_reordered_leaves(forger: Forger) -> dict[str, bytes]:
    return forger.board(forger.lines, signed=forger.lines[::-1])


def _final_checkpoint_over_reordered_leaves(forger: Forger) -> dict[str, bytes]:
    """The board reordered and its final checkpoint signed again, the batches'
    checkpoints (which members hold in their receipts) kept as published."""
    honest = forger.files["checkpoints.jsonl"].splitlines(keepends=True)
    rewritten = forger.board(forger.lines[::-1])
    final = rewritten["checkpoints.jsonl"].splitlines(keepends=True)[-1]
    return {**rewritten, "checkpoints.jsonl": b"".join([*honest[:-1], final])}


LIES = {
    "duplicate-credential": (_duplicate_credential, "answers.one_per_credential"),
    "more-answers-than-credentials": (_more_answers_than_credentials, "counts.members.answers"),
    "class-credentials-do-not-add-up": (
        _class_credentials_do_not_add_up,
        "counts.classes.credentials",
    ),
    "breakdown-not-recomputed": (_breakdown_not_recomputed, "results.breakdown"),
    "result-not-the-sum": (_result_not_the_sum, "results.members"),
    "root-over-another-list": (_root_over_another_list, "board.checkpoint_consistency"),
    "count-not-the-leaves": (_count_not_the_leaves, "board.checkpoint_consistency"),
    "checkpoint-over-reordered-leaves": (
        _checkpoint_over_reordered_leaves,
        "board.checkpoint_consistency",
    ),
    "final-checkpoint-over-reordered-leaves": (
        _final_checkpoint_over_reordered_leaves,
        "board.checkpoint_consistency",
    ),
}
"""Each lie, made with valid signatures, and the check that must name it."""


@pytest.mark.parametrize("lie", sorted(LIES))
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_stimmwerk_verify_names_the_lie_of_a_validly_signed_forgery(
    forger: Forger, tmp_path: Path, lie: str
) -> None:
    forge, failed_check = LIES[lie]
    honest = _verify(tmp_path, forger.files)
    assert honest.returncode == 0, honest.stdout + honest.stderr
    done = _verify(tmp_path, forge(forger))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    failures = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert any(line.startswith(f"FAIL {failed_check}:") for line in failures), done.stdout
    assert "SURVEY RECORD NOT VERIFIED" in done.stdout


def _receipts(app: Litestar, forger: Forger) -> list[dict[str, Any]]:
    """Every answer's receipt as a member saves it: the public look-up, no login."""
    from litestar.testing import TestClient

    from surveys.answer_format import answer_leaf

    receipts = []
    with TestClient(app, base_url="https://testserver.local") as anonymous:
        for line in forger.lines:
            url = f"/api/surveys/{forger.survey.id}/answers/{answer_leaf(line).hex()}"
            response = anonymous.get(url, headers={"accept": "application/json"})
            assert response.status_code == 200, response.text
            receipts.append(response.json())
    return receipts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_board_rewritten_in_another_order_and_signed_again_is_detected(
    forger: Forger, app: Litestar, tmp_path: Path
) -> None:
    """The operator rebuilds the board in another order and signs its whole history
    again: every signature is valid and every answer still counts, so the record alone
    verifies (nothing in it predates the rewrite). Each member's saved receipt holds the
    checkpoint signed when their answer was boarded; checked against the rewritten record
    it fails, naming why; against the honest record it passes."""
    receipts = _receipts(app, forger)
    assert {r["receipt"]["checkpoint"].split("\n")[1] for r in receipts} == {"5", "10", "15"}
    saved = []
    for n, receipt in enumerate(receipts):
        path = tmp_path / f"receipt-{n}.json"
        path.write_text(json.dumps(receipt))
        saved.append(path)
    honest = _verify(tmp_path, forger.files, receipts=saved)
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert honest.stdout.count("RECEIPT VERIFIED:") == len(saved)
    rewritten = forger.board(forger.lines[::-1])
    alone = _verify(tmp_path, rewritten)
    assert alone.returncode == 0, alone.stdout  # what a record alone cannot show
    done = _verify(tmp_path, rewritten, receipts=saved)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    record, _, rest = done.stdout.partition("SURVEY RECORD VERIFIED\n")
    assert "FAIL" not in record, done.stdout
    blocks = rest.split("RECEIPT NOT VERIFIED: ")
    for n, path in enumerate(saved):
        failed = {line.split(":")[0] for line in blocks[n].splitlines() if line.startswith("FAIL")}
        assert blocks[n + 1].startswith(f"{path}\n"), done.stdout
        # the middle answer keeps its place in the reversed board; the board's history
        # still contradicts its receipt
        assert "FAIL receipt.consistency" in failed, done.stdout
        assert ("FAIL receipt.place" in failed) == (n != len(saved) // 2), done.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_receipt_does_not_pass_for_another_answer_or_a_forged_checkpoint(
    forger: Forger, app: Litestar, tmp_path: Path
) -> None:
    """The receipt check is not fooled by a receipt edited to fit: another place, a path
    or checkpoint of someone else, a checkpoint signed by a key that is not the board's."""
    from ballots import board
    from crypto.signing import Ed25519SecretKey
    from surveys import services

    receipts = [r["receipt"] for r in _receipts(app, forger)]
    first, last = receipts[0], receipts[-1]
    stranger = board.signer(services.origin(forger.survey), bytes(32))
    edits = {
        "index": {**first, "index": last["index"]},
        "path": {**first, "inclusion_path": last["inclusion_path"]},
        "checkpoint": {**first, "checkpoint": board.sign_empty(stranger)},
        "survey": {**first, "fingerprint": "0" * 64},
        "fields": {**first, "extra": 1},
    }
    expected = {
        "index": "receipt.inclusion",
        "path": "receipt.inclusion",
        "checkpoint": "receipt.checkpoint",
        "survey": "receipt.format",
        "fields": "receipt.format",
    }
    assert Ed25519SecretKey(bytes(32)).public_key.hex() != forger.survey.board_public_key
    for name, receipt in edits.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(receipt))
        done = _verify(tmp_path, forger.files, receipts=[path])
        assert done.returncode == 1, (name, done.stdout)
        assert f"FAIL {expected[name]}:" in done.stdout, (name, done.stdout)
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    done = _verify(tmp_path, forger.files, receipts=[not_json])
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr


# -- 4. a database reader after members took part --------------------------------------------

ANSWER_COLUMNS = {
    "id",
    "survey_id",
    "credential_key",
    "audience",
    "leaf_hash",
    "line",
    "leaf_index",
}


def _storage_order(db: Session, survey_id: Any) -> list[str]:
    """The answers' leaf hashes in the order the database keeps them: what a reader of
    the database file (or of a backup) sees without any ORDER BY."""
    from sqlalchemy import text

    position = "rowid" if db.bind is not None and db.bind.dialect.name == "sqlite" else "ctid"
    rows = db.execute(
        text(f"SELECT leaf_hash FROM survey_answers WHERE survey_id = :s ORDER BY {position}"),
        {"s": survey_id.hex if position == "rowid" else str(survey_id)},
    )
    return [str(row[0]) for row in rows]


def _take_part(cast: Cast, app: Litestar, survey: Survey, roles: list[str]) -> list[str]:
    """Each role answers through the API as the browser does; the receipts' hashes in
    the order the answers arrived."""
    arrived = []
    for n, role in enumerate(roles):
        answers = good_answers()
        answers["q8"] = 20 + n
        line = signed_line(survey, take_credential(cast, role, survey), answers)
        response = post_answer(app, survey, line)
        assert response.status_code == 201, response.text
        arrived.append(response.json()["receipt"]["answer_hash"])
    return arrived


def test_the_database_keeps_answers_in_board_order_not_in_arrival_order(
    cast: Cast, app: Litestar, db: Session
) -> None:
    """Found: the batch's answers were placed on the board with an UPDATE, which leaves a
    row where it was stored; on SQLite the rowid kept the arrival order for good (in the
    database file and every backup), so anyone who knew when members were active could
    match them to their answers, the very thing the shuffled batches are to prevent."""
    from sqlalchemy import inspect

    from surveys import services

    roles = add_members(cast, "voter", "Vera", "Votum", 10)
    survey = make_survey(cast)
    arrived = _take_part(cast, app, survey, roles)
    assert _storage_order(db, survey.id) == arrived  # waiting: unavoidable, not published
    services.flush_board(db, cast.settings, survey.id)
    db.expire_all()
    board_order = list(
        db.scalars(
            select(SurveyAnswer.leaf_hash)
            .where(SurveyAnswer.survey_id == survey.id)
            .order_by(SurveyAnswer.leaf_index)
        )
    )
    assert sorted(board_order) == sorted(arrived)
    assert board_order != arrived  # shuffled (10! orders: a clash is one in 3.6 million)
    assert _storage_order(db, survey.id) == board_order
    columns = {column["name"] for column in inspect(db.bind).get_columns("survey_answers")}
    assert columns == ANSWER_COLUMNS  # no account, no address, no time


def test_no_row_links_an_account_to_an_answer(
    cast: Cast, app: Litestar, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """Members answer as the browser does; then everything the database holds is read:
    the answers carry no account, no time and no address, the roll only the day of
    issuance, the audit log nothing about credentials or answers, the published record
    the board order; and the logs name nobody."""
    import logging
    from datetime import date, datetime

    from app.core.audit import AuditEvent
    from surveys import services

    roles = add_members(cast, "voter", "Vera", "Votum", 10)
    survey = make_survey(cast)
    audit_before = count_rows(db, AuditEvent)
    with caplog.at_level(logging.DEBUG):
        arrived = _take_part(cast, app, survey, roles)
        services.close_survey(db, cast.settings, cast.accounts["staff_own"], survey.id)
    db.expire_all()
    # The roll: that a credential was issued, on which day; nothing finer.
    issued = db.scalars(
        select(SurveyRollEntry.credential_issued_on).where(
            SurveyRollEntry.credential_issued_on.is_not(None)
        )
    ).all()
    assert len(issued) == len(roles)
    assert all(type(day) is date and not isinstance(day, datetime) for day in issued)
    # The audit log: the close, and nothing per credential or answer.
    actions = db.scalars(
        select(AuditEvent.action).order_by(AuditEvent.id).offset(audit_before)
    ).all()
    assert list(actions) == ["survey:closed"]
    # No address anywhere: the test client's address is "testclient".
    assert "testclient" not in _every_text(db)
    # The record: in board order, not in arrival order, no account or member in a line.
    closed = db.get(Survey, survey.id)
    assert closed is not None
    files = services.build_record_files(db, cast.settings, closed)
    published = [json.loads(raw) for raw in files["answers.jsonl"].splitlines()]
    from surveys.answer_format import answer_leaf

    order = [answer_leaf(raw).hex() for raw in files["answers.jsonl"].splitlines()]
    assert sorted(order) == sorted(arrived)
    assert order != arrived
    for line in published:
        assert set(line) <= {
            "survey",
            "fingerprint",
            "audience",
            "class",
            "credential",
            "answers",
            "signature",
        }
    # The logs: no e-mail address, name or membership number of anyone who took part.
    for role in roles:
        member = cast.members[role]
        for secret in (member.membership_number, member.family_name, f"{role}@example.org"):
            assert not mentions(app_log(caplog.records), secret), secret


def _every_text(db: Session) -> str:
    """Every text and binary value of every table, as one string (for needles)."""
    from sqlalchemy import String, Text, inspect, text

    inspector = inspect(db.bind)
    found = []
    for table in inspector.get_table_names():
        columns = [
            c["name"] for c in inspector.get_columns(table) if isinstance(c["type"], String | Text)
        ]
        if columns:
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in db.execute(text(f'SELECT {quoted} FROM "{table}"')):
                found.extend(str(value) for value in row if value is not None)
    return "\n".join(found)


# -- 5. rate limits -------------------------------------------------------------------------


def _too_many(response: Any) -> None:
    _json_refusal(response, 429)
    assert response.headers["retry-after"] == "60"


def test_valid_answers_over_the_limit_are_refused_and_not_stored(
    cast: Cast, database: Any, db: Session
) -> None:
    """One address sends valid, signed answers of two members faster than allowed."""
    survey = make_survey(cast)
    lines = [
        signed_line(survey, take_credential(cast, role, survey), good_answers())
        for role in ("member", "staff_own", "commission_own")
    ]
    fast = limited(cast, database, cast_per_minute=2)
    statuses = [post_answer(fast.app, survey, line).status_code for line in lines[:2]]
    assert statuses == [201, 201]
    _too_many(post_answer(fast.app, survey, lines[2]))
    assert count_rows(db, SurveyAnswer) == 2
    # The refused credential was not spent: after the minute (a fresh limiter) it answers.
    assert post_answer(cast.app, survey, lines[2]).status_code == 201


def test_credential_requests_over_the_limit_issue_nothing(
    cast: Cast, database: Any, db: Session
) -> None:
    from surveys import client, services

    survey = make_survey(cast)
    fast = limited(cast, database, credential_per_minute=1)
    issuer = services.issuer_public(survey, "members")
    request = client.request_credential(issuer, str(survey.id), "members")
    path = f"/api/surveys/{survey.id}/credential"
    with fast.browser("member") as browser:
        first = send(browser, "POST", path, {"blinded_msg": "zz"}, api=True)
        second = send(browser, "POST", path, {"blinded_msg": request.blinded_msg.hex()}, api=True)
    _json_refusal(first, 400)
    _too_many(second)
    db.expire_all()
    assert set(db.scalars(select(SurveyRollEntry.credential_issued_on)).all()) == {None}


def test_costly_public_lookups_are_limited_per_address(
    cast: Cast, app: Litestar, database: Any, db: Session
) -> None:
    """Receipt look-ups (the hash is not indexed), exports and free-text searches read
    every answer: an address gets ``lookup_per_minute`` of them, then 429."""
    from surveys import services

    survey = _answered(cast, app)
    services.close_survey(db, cast.settings, cast.accounts["staff_own"], survey.id)
    fast = limited(cast, database, lookup_per_minute=2)
    api = f"/api/surveys/{survey.id}"
    with fast.browser("anonymous") as browser:
        json_headers = {"accept": "application/json"}
        assert browser.get(f"{api}/answers/{'ab' * 32}", headers=json_headers).status_code == 404
        assert browser.get(f"{api}/export/answers-csv").status_code == 200
        for path in (f"answers/{'ab' * 32}", "export/xlsx", "texts/q9?q=Zwiebel"):
            _too_many(browser.get(f"{api}/{path}", headers=json_headers))
        searched = browser.get(f"/surveys/{survey.id}/results?question=q9&q=Z", headers=PAGE)
        plain = browser.get(f"/surveys/{survey.id}/results", headers=PAGE)
    refused_in_german(searched, 429)
    assert plain.status_code == 200  # the results themselves are cached: not limited


def test_more_paper_questionnaires_than_members_are_refused(cast: Cast, db: Session) -> None:
    """Found: staff could enter (and a second staff member confirm) more questionnaires
    than the survey has eligible members; the record built at the close then failed
    its own verification (``paper.eligible``)."""
    survey = make_survey(cast)
    too_many = str((survey.eligible_members or 0) + 1)
    page = f"/surveys/{survey.id}/paper"
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, f"{page}/enter", {"questionnaires": too_many})
    refused_in_german(response, 400)
    assert count_rows(db, SurveyPaperLine) == 0
