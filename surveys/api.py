"""The survey JSON API: staff build and run surveys; members (and guests) answer.

Contract: ``docs/surveys/web-api.md``. Errors are ``{"error": code, "message": text}``
with a 4xx status (never a 500 for bad input); a refused answer names the question
(``"question": "q3"``). Handlers parse, call `surveys.services`, answer.

Answering is session-less on purpose, as casting a ballot: ``POST …/answers`` is
excluded from the session middleware and from CSRF, so no cookie that comes along is
read and nothing links the answer to a login.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, RawBody
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.errors import CSRF_MESSAGE, DomainError, NotFound
from app.core.i18n import N_
from app.core.inputs import check_json_body
from app.core.json_errors import api_error
from app.core.rate_limit import RateLimiter
from app.core.settings import Settings
from app.core.templating import jinja_environment
from app.organisations.units import get_unit
from surveys import breakdown, breakdown_view, export, services
from surveys.models import Survey, SurveyStatus

MAX_ANSWER_BYTES = 256 * 1024
"""200 questions with long free text stay far below this."""
MAX_DEFINITION_BYTES = 512 * 1024
LOGIN_REQUIRED = N_("Please log in first.")
MALFORMED = N_("The request is malformed.")
TOO_LARGE = N_("The request is too large.")
NO_SURVEY = N_("There is no such survey.")
RESULTS_LATER = N_("The results are shown after the survey has closed.")
NO_RECORD = N_("The survey record is published when the survey has closed.")
ANSWER_NOT_FOUND = N_("There is no answer with this hash.")


_CODES: dict[type[DomainError], tuple[str, int]] = {
    NotFound: ("not_found", HTTP_404_NOT_FOUND),
    services.SurveyInvalid: ("invalid", HTTP_422_UNPROCESSABLE_ENTITY),
    services.SurveyFrozen: ("frozen", HTTP_409_CONFLICT),
    services.SurveyNotOpen: ("not_open", HTTP_403_FORBIDDEN),
    services.SurveyClosedAlready: ("closed", HTTP_403_FORBIDDEN),
    services.NotInAudience: ("not_eligible", HTTP_403_FORBIDDEN),
    services.MembersOnly: ("members_only", HTTP_403_FORBIDDEN),
    services.CredentialTaken: ("already_issued", HTTP_409_CONFLICT),
    services.AnswerInvalid: ("rejected", HTTP_422_UNPROCESSABLE_ENTITY),
    services.AlreadyAnswered: ("already_answered", HTTP_409_CONFLICT),
    services.NotStaff: ("not_allowed", HTTP_403_FORBIDDEN),
    services.ResultsLater: ("not_yet", HTTP_403_FORBIDDEN),
    services.TooManyClasses: ("too_many_classes", HTTP_409_CONFLICT),
}


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    code, status = _CODES.get(type(exc), ("malformed", exc.status_code))
    extra: dict[str, Any] = {}
    question = getattr(exc, "question", None)
    if question:
        extra["question"] = question
    return api_error(code, exc.message, status, params=exc.params, **extra)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == HTTP_403_FORBIDDEN and "CSRF" in str(exc.detail):
        return api_error("csrf_failed", CSRF_MESSAGE, status)
    if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return api_error("too_large", TOO_LARGE, status)
    if status == HTTP_401_UNAUTHORIZED:
        return api_error("login_required", LOGIN_REQUIRED, status)
    if status == HTTP_404_NOT_FOUND:
        return api_error("not_found", NO_SURVEY, status)
    return api_error("malformed", MALFORMED, HTTP_400_BAD_REQUEST)


RATE_LIMITED = N_(
    "Too many requests from your network address. Please wait a minute and try again; "
    "nothing has been recorded."
)


def _rate_limited(request: Request[Any, Any, Any], route: str, per_minute: int) -> bool:
    """Per client address, as the voting API (settings ``voting.*_per_minute``)."""
    if per_minute <= 0:
        return False
    counter = request.app.state.get("survey_rate_limiter")
    if counter is None:  # one per app (and so per process), created on first use
        counter = request.app.state.setdefault("survey_rate_limiter", RateLimiter())
    address = request.client.host if request.client else ""
    return not counter.allow(route, address, per_minute)


def _too_many() -> Response[Any]:
    response = api_error("rate_limited", RATE_LIMITED, HTTP_429_TOO_MANY_REQUESTS)
    response.headers["Retry-After"] = "60"
    return response


def _json_declared(request: Request[Any, Any, Any]) -> bool:
    """Whether the body came as JSON, and so passed the edge's checks already."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _survey_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as error:
        raise NotFound(NO_SURVEY) from error


