"""Pages of the Mitgliederbefragung: staff build, preview, copy, open and close a survey;
members and guests answer; everyone reads the results after the close.

The results page is public like the survey record it summarises (and like a
referendum's published result): after the close, or while the survey runs if staff
chose live results; free-text answers only after the close. Every other page needs the
login, and the staff pages check the survey's unit per request.

Thin handlers: the editor's form is `surveys.drafting`, the rules are `surveys.services`,
the lists `surveys.pages.queries`. Answering itself never goes through these pages: the
answer page only renders the questions (inputs without names, nothing to submit) and
``frontend/src/survey.js`` fetches the credential and sends the signed answer to the
session-less JSON API (``surveys.api``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from app.accounts.current import current_account, required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.core.db import utcnow
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.form_pages import submit
from app.core.i18n import N_, gettext
from app.core.lookup import get_or_404
from app.core.rate_limit import over_limit
from app.core.settings import Settings
from app.organisations.models import Unit
from app.organisations.units import get_unit
from surveys import drafting, services, tasks
from surveys.models import Survey, SurveyStatus
from surveys.pages import queries, results_view

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
FormFields = Annotated[dict[str, Any], Form]

CONFIRM_OPEN = N_(
    "Please confirm that the survey may open: its questions can no longer change afterwards."
)
CONFIRM_CLOSE = N_("Please confirm that the survey may close: no answers are accepted afterwards.")
ENDS_IN_THE_PAST = N_("The survey's closing time has passed: change it before opening the survey.")
NOT_EDITABLE_HERE = N_(
    "This survey was made through the programming interface in a shape the form cannot "
    "show; it can be changed there, or copied and rebuilt here."
)

# The texts survey.js shows (keys read as messages.<key>; tests/unit/surveys checks them).
SURVEY_MESSAGES = {
    "credential": N_("Fetching your survey credential…"),
    "ready": N_("Your survey credential is ready in this browser. You can answer now."),
    "sending": N_("Sending your answers…"),
    "done_title": N_("Thank you: your answers have been received."),
    "done": N_("Your receipt (answer hash):"),
    "done_before": N_("You have already answered this survey in this browser."),
    "receipt_note": N_(
        "Answers are published in batches in shuffled order; after the close you find "
        "your answer hash in the survey record."
    ),
    "save_receipt": N_("Save the receipt"),
    "failed": N_("That did not work:"),
    "network": N_("The server could not be reached. Check the connection and try again."),
    "no_credential": N_(
        "Your survey credential was already issued, but this browser does not hold it "
        "(for example, you started in another browser). Please finish there. If you have "
        "answered, your receipt is your proof."
    ),
    "already_answered": N_("An answer with this credential has already been received."),
    "fix_first": N_("Please check the questions marked in red."),
    "required": N_("Question {number}: please answer this question."),
    "too_many": N_("Question {number}: choose at most {max}."),
    "too_few": N_("Question {number}: choose at least {min}."),
    "out_of_range": N_("Question {number}: give a whole number from {min} to {max}."),
    "not_number": N_("Question {number}: give a whole number."),
    "too_long": N_("Question {number}: at most {max} characters."),
    "statements": N_("Question {number}: please rate every statement, or none."),
    "repeated_option": N_("Question {number}: each option can take only one place."),
    "rank_gap": N_("Question {number}: fill the places from the first one on, without gaps."),
    "invalid": N_("Question {number}: this answer is not possible."),
    "characters_left": N_("{count} characters left"),
    # The receipt check (answer page and results page), sent without the login.
    "receipt_waiting": N_(
        "Your answer was received. It waits for its batch: answers are published in "
        "batches in shuffled order, at the latest when the survey closes."
    ),
    "receipt_on_board": N_("Your answer is on the board at place {place}."),
    "receipt_unknown": N_("No answer with this hash was received in this survey."),
    "receipt_invalid": N_("That is not an answer hash: it has 64 characters 0–9 and a–f."),
    # The receipt to keep (record §10): fetched without the login once the answer is on
    # the board, kept in the browser and offered as a file.
    "receipt_heading": N_("Your receipt to keep"),
    "receipt_fetching": N_("Fetching your receipt…"),
    "receipt_later": N_(
        "Your answer waits for its batch, so your receipt is not ready yet. It is ready "
        "once your answer is on the board, at the latest when the survey ends. Open this "
        "page again in this browser then: it fetches the receipt for you and keeps it."
    ),
    "receipt_kept": N_(
        "Your receipt is ready and kept in this browser. Save it as a file as well: with "
        "it you can show later that your answer was published and counted unchanged."
    ),
    "receipt_mismatch": N_(
        "The receipt the server sent does not fit your answer. Please note your answer "
        "hash and tell the people responsible for the survey."
    ),
    "receipt_where": N_("After the survey has ended, you can check your answer on {link}."),
    "receipt_where_link": N_("the results page of this survey"),
    "receipt_auditors": N_("For auditors: this checks the file against the survey record:"),
    "receipt_command": N_("stimmwerk verify RECORD --receipt RECEIPT.json"),
    "receipt_file_name": N_("survey-receipt-{hash}.json"),
}


class TooManyLookups(DomainError):
    status_code = 429
    message = N_("Too many requests from your network address. Please wait a minute and try again.")


def _messages() -> dict[str, str]:
    """The texts survey.js shows, in the request's language."""
    return {key: gettext(text) for key, text in SURVEY_MESSAGES.items()}


