"""Pages for getting in: registration, password help and member activation.

Registration and "forgot password" answer at once and the same way for every address;
what the address leads to (a guest account, a member's activation, a reset link, or
nothing) is done after the response has been sent (``_after_response``), so neither
the answer nor its timing tells a stranger anything.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from app.accounts.controllers import RegisterForm, password_form
from app.accounts.current import required_account
from app.accounts.guards import requires_login
from app.accounts.redirects import safe_path
from app.accounts.services import AccountService, InvalidLink
from app.core import i18n
from app.core.db import Database
from app.core.downloads import CSV, attachment
from app.core.errors import ValidationFailed
from app.core.form_pages import flash_redirect, form_page, submit
from app.core.settings import Settings
from app.core.web import client_address
from app.organisations import units
from app.organisations.access import ActivationRefused, MemberAccess

log = logging.getLogger(__name__)
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class EmailForm:
    email: str = ""


@dataclass
class ActivationForm:
    token: str = ""
    password: str = ""
    password_repeat: str = ""


@dataclass
class NumberForm:
    membership_number: str = ""
    email: str = ""
    next: str = ""


@dataclass
class CodeForm:
    membership_number: str = ""
    code: str = ""
    email: str = ""
    next: str = ""


@dataclass
class UnitForm:
    unit_code: str = ""
    confirm: str = ""
    expected: str = ""


def _access(request: Request[Any, Any, Any], db_session: Session) -> MemberAccess:
    return MemberAccess(db_session, request.app.state.settings, request.app.state.hasher)


def _after_response(
    request: Request[Any, Any, Any], work: Callable[[MemberAccess], None]
) -> BackgroundTask:
    """Run ``work`` in its own session once the response is out.

    Failures are logged (without addresses) and never reach the visitor, who has
    already had the answer that is the same for everyone.
    """
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.database
    hasher = request.app.state.hasher

    def run() -> None:
        with database.session() as session:
            try:
                work(MemberAccess(session, settings, hasher))
            except Exception:
                session.rollback()
                log.exception("work after the response failed")

    async def in_thread() -> None:
        await anyio.to_thread.run_sync(run)

    return BackgroundTask(in_thread)


def _login_target(next_path: str | None) -> str:
    target = safe_path(next_path)
    return f"/login?next={quote(target, safe='/')}" if target else "/login"


class AccessController(Controller):
    # -- guest registration (a register address leads to the member's activation) ---------

    @get("/register", sync_to_thread=False)
    def register_page(self) -> Template:
        return Template("accounts/register.html", context={"form": RegisterForm()})

    @post("/register", sync_to_thread=True)
    def register(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[RegisterForm, Form],
    ) -> Response[Any]:
        return submit(
            None,
            lambda: accounts.check_registration(
                email=data.email,
                display_name=data.display_name,
                password=data.password,
                locale=i18n.current_locale(),
                accepted_privacy_notice=bool(data.accept_terms),
                address=client_address(request),
            ),
            refused=lambda error: form_page(
                "accounts/register.html", {"form": data, "errors": error.errors}
            ),
            done=lambda registration: flash_redirect(
                "/login",
                "registered",
                request.app.state.settings,
                background=_after_response(
                    request, lambda access: access.deliver_registration(registration)
                ),
            ),
        )

    # -- password help (a member not yet active gets the activation) ------------------------

    @get("/password/forgot", sync_to_thread=False)
    def forgot_page(self) -> Template:
        return Template("accounts/forgot.html")

    @post("/password/forgot", sync_to_thread=True)
    def forgot(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[EmailForm, Form],
    ) -> Response[Any]:
        email = accounts.request_password_reset(data.email, address=client_address(request))
        return flash_redirect(
            "/login",
            "reset_sent",
            request.app.state.settings,
            background=_after_response(request, lambda access: access.send_password_help(email)),
        )

    # -- activation with the mailed link ------------------------------------------------------

    @get("/activate", sync_to_thread=True)
    def activate_page(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        token: FromQuery[str] = "",
    ) -> Template:
        member = _access(request, db_session).activation_target(token)
        context: dict[str, Any] = {"token": token, "action": "/activate", "activation": True}
        if member is None:
            context |= {"error": InvalidLink.message, "link_invalid": True}
            return Template("accounts/set_password.html", context=context, status_code=400)
        context["member_name"] = member.full_name
        return Template("accounts/set_password.html", context=context)

    @post("/activate", sync_to_thread=True)
    def activate(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[ActivationForm, Form],
    ) -> Response[Any]:
        return password_form(
            "accounts/set_password.html",
            {"token": data.token, "action": "/activate", "activation": True},
            data,
            lambda: _access(request, db_session).complete_activation(data.token, data.password),
            lambda done: flash_redirect(
                _login_target(done[1]), "activated", request.app.state.settings
            ),
            db_session=db_session,
            mark_invalid_link=True,
        )

    # -- getting in alone: membership number, or the code from a letter -----------------------

    @get("/activate/start", sync_to_thread=False)
    def start_page(self, request: Request[Any, Any, Any]) -> Template:
        target = safe_path(request.query_params.get("next"))
        return Template("accounts/activate_start.html", context={"next": target})

    @post("/activate/start", sync_to_thread=True)
    def start(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[NumberForm, Form],
    ) -> Response[Any]:
        return _start(
            request,
            db_session,
            data,
            "number",
            lambda access: access.request_by_number(
                data.membership_number,
                data.email,
                address=client_address(request),
                next_path=data.next,
            ),
        )

    @post("/activate/code", sync_to_thread=True)
    def start_with_code(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[CodeForm, Form],
    ) -> Response[Any]:
        return _start(
            request,
            db_session,
            data,
            "code",
            lambda access: access.request_by_code(
                data.membership_number,
                data.code,
                data.email,
                address=client_address(request),
                next_path=data.next,
            ),
        )

    # -- staff: one member's activation, the letter codes --------------------------------------

    @post("/members/{member_id:int}/activation", guards=[requires_login], sync_to_thread=True)
    def resend(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        member_id: FromPath[int],
    ) -> Response[Any]:
        actor = required_account(db_session, request)
        outcome = _access(request, db_session).resend(actor, member_id)
        flash = "activation_resent" if outcome == "sent" else "activation_not_needed"
        return flash_redirect(f"/members/{member_id}", flash, request.app.state.settings)

    @post("/admin/letter-codes", guards=[requires_login], sync_to_thread=True)
    def letter_codes(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[UnitForm, Form],
    ) -> Response[Any]:
        actor = required_account(db_session, request)
        unit = units.get_unit(db_session, data.unit_code.strip())
        rows = _access(request, db_session).issue_letter_codes(unit, actor=actor)
        return attachment(letter_codes_csv(rows), CSV, f"aktivierungscodes-{unit.code}.csv")


def letter_codes_csv(rows: list[Any]) -> str:
    """The letter export: one row per member without e-mail, with the one-time code."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["membership_number", "name", "street", "postcode", "city", "code"])
    for row in rows:
        cells = [row.membership_number, row.name, row.street, row.postcode, row.city, row.code]
        writer.writerow([_no_formula(cell) for cell in cells])
    return out.getvalue()


def _no_formula(cell: str) -> str:
    """Register data opened in a spreadsheet must not run as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in {"=", "+", "-", "@", "\t", "\r"} else cell


def _start(
    request: Request[Any, Any, Any],
    db_session: Session,
    form: NumberForm | CodeForm,
    which: str,
    ask: Callable[[MemberAccess], object],
) -> Response[Any]:
    """Getting in alone, by membership number or by letter code: the mail goes out, or
    the start page again with why not."""
    return submit(
        db_session,
        lambda: ask(_access(request, db_session)),
        refused=lambda error: _start_refused(form, error, which),
        done=lambda _: flash_redirect("/login", "activation_sent", request.app.state.settings),
        refusals=(ActivationRefused, ValidationFailed),
    )


def _start_refused(form: NumberForm | CodeForm, error: Exception, which: str) -> Template:
    context: dict[str, Any] = {"next": safe_path(form.next), "which": which}
    if isinstance(error, ValidationFailed) and error.errors:
        context["errors"] = error.errors
    else:
        context["error"] = getattr(error, "message", ActivationRefused.message)
    context["form"] = form
    return Template("accounts/activate_start.html", context=context, status_code=400)