def _user(request: Request[Any, Any, Any]) -> Account:
    user = request.user
    if not isinstance(user, Account):
        raise HTTPException(status_code=HTTP_401_UNAUTHORIZED)
    return user


def _when(data: dict[str, Any], key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(data[key]))
    except (KeyError, ValueError) as error:
        raise services.SurveyInvalid(f"{key} must be a date and time (ISO 8601)") from error
    if moment.tzinfo is None:
        raise services.SurveyInvalid(f"{key} needs a time zone")
    return moment


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise services.SurveyInvalid(f"{key} must be true or false")
    return value


def _breakdown(data: dict[str, Any]) -> breakdown.Spec | None:
    raw = data.get("breakdown")
    if raw is None:
        return None
    try:
        return breakdown.spec_from(raw)
    except breakdown.BreakdownError as error:
        raise services.SurveyInvalid(f"breakdown: {error}") from error


def _classes(survey: Survey) -> dict[str, Any]:
    """The public side of the classes (no keys): label and eligible members."""
    return {
        cid: {key: c[key] for key in ("unit", "unit_name", "band", "eligible")}
        for cid, c in services.classes_of(survey).items()
    }


def summary(survey: Survey) -> dict[str, Any]:
    return {
        "id": str(survey.id),
        "title": survey.title,
        "status": survey.status.value,
        "opens_at": survey.opens_at.isoformat(),
        "closes_at": survey.closes_at.isoformat(),
        "guests_allowed": survey.guests_allowed,
        "results_live": survey.results_live,
        "fingerprint": survey.fingerprint,
        "eligible_members": survey.eligible_members,
        "copied_from": str(survey.copied_from) if survey.copied_from else None,
        "breakdown": json.loads(survey.breakdown) if survey.breakdown else None,
        "classes": _classes(survey),
        "roll_commitment": survey.roll_commitment,
    }


def _json(body: Any, status: int = HTTP_200_OK) -> Response[Any]:
    return Response(body, status_code=status, media_type=MediaType.JSON)