def _receipt_lookup(settings: Settings, survey: Survey) -> str:
    """The look-up address without its answer hash, in full: without JavaScript the page
    tells members to open it (with their hash) in a private window, where it carries no
    login, and to save what it shows: the receipt (record §10)."""
    return f"{settings.base_url}/api/surveys/{survey.id}/answers/"


def published_survey(db_session: Session, survey_id: uuid.UUID) -> Survey:
    """A survey that has been opened (a draft is nobody's business but its staff's: 404)."""
    return get_or_404(db_session, Survey, survey_id, may=lambda s: s.status != SurveyStatus.DRAFT)


def _managed(db_session: Session, account: Account, survey_id: uuid.UUID) -> tuple[Survey, Unit]:
    """The survey and its unit, if ``account`` is staff or board of the unit (or above)."""
    survey = get_or_404(db_session, Survey, survey_id)
    unit = services.unit_of(db_session, survey)
    if not services.is_staff(db_session, account, unit):
        raise services.NotStaff
    return survey, unit


def _action(fields: dict[str, Any]) -> str:
    value = fields.get("action", "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def _editor(
    db_session: Session,
    account: Account,
    form: drafting.SurveyForm,
    errors: dict[str, str],
    *,
    editing: Survey | None = None,
    status_code: int = 200,
) -> Template:
    drafting.ensure_ids(form)
    return Template(
        "surveys/edit.html",
        context={
            "form": form,
            "errors": errors,
            "editing": editing,
            "action": f"/surveys/{editing.id}/edit" if editing else "/surveys/new",
            "units": [] if editing else queries.staff_units(db_session, account),
            "types": drafting.TYPE_LABELS,
            "scales": drafting.SCALE_CHOICES,
            "conditions": drafting.condition_choices(form),
            "max_questions": drafting.MAX_FORM_QUESTIONS,
            "yes_no": drafting.YES_NO_LABELS,
        },
        status_code=status_code,
    )


