"""Pages of the second factor: the code step of the login, set-up, passkeys, recovery codes.

Thin handlers: they find the (half-)session, call ``SecondFactorService`` and pick a
page. The rules, limits and audit events are in ``app.accounts.second_factor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from app.accounts import totp
from app.accounts.controllers import expired_session_cookie, session_cookie
from app.accounts.current import required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.accounts.redirects import next_cookie, pending_target
from app.accounts.second_factor import (
    Completed,
    InvalidCode,
    PasskeyRefused,
    SecondFactorService,
    SetupExpired,
    TooManyWrongCodes,
)
from app.accounts.sessions import LoadedSession
from app.core.errors import DomainError, TooManyAttempts, ValidationFailed
from app.core.form_pages import flash_redirect
from app.core.i18n import gettext
from app.core.settings import Settings
from app.core.web import client_address, flash_message

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def provide_second_factor_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session]
) -> SecondFactorService:
    return SecondFactorService(db_session, request.app.state.settings, request.app.state.hasher)


@dataclass
class CodeForm:
    code: str = ""


@dataclass
class PasskeyLoginForm:
    credential: str = ""


@dataclass
class PasskeyForm:
    credential: str = ""
    name: str = ""


@dataclass
class PasswordOnlyForm:
    password: str = ""


class SecondFactorController(Controller):
    dependencies = {"second_factor": Provide(provide_second_factor_service, sync_to_thread=False)}

    # -- the login step -------------------------------------------------------------------

    @get("/login/totp", sync_to_thread=True)
    def login_step_page(
        self, request: Request[Any, Any, Any], second_factor: NamedDependency[SecondFactorService]
    ) -> Template:
        pending = _pending_session(request, second_factor)
        return _login_step(second_factor, pending)

    @post("/login/totp", sync_to_thread=True)
    def login_step_code(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        data: Annotated[CodeForm, Form],
    ) -> Response[Any]:
        pending = _pending_session(request, second_factor)
        return _second_step(
            request,
            second_factor,
            pending,
            lambda: second_factor.check_code(pending, data.code, address=client_address(request)),
            wrong=(InvalidCode, PasskeyRefused),
        )

    @post("/login/passkey", sync_to_thread=True)
    def login_step_passkey(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        data: Annotated[PasskeyLoginForm, Form],
    ) -> Response[Any]:
        pending = _pending_session(request, second_factor)
        return _second_step(
            request,
            second_factor,
            pending,
            lambda: second_factor.check_passkey(
                pending, data.credential, address=client_address(request)
            ),
            wrong=(InvalidCode,),
            wrong_message=PasskeyRefused.message,
        )

    # -- authenticator app set-up ---------------------------------------------------------

    @get("/account/totp", sync_to_thread=True)
    def totp_setup_page(
        self, request: Request[Any, Any, Any], second_factor: NamedDependency[SecondFactorService]
    ) -> Template:
        return _totp_setup(second_factor, _enrolling_session(request, second_factor))

    @post("/account/totp", sync_to_thread=True)
    def totp_setup(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        data: Annotated[CodeForm, Form],
    ) -> Response[Any]:
        # Only the code is read from the form: the key is the one this session was
        # offered (a ``secret`` field a client adds is never looked at).
        loaded = _enrolling_session(request, second_factor)
        try:
            done = second_factor.enable_totp(loaded, data.code)
        except (InvalidCode, SetupExpired) as error:
            return _totp_setup(second_factor, loaded, error=error.message)
        return _enrolled(request, done, "totp_enabled")

    @post("/account/totp/disable", guards=[requires_login], sync_to_thread=True)
    def totp_disable(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        db_session: NamedDependency[Session],
        data: Annotated[CodeForm, Form],
    ) -> Response[Any]:
        second_factor.disable_totp(
            _account(db_session, request), data.code, address=client_address(request)
        )
        return flash_redirect("/account/security", "totp_disabled", request.app.state.settings)

    # -- the security page: passkeys and recovery codes ----------------------------------

    @get("/account/security", guards=[requires_login], sync_to_thread=True)
    def security_page(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        db_session: NamedDependency[Session],
    ) -> Template:
        account = _account(db_session, request)
        context = _security_context(second_factor, request, account)
        return Template("accounts/security.html", context=context)

    @post("/account/passkeys", sync_to_thread=True)
    def add_passkey(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        data: Annotated[PasskeyForm, Form],
    ) -> Response[Any]:
        loaded = _enrolling_session(request, second_factor)
        try:
            done = second_factor.add_passkey(loaded, data.credential, data.name)
        except (PasskeyRefused, SetupExpired) as error:
            page = "/account/security" if loaded.second_factor_done else "/account/totp"
            return Template(
                "accounts/passkey_refused.html",
                context={"error": error.message, "back": page},
                status_code=400,
            )
        return _enrolled(request, done, "passkey_added")

    @post("/account/passkeys/{passkey_id:int}/delete", guards=[requires_login], sync_to_thread=True)
    def remove_passkey(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        db_session: NamedDependency[Session],
        passkey_id: FromPath[int],
    ) -> Response[Any]:
        second_factor.remove_passkey(_account(db_session, request), passkey_id)
        return flash_redirect("/account/security", "passkey_removed", request.app.state.settings)

    @post("/account/recovery-codes", guards=[requires_login], sync_to_thread=True)
    def regenerate_recovery_codes(
        self,
        request: Request[Any, Any, Any],
        second_factor: NamedDependency[SecondFactorService],
        db_session: NamedDependency[Session],
        data: Annotated[PasswordOnlyForm, Form],
    ) -> Response[Any]:
        account = _account(db_session, request)
        try:
            codes = second_factor.regenerate_recovery_codes(
                account, data.password, address=client_address(request)
            )
        except ValidationFailed as error:
            context = {**_security_context(second_factor, request, account), "errors": error.errors}
            return Template("accounts/security.html", context=context, status_code=400)
        return Template("accounts/recovery_codes.html", context={"codes": codes, "fresh": True})


# -- helpers --------------------------------------------------------------------------------


def _account(db_session: Session, request: Request[Any, Any, Any]) -> Account:
    return required_account(db_session, request, missing=NotAuthorizedException)


def _second_step(
    request: Request[Any, Any, Any],
    second_factor: SecondFactorService,
    pending: LoadedSession,
    check: Callable[[], str],
    *,
    wrong: tuple[type[DomainError], ...],
    wrong_message: str | None = None,
) -> Response[Any]:
    """The answer to a code or passkey at the login step: in (to where the visitor was
    going before the login), the step again (wrong, or too fast), or back to the
    password form (too many wrong: the half-finished login has ended)."""
    try:
        token = check()
    except wrong as error:
        message = wrong_message or error.message
        return _login_step(second_factor, pending, error=message, status=400)
    except TooManyWrongCodes as error:
        return _back_to_login(request, error)
    except TooManyAttempts as error:
        message = gettext(error.message).format(**error.params)
        return _login_step(second_factor, pending, error=message, status=429)
    settings: Settings = request.app.state.settings
    return Redirect(
        path=pending_target(request),
        cookies=[session_cookie(settings, token), next_cookie(settings, None)],
    )


def _pending_session(
    request: Request[Any, Any, Any], second_factor: SecondFactorService
) -> LoadedSession:
    """A half-finished login whose account has a factor to check."""
    auth = request.auth
    if not isinstance(auth, LoadedSession) or auth.second_factor_done:
        raise NotAuthorizedException
    if second_factor.may_enrol(auth):  # nothing to check: it has no factor yet
        raise NotAuthorizedException
    return auth


def _enrolling_session(
    request: Request[Any, Any, Any], second_factor: SecondFactorService
) -> LoadedSession:
    """A complete session, or a half-finished one of an account without any factor.

    A half-finished login must not replace or add to an existing second factor: that
    would let a password alone take over the account's second factor.
    """
    auth = request.auth
    if not isinstance(auth, LoadedSession) or not second_factor.may_enrol(auth):
        raise NotAuthorizedException
    return auth


def _login_step(
    second_factor: SecondFactorService,
    pending: LoadedSession,
    *,
    error: str | None = None,
    status: int = 200,
) -> Template:
    context = {
        "error": error,
        "has_totp": pending.account.has_totp,
        "passkey_options": _parsed(second_factor.passkey_login_options(pending)),
    }
    return Template("accounts/totp_login.html", context=context, status_code=status)


def _back_to_login(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    """The half-finished login is gone: say why, on the password form."""
    settings: Settings = request.app.state.settings
    return Template(
        "accounts/login.html",
        context={"error": error.message, "error_params": error.params, "next": ""},
        status_code=error.status_code,
        cookies=[expired_session_cookie(settings)],
    )


def _enrolled(request: Request[Any, Any, Any], done: Completed, flash: str) -> Response[Any]:
    """After the first factor, show the recovery codes once; otherwise go back."""
    settings: Settings = request.app.state.settings
    cookie = session_cookie(settings, done.token)
    if done.recovery_codes:
        return Template(
            "accounts/recovery_codes.html",
            context={"codes": done.recovery_codes, "fresh": False},
            cookies=[cookie],
        )
    return flash_redirect("/account/security", flash, settings, cookies=[cookie])


def _totp_setup(
    second_factor: SecondFactorService, loaded: LoadedSession, *, error: str | None = None
) -> Template:
    """The set-up page with a key offered to this session (again, after a wrong code:
    400 with ``error``)."""
    secret = second_factor.offer_totp_secret(loaded)
    context = {
        **_totp_context(loaded.account, secret),
        **_passkey_context(second_factor, loaded),
    }
    if error is None:
        return Template("accounts/totp_setup.html", context=context)
    return Template(
        "accounts/totp_setup.html", context={**context, "error": error}, status_code=400
    )


def _totp_context(account: Account, secret: str) -> dict[str, Any]:
    uri = totp.provisioning_uri(secret, account.email)
    return {"secret": secret, "qr_svg": totp.qr_svg(uri), "uri": uri}


def _passkey_context(second_factor: SecondFactorService, loaded: LoadedSession) -> dict[str, Any]:
    return {"registration_options": _parsed(second_factor.passkey_registration_options(loaded))}


def _parsed(options: str | None) -> Any:
    """Options as data, so the template's ``tojson`` escapes them for the page."""
    return json.loads(options) if options else None


def _security_context(
    second_factor: SecondFactorService, request: Request[Any, Any, Any], account: Account
) -> dict[str, Any]:
    loaded = request.auth
    assert isinstance(loaded, LoadedSession)  # guarded by requires_login
    return {
        "account": account,
        "passkeys": second_factor.passkeys_of(account),
        "recovery_left": second_factor.remaining_recovery_codes(account),
        "flash": flash_message(request),
        **_passkey_context(second_factor, loaded),
    }