class SurveyApiController(Controller):
    path = "/api/surveys"
    exception_handlers = {HTTPException: _http_error, DomainError: _domain_error}

    # --- staff ---------------------------------------------------------------------

    @post("/", sync_to_thread=True, request_max_body_size=MAX_DEFINITION_BYTES)
    def create(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: JSONBody[dict[str, Any]],
    ) -> Response[Any]:
        user = _user(request)
        unit = get_unit(db_session, str(data.get("unit", "")))
        survey = services.create_survey(
            db_session,
            user,
            unit,
            data.get("definition"),
            opens_at=_when(data, "opens_at"),
            closes_at=_when(data, "closes_at"),
            guests_allowed=bool(_flag(data, "guests_allowed")),
            results_live=bool(_flag(data, "results_live")),
            breakdown=_breakdown(data),
        )
        return _json(summary(survey), HTTP_201_CREATED)

    @put("/{survey_id:str}", sync_to_thread=True, request_max_body_size=MAX_DEFINITION_BYTES)
    def update(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
    ) -> Response[Any]:
        survey = services.update_survey(
            db_session,
            _user(request),
            _survey_id(survey_id),
            data.get("definition"),
            opens_at=_when(data, "opens_at") if "opens_at" in data else None,
            closes_at=_when(data, "closes_at") if "closes_at" in data else None,
            guests_allowed=_flag(data, "guests_allowed"),
            results_live=_flag(data, "results_live"),
            breakdown=_breakdown(data),
        )
        return _json(summary(survey))

    @post("/{survey_id:str}/copy", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def copy(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
    ) -> Response[Any]:
        survey = services.copy_survey(
            db_session,
            _user(request),
            _survey_id(survey_id),
            opens_at=_when(data, "opens_at"),
            closes_at=_when(data, "closes_at"),
        )
        return _json(summary(survey), HTTP_201_CREATED)

    @get("/{survey_id:str}/preview", sync_to_thread=True)
    def preview(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """The survey exactly as members will get it (the same manifest they receive)."""
        survey = services.get_survey(db_session, _survey_id(survey_id))
        if not services.is_staff(db_session, _user(request), services.unit_of(db_session, survey)):
            raise services.NotStaff
        return _json({**summary(survey), "manifest": json.loads(survey.definition)})

    @post("/{survey_id:str}/open", sync_to_thread=True, status_code=HTTP_200_OK)
    def open(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        survey = services.open_survey(db_session, settings, _user(request), _survey_id(survey_id))
        return _json(summary(survey))

    @post("/{survey_id:str}/close", sync_to_thread=True, status_code=HTTP_200_OK)
    def close(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        survey = services.close_survey(db_session, settings, _user(request), _survey_id(survey_id))
        return _json(summary(survey))

    # --- respondents ----------------------------------------------------------------

    @get("/{survey_id:str}/client-data", sync_to_thread=True, exclude_from_auth=True)
    def client_data(
        self, db_session: NamedDependency[Session], survey_id: FromPath[str]
    ) -> Response[Any]:
        survey = services.get_survey(db_session, _survey_id(survey_id))
        if survey.status == SurveyStatus.DRAFT:
            raise NotFound(NO_SURVEY)
        return _json(
            {
                **summary(survey),
                "manifest": json.loads(survey.definition),
                "issuers": services.issuers_of(survey),
            }
        )

    @post("/{survey_id:str}/credential", sync_to_thread=True, status_code=HTTP_200_OK)
    def credential(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
    ) -> Response[Any]:
        if _rate_limited(request, "survey-credential", settings.voting.credential_per_minute):
            return _too_many()
        user = _user(request)
        try:
            blinded = bytes.fromhex(str(data.get("blinded_msg", "")))
        except ValueError:
            blinded = b""
        if not blinded or len(blinded) > 1024:  # noqa: PLR2004 - an RSA-8192 block at most
            return api_error("malformed", MALFORMED, HTTP_400_BAD_REQUEST)
        audience, signature = services.issue_credential(
            db_session, settings, _survey_id(survey_id), user, blinded
        )
        return _json({"audience": audience, "blind_signature": signature.hex()})

    @get("/{survey_id:str}/me", sync_to_thread=True)
    def me(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """The logged-in person's own entry: eligible, audience (with the class), day a
        credential was issued, and for a member the entry in the frozen list with its
        salt (record §9: find it in ``roll.json``, among the issued ones only if you
        took part)."""
        survey = services.get_survey(db_session, _survey_id(survey_id))
        entry = services.own_entry(db_session, survey, _user(request), settings=settings)
        own_roll = entry.roll
        return _json(
            {
                "eligible": entry.eligible,
                "audience": entry.audience,
                "credential_issued_on": entry.credential_issued_on,
                "roll": None
                if own_roll is None
                else {"class": own_roll.class_key, "salt": own_roll.salt, "entry": own_roll.entry},
            }
        )

    @post(
        "/{survey_id:str}/answers",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        exclude_from_csrf=True,
        exclude_from_auth=True,
        request_max_body_size=MAX_ANSWER_BYTES,
    )
    def answers(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        body: RawBody,
    ) -> Response[Any]:
        if _rate_limited(request, "survey-answer", settings.voting.cast_per_minute):
            return _too_many()
        if not _json_declared(request):
            # The edge checks JSON bodies only (`app.core.inputs`); an answer sent as
            # text/plain or without a type must meet them too: no nesting that makes
            # the parser recurse into a 500, no control or bidi characters in a text.
            check_json_body(bytes(body))
        receipt = services.submit_answer(db_session, settings, _survey_id(survey_id), bytes(body))
        return _json({"receipt": receipt}, HTTP_201_CREATED)

    @get("/{survey_id:str}/answers/{answer_hash:str}", sync_to_thread=True, exclude_from_auth=True)
    def receipt(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        answer_hash: FromPath[str],
    ) -> Response[Any]:
        if _rate_limited(request, "survey-lookup", settings.voting.lookup_per_minute):
            return _too_many()  # the hash is not indexed: each look-up reads the answers
        try:
            found = services.answer_receipt(db_session, _survey_id(survey_id), answer_hash)
        except NotFound:
            return api_error("not_found", ANSWER_NOT_FOUND, HTTP_404_NOT_FOUND)
        return _json({"receipt": found})

    @get("/{survey_id:str}/results", sync_to_thread=True)
    def results(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        survey = services.get_survey(db_session, _survey_id(survey_id))
        user = request.user if isinstance(request.user, Account) else None
        staff = user is not None and services.is_staff(
            db_session, user, services.unit_of(db_session, survey)
        )
        shown = services.results(db_session, survey, staff=staff)
        if shown is None:
            return api_error("not_yet", RESULTS_LATER, HTTP_403_FORBIDDEN)
        return _json({**summary(survey), "results": shown})

    @get("/{survey_id:str}/record.zip", sync_to_thread=True, exclude_from_auth=True)
    def record(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """The stored record: built once at the close, same bytes and ETag every time."""
        survey = services.get_survey(db_session, _survey_id(survey_id))
        if survey.record_zip is None or survey.record_etag is None:
            return api_error("not_yet", NO_RECORD, HTTP_404_NOT_FOUND)
        etag = f'"{survey.record_etag}"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        headers["Content-Disposition"] = f'attachment; filename="survey-{survey.id}.zip"'
        return Response(
            survey.record_zip,
            status_code=HTTP_200_OK,
            media_type="application/zip",
            headers=headers,
        )

    # --- after the close: exports and free texts ------------------------------------

    @get("/{survey_id:str}/export/{kind:str}", sync_to_thread=True, exclude_from_auth=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        kind: FromPath[str],
    ) -> Response[Any]:
        """After the close: ``export/aggregates-csv``, ``export/answers-csv`` (one row per
        answer, in the published board order) or ``export/xlsx`` (both as sheets); each
        is built per request from every answer, so they count as costly look-ups."""
        if _rate_limited(request, "survey-lookup", settings.voting.lookup_per_minute):
            return _too_many()
        survey, manifest, results, lines = _closed(db_session, survey_id)
        name = f"survey-{survey.id}"
        if kind == "aggregates-csv":
            body = export.to_csv(export.AGGREGATE_HEADER, export.aggregate_rows(manifest, results))
            return _download(body, "text/csv; charset=utf-8", f"{name}-ergebnisse.csv")
        if kind == "answers-csv":
            body = export.to_csv(
                export.answer_header(manifest), export.answer_rows(manifest, lines)
            )
            return _download(body, "text/csv; charset=utf-8", f"{name}-antworten.csv")
        if kind == "xlsx":
            return _download(export.to_xlsx(manifest, results, lines), XLSX, f"{name}.xlsx")
        raise NotFound(NO_SURVEY)

    @get("/{survey_id:str}/texts/{question_id:str}", sync_to_thread=True, exclude_from_auth=True)
    def texts(  # noqa: PLR0917 - Litestar passes parameters by name
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        question_id: FromPath[str],
        q: FromQuery[str] = "",
    ) -> Response[Any]:
        """The free-text answers of one question, after the close only, optionally searched
        (case-insensitive substring), in board order, per audience (every answer is read:
        a costly look-up)."""
        if _rate_limited(request, "survey-lookup", settings.voting.lookup_per_minute):
            return _too_many()
        _, manifest, _, lines = _closed(db_session, survey_id)
        try:
            question = manifest.question(question_id)
        except KeyError as error:
            raise NotFound(NO_SURVEY) from error
        if question.type not in {"short_text", "long_text"}:
            raise NotFound(NO_SURVEY)
        needle = q.strip().casefold()
        found: dict[str, list[str]] = {}
        for raw in lines:
            line = json.loads(raw)
            text = line["answers"].get(question_id)
            if isinstance(text, str) and needle in text.casefold():
                found.setdefault(line["audience"], []).append(text)
        return _json({"question": question_id, "search": q, "texts": found})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _closed(session: Session, raw_id: str) -> tuple[Survey, Any, dict[str, Any], list[bytes]]:
    survey = services.get_survey(session, _survey_id(raw_id))
    if survey.status != SurveyStatus.CLOSED or survey.results is None:
        raise services.ResultsLater
    lines = services.board_lines(session, survey.id)
    return survey, services.manifest_of(survey), json.loads(survey.results), lines


def _download(body: bytes, media_type: str, filename: str) -> Response[Any]:
    return Response(
        body,
        status_code=HTTP_200_OK,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ROUTES = [SurveyApiController]

# The results page includes ``surveys/_breakdown.html``, which reads its figures here.
jinja_environment().globals["survey_breakdown"] = breakdown_view.for_template
