"""Web plumbing shared by every controller: headers, locale, flash messages, DB session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.status_codes import HTTP_200_OK
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.orm import Session

from app.core import i18n
from app.core.db import Database
from app.core.i18n import N_
from app.core.settings import Settings

CONTENT_SECURITY_POLICY = "; ".join(  # noqa: FLY002 - one directive per line reads better
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
    }
    if settings.security.hsts_seconds:
        headers["strict-transport-security"] = (
            f"max-age={settings.security.hsts_seconds}; includeSubDomains"
        )
    return headers


class SecurityHeadersMiddleware:
    """Adds the security headers and the request's locale to every HTTP response.

    A plain ASGI middleware (not a Litestar hook) so that error pages, static files and
    redirects get the headers too.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        token = i18n.set_locale(_locale_of(connection))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-language", i18n.current_locale())
                if scope["path"] != "/static" and not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
                if message["status"] == HTTP_200_OK and FLASH_COOKIE in connection.cookies:
                    # The page showing the flash message consumes it.
                    headers.add("set-cookie", f"{FLASH_COOKIE}=; Max-Age=0; Path=/")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n._current_locale.reset(token)  # noqa: SLF001 - same module family


def _locale_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return i18n.pick_locale(
        connection.cookies.get(i18n.LOCALE_COOKIE), connection.headers.get("accept-language")
    )


def make_security_headers_middleware(settings: Settings) -> Any:
    def factory(app: ASGIApp) -> ASGIApp:
        return SecurityHeadersMiddleware(app, settings)

    return factory


REQUEST_DB_SESSION = "stimmwerk.db_session"
"""Scope state key of a database session opened before the handler (by the login
session middleware): the handler continues in it instead of opening a second one."""


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[Session]:
    """The request's session, closed on the event loop, not in the handlers' thread pool.

    Litestar runs the cleanup of a *sync* generator dependency in the same thread pool as
    the ``sync_to_thread`` handlers. A handler that returned with its transaction open
    (any read after its last commit) keeps its pooled connection until that cleanup
    runs; under load (seen with 64 concurrent survey answers on two workers) every
    thread was a handler waiting for a connection, the cleanups got no thread, and
    requests hung until the pool's 30 s timeout. Closing here needs no thread: it is a
    rollback round trip on an idle connection and its return to the pool.

    A request with a login cookie gets the session its login was read in (see
    ``REQUEST_DB_SESSION``): one pooled connection per request, not two.
    """
    session = request.scope.get("state", {}).get(REQUEST_DB_SESSION)
    if session is None:
        database: Database = request.app.state.database
        session = database.sessions()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client address as the ASGI server saw it (run uvicorn with --proxy-headers
    behind a trusted proxy so this is the real client)."""
    return request.client.host if request.client else "unknown"


FLASH_COOKIE = "stimmwerk_flash"
# Only these keys are ever shown, so a forged cookie can at most pick one of them.
FLASH_MESSAGES = {
    "saved": N_("Your changes have been saved."),
    "referendum_created": N_(
        "The member referendum has been saved. Next, the trustees hold the key ceremony on "
        "their commission page; their progress is shown below."
    ),
    "logged_out": N_("You have been logged out."),
    "registered": N_(
        "Almost done: we have sent you an e-mail with a link to confirm your address."
    ),
    "verified": N_("Your e-mail address is confirmed. You can log in now."),
    "activated": N_("Your account is active. You can log in now."),
    "reset_sent": N_(
        "If an account exists for this address, we have sent a link to reset the password."
    ),
    "password_reset": N_("Your password has been changed. Please log in with the new password."),
    "totp_enabled": N_("The second factor is active."),
    "totp_disabled": N_("The second factor is switched off."),
    "passkey_added": N_("The passkey has been added."),
    "passkey_removed": N_("The passkey has been removed."),
    "role_granted": N_("The role has been granted."),
    "role_revoked": N_("The role has been revoked."),
    "invitations_sent": N_("Activation e-mails are on their way."),
    "email_change_sent": N_("We have sent a confirmation link to the new address."),
    "email_changed": N_("Your e-mail address has been changed."),
    "email_change_undone": N_(
        "Your old e-mail address is back, with your new password. Please log in."
    ),
    "activation_sent": N_(
        "We have sent you an e-mail with a link to activate your account. Please check your inbox."
    ),
    "activation_resent": N_("The activation e-mail has been sent again."),
    "activation_not_needed": N_(
        "No activation e-mail was sent: the member's account is already active or the "
        "address belongs to another login."
    ),
    "session_expired": N_("You were logged out. Please log in again to continue."),
}


def flash_cookie(key: str, settings: Settings) -> Cookie:
    return Cookie(
        key=FLASH_COOKIE,
        value=key,
        max_age=60,
        httponly=True,
        secure=settings.security.cookie_secure,
        samesite="lax",
        path="/",
    )


def flash_message(request: Request[Any, Any, Any]) -> str | None:
    return FLASH_MESSAGES.get(request.cookies.get(FLASH_COOKIE, ""))
