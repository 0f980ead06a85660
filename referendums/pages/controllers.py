"""Pages of a Mitgliederentscheid: list, prepare and change, manage, read and discuss, results.

Thin handlers: the rules are in `referendums.services` (and the ballot core behind it).
The public page, the list, the results and the record are open to anonymous visitors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from sqlalchemy.orm import Session

from app.accounts.current import current_account, required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.downloads import PDF, attachment
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.core.form_pages import flash_redirect, form_page, submit
from app.core.i18n import N_, current_locale
from app.core.pdf import render_pdf
from app.core.settings import Settings
from app.core.web import flash_message
from app.organisations.models import Member
from app.organisations.roles import roles_of
from ballots.errors import WrongState
from ballots.manifest import MAX_OPTIONS, MAX_QUESTIONS
from ballots.models import ElectionStatus
from referendums import outcome, services
from referendums.commission.backups import current_backups
from referendums.commission.statement import require_published
from referendums.pages import forms

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
T = TypeVar("T")


@dataclass
class CommentForm:
    body: str = ""


@dataclass
class OpenForm:
    confirm: str = ""
    """``yes``: open although a trustee has no backup of their key share (warned)."""


OPEN_WITHOUT_BACKUPS: Final = N_(
    "Tick the box to confirm that you open the vote although not every trustee has saved "
    "a backup of their key share."
)
_BEFORE_OPENING: Final = (ElectionStatus.KEYS, ElectionStatus.ROLL_FROZEN)


def _without_backup(db_session: Session, view: services.ReferendumView) -> list[str]:
    """The trustees (names, seat order) who have not confirmed a backup of this round's
    key share; without it a share is lost with the trustee's browser."""
    backups = current_backups(db_session, view.election)
    return [
        trustee.name
        for trustee in services.ceremony_progress(db_session, view)
        if trustee.index not in backups
    ]


def _new_form_context(
    db_session: Session,
    account: Account,
    form: forms.NewReferendumForm,
    errors: dict[str, str],
    *,
    editing: services.ReferendumView | None = None,
) -> dict[str, Any]:
    """The form's page; ``editing`` the stored referendum it changes (its unit stays)."""
    return {
        "form": form,
        "errors": errors,
        "editing": editing,
        "action": f"/referendums/{editing.id}/edit" if editing else "/referendums/new",
        "units": [] if editing else services.staff_units(db_session, account),
        "candidates": services.commission_candidates(db_session, account),
        "max_questions": MAX_QUESTIONS,
        "max_options": MAX_OPTIONS,
        "error_labels": forms.error_labels(form),
        "chosen_trustees": set(form.trustee_list),
    }


def _form_page(context: dict[str, Any], *, refused: bool) -> Template:
    return Template("referendums/new.html", context=context, status_code=400 if refused else 200)


def _changed_blocks(form: forms.NewReferendumForm) -> dict[str, str] | None:
    """A click on "Weitere Frage hinzufügen" or "Frage N entfernen": the form's blocks
    changed in place, and the refusal if any. None for "Speichern" (also for an unknown
    button: the form is then checked and saved as usual). The button's ``formaction``
    carries ``#question-N``, so the browser scrolls to the new block by itself."""
    if form.do == "add":
        return forms.add_block(form)
    if form.removing is not None:
        forms.remove_block(form, form.removing)
        return {}
    return None


def _keep_seat_order(view: services.ReferendumView, chosen: list[uuid.UUID]) -> list[uuid.UUID]:
    """Trustees who stay keep their seat order (the form's checkboxes have none);
    newly chosen ones follow in the form's order."""
    seats = [trustee.account_id for trustee in view.election.trustees]
    return sorted(
        chosen,
        key=lambda account_id: seats.index(account_id) if account_id in seats else len(seats),
    )


def _checked(
    db_session: Session, parsed: forms.ParsedForm, errors: dict[str, str], save: Callable[[], T]
) -> T | dict[str, str]:
    """Save a parsed referendum form with ``save``, or the errors to show on the form
    again: all of them at once (the service's checks too, not only the first)."""
    if errors:
        more = services.check_draft(parsed.draft, parsed.texts, parsed.trustee_ids)
        for key, message in forms.form_errors(more, parsed.blocks).items():
            errors.setdefault(key, message)
        return errors
    try:
        return save()
    except ValidationFailed as error:
        db_session.rollback()
        return forms.form_errors(error.errors, parsed.blocks)


