"""Paper answers in the browser: print the questionnaire, enter and confirm the paper line.

Staff of the survey's unit print the questionnaire (PDF) for members who do not answer
online, count the returned sheets, and one staff member enters the figures per question;
a *different* staff member counts again and enters them again to confirm (as the
referendum postal line). The confirmer never sees the first figures: they must count
themselves. Only a confirmed line counts; it is its own line in the results and the
record (``docs/surveys/record.md`` §6). The rules live in `surveys.services` and
``surveys.definition.check_paper_line``; these handlers only read the form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.orm import Session

from app.accounts.current import required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.core.db import utcnow
from app.core.downloads import PDF, attachment
from app.core.errors import DomainError, NotFound
from app.core.form_pages import submit
from app.core.i18n import current_locale
from app.core.inputs import parse_whole
from app.core.pdf import render_pdf
from surveys import services
from surveys.definition import MATRIX, PAPER_COUNTED, SCALE, YES_NO, YES_NO_VALUES
from surveys.models import Survey, SurveyStatus
from surveys.pages.controllers import published_survey

FormFields = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
MAX_FIGURE_DIGITS = 9


def _managed(db_session: Session, account: Account, survey_id: uuid.UUID) -> Survey:
    """An opened survey of a unit ``account`` is staff or board of (404 / 403 otherwise)."""
    survey = published_survey(db_session, survey_id)
    if not services.is_staff(db_session, account, services.unit_of(db_session, survey)):
        raise services.NotStaff
    return survey


def paper_questions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Each question with what the paper form asks: the rows to count (none for text)."""
    out = []
    number = 0
    for section in manifest["sections"]:
        for spec in section["questions"]:
            number += 1
            kind = spec["type"]
            rows: list[tuple[str, str]] = []
            columns: list[str] = []
            if kind == YES_NO:
                rows = [(v, v) for v in YES_NO_VALUES]
            elif kind == SCALE:
                rows = [(str(v), str(v)) for v in range(spec["min"], spec["max"] + 1)]
            elif kind == MATRIX:
                rows = [(s["id"], s["label"]) for s in spec["statements"]]
                columns = [str(v) for v in range(spec["min"], spec["max"] + 1)]
            elif kind in PAPER_COUNTED:
                rows = [(o["id"], o["label"]) for o in spec["options"]]
            out.append(
                {
                    "number": number,
                    "spec": spec,
                    "counted": kind in PAPER_COUNTED,
                    "rows": rows,
                    "columns": columns,
                    "yes_no": kind == YES_NO,
                }
            )
    return out


def _figure(fields: dict[str, Any], name: str) -> object:
    """A form figure as an int when it is one (empty means 0); otherwise the raw text,
    which the rules then refuse naming the question."""
    value = fields.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    text = str(value).strip()
    if text == "":
        return 0
    # ASCII digits only: "²" is a digit to str.isdigit (and int() then raised), "٣" and
    # "３" were taken as 3.
    number = parse_whole(text, high=10**MAX_FIGURE_DIGITS - 1)
    return text if number is None else number


def line_from_form(manifest: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The paper line the form describes (unchecked: `check_paper_line` judges it)."""
    questions: dict[str, Any] = {}
    for item in paper_questions(manifest):
        qid = item["spec"]["id"]
        entry: dict[str, Any] = {"answered": _figure(fields, f"{qid}.answered")}
        if item["columns"]:
            entry["counts"] = {
                row: {col: _figure(fields, f"{qid}.{row}.{col}") for col in item["columns"]}
                for row, _label in item["rows"]
            }
        elif item["counted"]:
            entry["counts"] = {row: _figure(fields, f"{qid}.{row}") for row, _label in item["rows"]}
        questions[qid] = entry
    return {"questionnaires": _figure(fields, "questionnaires"), "questions": questions}


class SurveyPaperController(Controller):
    path = "/surveys/{survey_id:uuid}/paper"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Template:
        account = required_account(db_session, request)
        return self._page(db_session, account, survey_id, None, {})

    @get("/questionnaire.pdf", sync_to_thread=True)
    def questionnaire(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The printable questionnaire: every question with boxes to tick, for staff."""
        survey = _managed(db_session, required_account(db_session, request), survey_id)
        manifest = json.loads(survey.definition)
        document = render_pdf(
            "surveys/paper_pdf.html",
            current_locale(),
            survey=survey,
            unit=services.unit_of(db_session, survey),
            manifest=manifest,
            questions=paper_questions(manifest),
            now=utcnow(),
        )
        return attachment(document, PDF, "fragebogen.pdf")

    @post("/enter", sync_to_thread=True)
    def enter(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
        data: FormFields,
    ) -> Response[Any]:
        return self._submit(db_session, request, survey_id, data, services.enter_paper_line)

    @post("/confirm", sync_to_thread=True)
    def confirm(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
        data: FormFields,
    ) -> Response[Any]:
        return self._submit(db_session, request, survey_id, data, services.confirm_paper_line)

    @post("/discard", sync_to_thread=True)
    def discard(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        _managed(db_session, account, survey_id)
        return self._attempt(
            db_session,
            account,
            survey_id,
            lambda: services.discard_paper_line(db_session, account, survey_id),
            {},
        )

    def _submit(
        self,
        db_session: Session,
        request: Request[Any, Any, Any],
        survey_id: uuid.UUID,
        data: dict[str, Any],
        action: Any,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        survey = _managed(db_session, account, survey_id)
        line = line_from_form(json.loads(survey.definition), data)
        return self._attempt(
            db_session,
            account,
            survey_id,
            lambda: action(db_session, account, survey_id, line),
            data,
        )

    def _attempt(
        self,
        db_session: Session,
        account: Account,
        survey_id: uuid.UUID,
        step: Callable[[], object],
        data: dict[str, Any],
    ) -> Response[Any]:
        """A refusal of the rules (the same person confirming included) comes back on the
        paper page with what was typed; a lost permission or survey stays 403 / 404."""
        return submit(
            db_session,
            step,
            refused=lambda error: self._page(db_session, account, survey_id, error, data),
            done=lambda _: Redirect(path=f"/surveys/{survey_id}/paper"),
            refusals=(DomainError,),
            passes=(services.NotStaff, NotFound),
        )

    def _page(
        self,
        db_session: Session,
        account: Account,
        survey_id: uuid.UUID,
        error: DomainError | None,
        data: dict[str, Any],
    ) -> Template:
        db_session.rollback()
        survey = _managed(db_session, account, survey_id)
        row = services.paper_line(db_session, survey.id)
        manifest = json.loads(survey.definition)
        return Template(
            "surveys/paper.html",
            context={
                "survey": survey,
                "unit": services.unit_of(db_session, survey),
                "questions": paper_questions(manifest),
                "row": row,
                "confirmed": json.loads(row.line) if row and row.confirmed_by else None,
                "entered_by_me": bool(row and row.entered_by == account.id),
                "open": survey.status == SurveyStatus.OPEN,
                "error": error,
                "values": {k: v for k, v in data.items() if isinstance(v, str)},
            },
            status_code=error.status_code if error else 200,
        )


ROUTES: list[ControllerRouterHandler] = [SurveyPaperController]