class SurveyPagesController(Controller):
    path = "/surveys"
    guards = [requires_login]

    # --- lists -------------------------------------------------------------------------

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        return Template(
            "surveys/list.html",
            context={
                "asked": queries.surveys_for(db_session, account),
                "managed": queries.managed_surveys(db_session, account),
                "may_create": bool(queries.staff_units(db_session, account)),
                "Status": SurveyStatus,
            },
        )

    @get("/mine", sync_to_thread=True)
    def mine(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        """The dashboard's section (htmx): surveys open for this person."""
        account = required_account(db_session, request)
        items = [
            item
            for item in queries.surveys_for(db_session, account, open_only=True)
            if item.situation in {queries.READY, queries.ISSUED}
        ]
        return Template(
            "surveys/_mine.html",
            context={
                "items": items,
                "may_create": bool(queries.staff_units(db_session, account)),
            },
        )

    @get("/units/{code:str}", sync_to_thread=True)
    def of_unit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
    ) -> Template:
        """The unit page's section (htmx): the unit's surveys, and a new one for its staff."""
        account = required_account(db_session, request)
        unit = get_unit(db_session, code)
        staff = services.is_staff(db_session, account, unit)
        return Template(
            "surveys/_unit.html",
            context={
                "unit": unit,
                "staff": staff,
                "surveys": queries.unit_surveys(db_session, unit, staff=staff),
            },
        )

    # --- the editor --------------------------------------------------------------------

    @get("/new", sync_to_thread=True)
    def new(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        unit: FromQuery[str] = "",
    ) -> Template:
        account = required_account(db_session, request)
        if not queries.staff_units(db_session, account):
            raise services.NotStaff
        return _editor(db_session, account, drafting.new_form(unit, utcnow()), {})

    @post("/new", sync_to_thread=True)
    def create(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: FormFields,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        units = {unit.code: unit for unit in queries.staff_units(db_session, account)}
        if not units:
            raise services.NotStaff
        form = drafting.read_form(data)
        if drafting.apply_action(form, _action(data)):
            return _editor(db_session, account, form, {})
        checked = drafting.to_definition(form)
        unit = units.get(form.unit_code)
        errors = dict(checked.errors)
        if unit is None:
            errors["unit_code"] = N_("Choose one of your units.")
        opens, closes = checked.opens_at, checked.closes_at
        if errors or unit is None or checked.definition is None or not (opens and closes):
            return _editor(db_session, account, form, errors, status_code=400)
        survey = services.create_survey(
            db_session,
            account,
            unit,
            checked.definition,
            opens_at=opens,
            closes_at=closes,
            guests_allowed=form.guests_allowed,
            results_live=form.results_live,
        )
        return Redirect(path=f"/surveys/{survey.id}/manage?saved=1")

    @get("/{survey_id:uuid}/edit", sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Template:
        account = required_account(db_session, request)
        survey, unit = _managed(db_session, account, survey_id)
        refusal = self._edit_refusal(survey)
        if refusal is not None:
            return self._manage(db_session, account, survey_id, refusal)
        return _editor(db_session, account, drafting.form_of(survey, unit.code), {}, editing=survey)

    @post("/{survey_id:uuid}/edit", sync_to_thread=True)
    def update(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
        data: FormFields,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        survey, unit = _managed(db_session, account, survey_id)
        refusal = self._edit_refusal(survey)
        if refusal is not None:
            return self._manage(db_session, account, survey_id, refusal)
        form = drafting.read_form(data)
        form.unit_code = unit.code  # the unit stays
        if drafting.apply_action(form, _action(data)):
            return _editor(db_session, account, form, {}, editing=survey)
        checked = drafting.to_definition(form)
        if checked.errors or checked.definition is None:
            return _editor(
                db_session, account, form, checked.errors, editing=survey, status_code=400
            )
        definition = checked.definition
        return submit(
            db_session,
            lambda: services.update_survey(
                db_session,
                account,
                survey_id,
                definition,
                opens_at=checked.opens_at,
                closes_at=checked.closes_at,
                guests_allowed=form.guests_allowed,
                results_live=form.results_live,
            ),
            refused=lambda error: self._manage(db_session, account, survey_id, error),
            done=lambda _: Redirect(path=f"/surveys/{survey_id}/manage?saved=1"),
            refusals=(services.SurveyFrozen,),
        )

    @staticmethod
    def _edit_refusal(survey: Survey) -> DomainError | None:
        if survey.status != SurveyStatus.DRAFT:
            return services.SurveyFrozen()
        if not drafting.fits_form(survey):
            return DomainError(NOT_EDITABLE_HERE)
        return None

    # --- managing ----------------------------------------------------------------------

    @get("/{survey_id:uuid}/manage", sync_to_thread=True)
    def manage(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
        saved: FromQuery[str] = "",
    ) -> Template:
        account = required_account(db_session, request)
        template = self._manage(db_session, account, survey_id, None)
        template.context["saved"] = saved == "1"
        return template

    @get("/{survey_id:uuid}/preview", sync_to_thread=True)
    def preview(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Template:
        """The survey exactly as members get it, every input disabled."""
        account = required_account(db_session, request)
        survey, unit = _managed(db_session, account, survey_id)
        return Template(
            "surveys/preview.html",
            context={
                "survey": survey,
                "unit": unit,
                "manifest": json.loads(survey.definition),
                "messages": _messages(),
            },
        )

    @post("/{survey_id:uuid}/copy", sync_to_thread=True)
    def copy(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        survey_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        _managed(db_session, account, survey_id)
        copy = drafting.copy_as_draft(db_session, account, survey_id, now=utcnow())
        return Redirect(path=f"/surveys/{copy.id}/edit")

    @post("/{survey_id:uuid}/open", sync_to_thread=True)
    def open(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[uuid.UUID],
        data: FormFields,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        survey, _ = _managed(db_session, account, survey_id)
        if data.get("confirm") != "yes":
            return self._manage(db_session, account, survey_id, DomainError(CONFIRM_OPEN))
        if survey.status == SurveyStatus.DRAFT and survey.closes_at <= utcnow():
            return self._manage(db_session, account, survey_id, DomainError(ENDS_IN_THE_PAST))
        return self._step(
            db_session,
            account,
            survey_id,
            lambda: services.open_survey(db_session, settings, account, survey_id),
            f"/surveys/{survey_id}/manage",
        )

    @post("/{survey_id:uuid}/close", sync_to_thread=True)
    def close(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[uuid.UUID],
        data: FormFields,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        _managed(db_session, account, survey_id)
        if data.get("confirm") != "yes":
            return self._manage(db_session, account, survey_id, DomainError(CONFIRM_CLOSE))
        return self._step(
            db_session,
            account,
            survey_id,
            lambda: services.close_survey(db_session, settings, account, survey_id),
            f"/surveys/{survey_id}/results",
        )

    def _step(
        self,
        db_session: Session,
        account: Account,
        survey_id: uuid.UUID,
        action: Callable[[], object],
        after: str,
    ) -> Response[Any]:
        """Open or close: a refusal of the rules is shown on the manage page (its
        status), a missing survey or permission stays a 404 / 403."""
        return submit(
            db_session,
            action,
            refused=lambda error: self._manage(db_session, account, survey_id, error),
            done=lambda _: Redirect(path=after),
            refusals=(DomainError,),
            passes=(Forbidden, NotFound),
        )

    def _manage(
        self,
        db_session: Session,
        account: Account,
        survey_id: uuid.UUID,
        error: DomainError | None,
    ) -> Template:
        db_session.rollback()
        survey, unit = _managed(db_session, account, survey_id)
        return Template(
            "surveys/manage.html",
            context={
                "survey": survey,
                "unit": unit,
                "manifest": json.loads(survey.definition),
                "may_edit": survey.status == SurveyStatus.DRAFT and drafting.fits_form(survey),
                "counts": services.credential_counts(db_session, survey)
                if survey.status != SurveyStatus.DRAFT
                else None,
                "reach": tasks.reachability(db_session, survey.id)
                if survey.status != SurveyStatus.DRAFT
                else None,
                "error": error,
                "saved": False,
                "Status": SurveyStatus,
            },
            status_code=error.status_code if error else 200,
        )

    # --- answering ---------------------------------------------------------------------

    @get("/{survey_id:uuid}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[uuid.UUID],
    ) -> Template:
        """The answer page: the questions, locked until survey.js holds a credential."""
        account = required_account(db_session, request)
        survey = published_survey(db_session, survey_id)
        unit = services.unit_of(db_session, survey)
        situation = queries.situation(db_session, survey, account)
        allowed = services.eligibility(db_session, survey, account)
        api = f"/api/surveys/{survey.id}"
        return Template(
            "surveys/answer.html",
            context={
                "survey": survey,
                "unit": unit,
                "manifest": json.loads(survey.definition),
                "situation": situation,
                "audience": allowed.audience or "",
                "urls": {
                    "client_data": f"{api}/client-data",
                    "credential": f"{api}/credential",
                    "answers": f"{api}/answers",
                    "results": f"/surveys/{survey.id}/results",
                },
                "receipt_lookup": _receipt_lookup(settings, survey),
                "messages": _messages(),
                "may_manage": services.is_staff(db_session, account, unit),
            },
        )


class SurveyResultsController(Controller):
    """The results page, public like the record: ``services.results`` shows nothing
    before the close unless staff chose live results (staff of the unit, logged in, see
    the live count); free-text answers are listed only after the close."""

    path = "/surveys"

    @get("/{survey_id:uuid}/results", sync_to_thread=True)
    def results(  # noqa: PLR0917 - Litestar passes parameters by name
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        survey_id: FromPath[uuid.UUID],
        question: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> Template:
        if question and over_limit(
            request, "survey_rate_limiter", "survey-lookup", settings.voting.lookup_per_minute
        ):  # listing free texts reads every answer: a costly look-up, as in the API
            raise TooManyLookups
        account = current_account(db_session, request)
        survey = published_survey(db_session, survey_id)
        unit = services.unit_of(db_session, survey)
        staff = account is not None and services.is_staff(db_session, account, unit)
        shown = services.results(db_session, survey, staff=staff)
        manifest = json.loads(survey.definition)
        closed = survey.status == SurveyStatus.CLOSED
        texts = None
        if closed and question in queries.text_question_ids(manifest):
            texts = queries.text_answers(db_session, survey, question, q[:200])
        return Template(
            "surveys/results.html",
            context={
                "survey": survey,
                "unit": unit,
                "manifest": manifest,
                "view": results_view.build(manifest, shown, survey.eligible_members)
                if shown is not None
                else None,
                "closed": closed,
                "staff": staff,
                "texts": texts,
                "text_question": question,
                "search": q[:200],
                "api": f"/api/surveys/{survey.id}",
                "receipt_lookup": _receipt_lookup(settings, survey),
                "messages": _messages(),
            },
        )