def _edit_refusal(view: services.ReferendumView) -> DomainError | None:
    """Why the referendum cannot be changed on the edit page, or None if it can."""
    if not services.may_still_change(view):
        return WrongState(view.election.status.value, services.NO_LONGER_CHANGEABLE)
    return None


class ReferendumPagesController(Controller):
    path = "/referendums"

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = current_account(db_session, request)
        return Template(
            "referendums/list.html",
            context={
                "referendums": [
                    view
                    for view in services.list_referendums(db_session)
                    if services.may_read(db_session, account, view)
                ],
                "may_prepare": services.may_prepare(db_session, account),
                "local_time": services.local_time,
            },
        )

    @get("/mine", guards=[requires_login], sync_to_thread=True)
    def mine(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        return Template(
            "referendums/_mine.html",
            context={
                "items": services.open_for_member(db_session, account),
                "is_member": account.member_id is not None,
                # A staff or commission login without a membership is not a guest.
                "has_roles": bool(roles_of(db_session, account)),
                "local_time": services.local_time,
            },
        )

    @get("/new", guards=[requires_login], sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        if not services.may_prepare(db_session, account):
            raise Forbidden
        now = utcnow()
        form = forms.NewReferendumForm(threshold="2", quorum="20")
        form.cutoff_at = forms.local_input(now)
        return Template(
            "referendums/new.html", context=_new_form_context(db_session, account, form, {})
        )

    @post("/new", guards=[requires_login], sync_to_thread=True)
    def create(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        data: Annotated[dict[str, Any], Form],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        units = {unit.code: unit for unit in services.staff_units(db_session, account)}
        if not units:
            raise Forbidden
        form = forms.NewReferendumForm.from_post(data)
        changed = _changed_blocks(form)
        if changed is not None:
            context = _new_form_context(db_session, account, form, changed)
            return _form_page(context, refused=bool(changed))
        unit = units.get(form.unit_code)
        parsed = forms.parse(form, unit.name if unit else "")
        errors = dict(parsed.errors)
        if unit is None:
            errors["unit_code"] = N_("Choose one of your units.")
        saved = _checked(
            db_session,
            parsed,
            errors,
            lambda: services.create_referendum(
                db_session, settings, account, parsed.draft, parsed.trustee_ids, texts=parsed.texts
            ),
        )
        if isinstance(saved, dict):
            return _form_page(_new_form_context(db_session, account, form, saved), refused=True)
        return flash_redirect(
            f"/referendums/{saved.election_id}/manage", "referendum_created", settings
        )

    @get("/{election_id:uuid}/edit", guards=[requires_login], sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Template:
        account = required_account(db_session, request)
        view = services.managed_referendum(db_session, election_id, account)
        refusal = _edit_refusal(view)
        if refusal is not None:
            return self._manage_refused(db_session, account, election_id, refusal)
        context = _new_form_context(db_session, account, forms.form_of(view), {}, editing=view)
        return Template("referendums/new.html", context=context)

    @post("/{election_id:uuid}/edit", guards=[requires_login], sync_to_thread=True)
    def update(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, Any], Form],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        view = services.managed_referendum(db_session, election_id, account)
        refusal = _edit_refusal(view)
        if refusal is not None:
            return self._manage_refused(db_session, account, election_id, refusal)
        form = forms.NewReferendumForm.from_post(data)
        form.unit_code = view.unit.code  # the unit stays
        changed = _changed_blocks(form)
        if changed is not None:
            context = _new_form_context(db_session, account, form, changed, editing=view)
            return _form_page(context, refused=bool(changed))
        parsed = forms.parse(form, view.unit.name)
        saved = _checked(
            db_session,
            parsed,
            dict(parsed.errors),
            lambda: self._manage_step(
                db_session,
                account,
                election_id,
                lambda: services.update_referendum(
                    db_session,
                    settings,
                    account,
                    election_id,
                    draft=parsed.draft,
                    trustee_ids=_keep_seat_order(view, parsed.trustee_ids),
                    texts=parsed.texts,
                ),
                passes=(Forbidden, NotFound, ValidationFailed),
                done=flash_redirect(f"/referendums/{election_id}/manage", "saved", settings),
            ),
        )
        if not isinstance(saved, dict):
            return saved
        view = services.managed_referendum(db_session, election_id, account)
        context = _new_form_context(db_session, account, form, saved, editing=view)
        return _form_page(context, refused=True)

    @get("/{election_id:uuid}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Template:
        account = current_account(db_session, request)
        return Template(
            "referendums/show.html",
            context=self._show_context(db_session, account, election_id),
        )

    @post("/{election_id:uuid}/comments", guards=[requires_login], sync_to_thread=True)
    def comment(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
        data: Annotated[CommentForm, Form],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        return submit(
            db_session,
            lambda: services.post_comment(db_session, election_id, account, data.body),
            refused=lambda error: form_page(
                "referendums/show.html",
                {
                    **self._show_context(db_session, account, election_id),
                    "comment_form": data,
                    "comment_errors": error.errors,
                },
            ),
            done=lambda _: Redirect(path=f"/referendums/{election_id}#comments"),
        )

    @post(
        "/{election_id:uuid}/comments/{comment_id:int}/hide",
        guards=[requires_login],
        sync_to_thread=True,
    )
    def hide(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
        comment_id: FromPath[int],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        services.hide_comment(db_session, election_id, comment_id, account)
        return Redirect(path=f"/referendums/{election_id}#comments")

    @get("/{election_id:uuid}/manage", guards=[requires_login], sync_to_thread=True)
    def manage(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Template:
        account = required_account(db_session, request)
        context = self._manage_context(db_session, account, election_id, None)
        # "Saved" after the create and edit forms (they redirect here).
        return Template(
            "referendums/manage.html", context={**context, "flash": flash_message(request)}
        )

    @post("/{election_id:uuid}/freeze", guards=[requires_login], sync_to_thread=True)
    def freeze(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        services.managed_referendum(db_session, election_id, account)
        return self._manage_step(
            db_session,
            account,
            election_id,
            lambda: services.freeze_roll(db_session, election_id, account),
        )

    @post("/{election_id:uuid}/open", guards=[requires_login], sync_to_thread=True)
    def open(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[uuid.UUID],
        data: Annotated[OpenForm, Form],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        view = services.managed_referendum(db_session, election_id, account)
        missing = _without_backup(db_session, view)
        if missing and view.election.status == ElectionStatus.ROLL_FROZEN:
            if data.confirm != "yes":
                context = self._manage_context(db_session, account, election_id, None)
                context["open_error"] = OPEN_WITHOUT_BACKUPS
                return Template("referendums/manage.html", context=context, status_code=400)
            # Who opened it knowingly without every backup (the engine audits the opening).
            record_event(
                db_session,
                "referendum:opened_without_backups",
                actor_id=account.id,
                object_type="referendum",
                object_id=election_id,
                trustees_without_backup=len(missing),
            )
        return self._manage_step(
            db_session,
            account,
            election_id,
            lambda: services.open_now(db_session, settings, election_id, account),
        )

    @get("/{election_id:uuid}/results", sync_to_thread=True)
    def results(
        self,
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Template:
        view, results = _published(db_session, election_id)
        return Template(
            "referendums/results.html",
            context={
                "view": view,
                "results": results,
                "outcome": outcome.outcome(results),
                "local_time": services.local_time,
            },
        )

    @get("/{election_id:uuid}/results.pdf", sync_to_thread=True)
    def results_pdf(
        self,
        db_session: NamedDependency[Session],
        election_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The published result as a PDF document (same figures and words as the page)."""
        view, results = _published(db_session, election_id)
        document = render_pdf(
            "referendums/results_pdf.html",
            current_locale(),
            view=view,
            results=results,
            outcome=outcome.outcome(results),
            now=utcnow(),
        )
        return attachment(document, PDF, "ergebnis.pdf")

    @get("/{election_id:uuid}/record.zip", sync_to_thread=True)
    def record(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        require_published(db_session, election_id)
        # Written once after the tally; every download is a read of the stored file.
        stored = services.stored_record(db_session, settings, election_id)
        etag = f'"{stored.etag}"'
        cache = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
        wanted = request.headers.get("if-none-match", "")
        if etag in {tag.strip() for tag in wanted.split(",")} or wanted.strip() == "*":
            return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=cache)
        return File(
            path=stored.path,
            filename=f"stimmwerk-record-{election_id}.zip",
            media_type="application/zip",
            headers=cache,
        )

    # -- contexts ------------------------------------------------------------------------------

    @staticmethod
    def _show_context(
        db_session: Session, account: Account | None, election_id: uuid.UUID
    ) -> dict[str, Any]:
        view = services.readable_referendum(db_session, election_id, account)
        return {
            "view": view,
            "account": account,
            "explanation": services.paragraphs(view.referendum.explanation),
            "arguments_for": services.paragraphs(view.referendum.arguments_for),
            "arguments_against": services.paragraphs(view.referendum.arguments_against),
            "thread": services.comments(db_session, view, account),
            "may_vote": services.may_vote_online(db_session, account, view),
            "may_manage": services.may_manage(db_session, account, view.unit),
            "may_commission": services.may_see_commission(db_session, account, view),
            "is_postal": _is_postal(db_session, account),
            "comment_form": None,
            "comment_errors": {},
            "comment_max": services.COMMENT_MAX,
            "local_time": services.local_time,
            "Status": ElectionStatus,
        }

    @staticmethod
    def _manage_context(
        db_session: Session,
        account: Account,
        election_id: uuid.UUID,
        error: DomainError | None,
    ) -> dict[str, Any]:
        view = services.managed_referendum(db_session, election_id, account)
        now = utcnow()
        election = view.election
        return {
            "view": view,
            "trustees": services.ceremony_progress(db_session, view),
            "backups": current_backups(db_session, election),
            "without_backup": _without_backup(db_session, view)
            if election.status in _BEFORE_OPENING
            else [],
            "open_error": None,
            "may_change": services.may_still_change(view),
            "may_edit": services.may_still_change(view),
            "may_freeze": election.status == ElectionStatus.KEYS and now >= election.cutoff_at,
            "may_open": election.status == ElectionStatus.ROLL_FROZEN
            and election.opens_at <= now < election.closes_at,
            "error": error,
            "local_time": services.local_time,
            "Status": ElectionStatus,
        }

    def _manage_step(
        self,
        db_session: Session,
        account: Account,
        election_id: uuid.UUID,
        step: Callable[[], object],
        *,
        passes: tuple[type[DomainError], ...] = (Forbidden, NotFound),
        done: Response[Any] | None = None,
    ) -> Response[Any]:
        """Run a step on the management page: then ``done`` (by default the page again);
        a step the rules refuse (a wrong state) shows the page with why. ``passes`` go
        on to the error pages (no right to manage it, or nothing to manage)."""
        after = done if done is not None else Redirect(path=f"/referendums/{election_id}/manage")
        return submit(
            db_session,
            step,
            refused=lambda error: self._manage_refused(db_session, account, election_id, error),
            done=lambda _: after,
            refusals=(DomainError,),
            passes=passes,
        )

    def _manage_refused(
        self, db_session: Session, account: Account, election_id: uuid.UUID, error: DomainError
    ) -> Template:
        db_session.rollback()
        return Template(
            "referendums/manage.html",
            context=self._manage_context(db_session, account, election_id, error),
            status_code=error.status_code,
        )


def _published(
    db_session: Session, election_id: uuid.UUID
) -> tuple[services.ReferendumView, services.Results]:
    """A referendum whose result is published, and the result. Counted is not
    published: two commission members must state and confirm first."""
    require_published(db_session, election_id)
    view = services.get_referendum(db_session, election_id)
    return view, services.results(view)


def _is_postal(db_session: Session, account: Account | None) -> bool:
    if account is None or account.member_id is None:
        return False
    member = db_session.get(Member, account.member_id)
    return bool(member and member.postal_vote)
