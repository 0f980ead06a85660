"""Login, logout, second factor, guest registration, activation and password reset pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Protocol, TypeVar

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from app.accounts import tokens
from app.accounts.redirects import next_cookie, safe_next, safe_path
from app.accounts.services import AccountService, InvalidLink, LoginFailed
from app.accounts.sessions import LoadedSession, cookie_name
from app.core import i18n
from app.core.errors import DomainError, ValidationFailed
from app.core.form_pages import flash_redirect, form_page, refusal_fields, submit
from app.core.i18n import N_
from app.core.settings import Settings
from app.core.web import client_address, flash_message

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
T = TypeVar("T")


def provide_account_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[Session]
) -> AccountService:
    return AccountService(db_session, request.app.state.settings, request.app.state.hasher)


def session_cookie(settings: Settings, token: str) -> Cookie:
    """The login cookie: host-only, Secure, HttpOnly, SameSite=Lax.

    Lax (not Strict) so that following a link from an e-mail keeps the member logged
    in; cross-site POSTs are stopped by the CSRF token on every form.
    """
    return Cookie(
        key=cookie_name(settings.security),
        value=token,
        path="/",
        secure=settings.security.cookie_secure,
        httponly=True,
        samesite="lax",
        max_age=settings.security.session_absolute_hours * 3600,
    )


def expired_session_cookie(settings: Settings) -> Cookie:
    cookie = session_cookie(settings, "")
    return Cookie(**{**cookie.__dict__, "max_age": 0, "expires": 0})


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class RegisterForm:
    email: str = ""
    display_name: str = ""
    password: str = ""
    accept_terms: str = ""


@dataclass
class TokenForm:
    token: str = ""


@dataclass
class PasswordForm:
    token: str = ""
    password: str = ""
    password_repeat: str = ""


@dataclass
class LanguageForm:
    locale: str = "de"
    next: str = "/"


class AccountController(Controller):
    @get("/login", sync_to_thread=False)
    def login_page(self, request: Request[Any, Any, Any]) -> Template:
        # Read by hand: the parameter is called "next", a Python builtin.
        target = safe_path(request.query_params.get("next"))
        return Template(
            "accounts/login.html", context={"next": target, "flash": flash_message(request)}
        )

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[LoginForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        old_token = request.cookies.get(cookie_name(settings.security))
        address = client_address(request)
        # An address over its failure limit waits (without holding a worker thread);
        # it is never refused for the address alone (throttle.address_delay).
        delay = await anyio.to_thread.run_sync(accounts.login_delay, address)
        if delay:
            await anyio.sleep(delay)
        try:
            result = await anyio.to_thread.run_sync(
                functools.partial(
                    accounts.log_in,
                    data.email,
                    data.password,
                    address=address,
                    replaces_token=old_token,
                )
            )
        except LoginFailed as error:
            return Template(
                "accounts/login.html",
                context={"error": error.message, "email": data.email, "next": safe_path(data.next)},
                status_code=400,
            )
        cookies = [session_cookie(settings, result.session_token)]
        target = safe_next(data.next)
        if result.second_factor_pending:
            cookies.append(next_cookie(settings, data.next))
            target = "/account/totp" if result.needs_enrolment else "/login/totp"
        return Redirect(path=target, cookies=cookies)

    @post("/logout", sync_to_thread=True)
    def logout(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        token = request.cookies.get(cookie_name(settings.security))
        if token:
            account_id = (
                request.auth.account.id if isinstance(request.auth, LoadedSession) else None
            )
            accounts.log_out(account_id, token)
        return flash_redirect(
            "/login", "logged_out", settings, cookies=[expired_session_cookie(settings)]
        )

    # -- guests ---------------------------------------------------------------------------

    @get("/register/verify", sync_to_thread=True)
    def verify_page(
        self, accounts: NamedDependency[AccountService], token: FromQuery[str] = ""
    ) -> Template:
        """The mailed link opens this page; only its button (POST) confirms the address,
        so a mail scanner fetching the link changes nothing."""
        return link_page(accounts, "accounts/verify.html", token, tokens.VERIFY_EMAIL)

    @post("/register/verify", sync_to_thread=True)
    def verify_email(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[TokenForm, Form],
    ) -> Response[Any]:
        accounts.verify_email(data.token)
        return flash_redirect("/login", "verified", request.app.state.settings)

    # -- password reset -------------------------------------------------------------------

    @get("/password/reset", sync_to_thread=True)
    def reset_page(
        self, accounts: NamedDependency[AccountService], token: FromQuery[str] = ""
    ) -> Template:
        return _password_page(accounts, token, tokens.RESET_PASSWORD, "/password/reset")

    @post("/password/reset", sync_to_thread=True)
    def reset(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        data: Annotated[PasswordForm, Form],
    ) -> Response[Any]:
        return _set_password(
            request, data, "/password/reset", accounts.reset_password, "password_reset"
        )

    # -- language ---------------------------------------------------------------------------

    @post("/language", sync_to_thread=False)
    def language(
        self, request: Request[Any, Any, Any], data: Annotated[LanguageForm, Form]
    ) -> Redirect:
        locale = data.locale if data.locale in i18n.SUPPORTED_LOCALES else i18n.DEFAULT_LOCALE
        settings: Settings = request.app.state.settings
        cookie = Cookie(
            key=i18n.LOCALE_COOKIE,
            value=locale,
            path="/",
            max_age=365 * 24 * 3600,
            secure=settings.security.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return Redirect(path=safe_path(data.next) or "/", cookies=[cookie])


def link_page(
    accounts: AccountService,
    template: str,
    token: str,
    purpose: str,
    *,
    mark_invalid_link: bool = False,
    **context: Any,
) -> Template:
    """The page a mailed link opens: its form (only the form's POST changes anything,
    so a mail scanner fetching the link does nothing), or at once, with 400, that the
    link cannot be used any more (``link_invalid`` too if ``mark_invalid_link``)."""
    valid = accounts.link_is_valid(token, purpose)
    page: dict[str, Any] = {"token": token, **context, "error": None}
    if not valid:
        page["error"] = InvalidLink.message
        if mark_invalid_link:
            page["link_invalid"] = True
    return Template(template, context=page, status_code=200 if valid else 400)


def _password_page(accounts: AccountService, token: str, purpose: str, action: str) -> Template:
    """The set-password form, or at once the error if the link cannot be used any more."""
    return link_page(
        accounts,
        "accounts/set_password.html",
        token,
        purpose,
        mark_invalid_link=True,
        action=action,
        activation=action == "/activate",
    )


PASSWORDS_DIFFER: Final = N_("The two passwords differ.")


class NewPassword(Protocol):
    password: str
    password_repeat: str


def password_form(
    template: str,
    context: dict[str, Any],
    data: NewPassword,
    apply: Callable[[], T],
    done: Callable[[T], Response[Any]],
    *,
    db_session: Session | None = None,
    mark_invalid_link: bool = False,
) -> Response[Any]:
    """A form that sets a password by a mailed link (reset, activation, undoing an
    address change): the two entries must agree, then ``apply``; a weak password or a
    used link shows the form again. ``mark_invalid_link`` adds ``link_invalid`` to
    the page for a used link (the page then offers a new one)."""
    if data.password != data.password_repeat:
        return form_page(template, {**context, "errors": {"password_repeat": PASSWORDS_DIFFER}})

    def refused(error: DomainError) -> Template:
        fields = refusal_fields(error)
        if mark_invalid_link and isinstance(error, InvalidLink):
            fields["link_invalid"] = True
        return form_page(template, {**context, **fields})

    return submit(
        db_session, apply, refused=refused, done=done, refusals=(ValidationFailed, InvalidLink)
    )


def _set_password(
    request: Request[Any, Any, Any], data: PasswordForm, action: str, apply: Any, flash: str
) -> Response[Any]:
    context: dict[str, Any] = {
        "token": data.token,
        "action": action,
        "activation": action == "/activate",
    }
    return password_form(
        "accounts/set_password.html",
        context,
        data,
        lambda: apply(data.token, data.password),
        lambda _: flash_redirect("/login", flash, request.app.state.settings),
    )


__all__ = ["AccountController", "DomainError"]
