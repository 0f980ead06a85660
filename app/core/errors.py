"""Domain errors raised by services, and their mapping to HTTP responses.

Services raise ``DomainError`` subclasses carrying a message id; the handlers here turn
them (and Litestar's own HTTP errors) into a translated page or an htmx fragment. No
exception detail or stack trace ever reaches the client.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import DataError, IntegrityError

from app.core.i18n import N_, gettext

log = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = HTTP_400_BAD_REQUEST
    message = N_("The request could not be processed.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.params = params


class NotFound(DomainError):
    status_code = HTTP_404_NOT_FOUND
    message = N_("This page does not exist or you may not see it.")


class Forbidden(DomainError):
    status_code = HTTP_403_FORBIDDEN
    message = N_("You are not allowed to do this.")


class Conflict(DomainError):
    status_code = HTTP_409_CONFLICT
    message = N_("This conflicts with the current state.")


class TooManyAttempts(DomainError):
    status_code = HTTP_429_TOO_MANY_REQUESTS
    message = N_("Too many attempts. Please wait {minutes} minutes and try again.")


class ValidationFailed(DomainError):
    message = N_("Please check your input.")

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors


CSRF_MESSAGE = N_(
    "The form has expired or was sent from elsewhere. Please reload the page and try again."
)
_HTTP_MESSAGES = {
    400: N_("The request could not be processed."),
    401: N_("Please log in first."),
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist or you may not see it."),
    405: N_("This action is not available here."),
    429: N_("Too many requests. Please wait a moment and try again."),
}


def _error_page(
    request: Request[Any, Any, Any], status: int, message: str, params: dict[str, Any]
) -> Response[Any]:
    wants_html = "text/html" in request.headers.get("accept", "text/html")
    if not wants_html and not request.headers.get("hx-request"):
        return Response(
            {"error": gettext(message).format(**params), "status": status},
            status_code=status,
            media_type=MediaType.JSON,
        )
    # A path that matches no route fails before the route's middleware runs, so the
    # session middleware never set a user; the page layout asks for one.
    request.scope.setdefault("user", None)
    request.scope.setdefault("auth", None)
    return Template(
        template_name="error.html",
        context={"status": status, "message": message, "params": params},
        status_code=status,
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _error_page(request, exc.status_code, exc.message, exc.params)


SESSION_EXPIRED_STATE = "session_expired"
"""Set in ``scope["state"]`` by the session middleware when a session cookie came in
whose session has ended (idle or absolute timeout, logout elsewhere)."""
_MAX_RETURN_PATH = 200


def _session_expired(request: Request[Any, Any, Any]) -> bool:
    return bool(request.scope.get("state", {}).get(SESSION_EXPIRED_STATE))


def _return_path(request: Request[Any, Any, Any]) -> str | None:
    """The page to come back to after login: the requested page itself for a GET, for
    a form sent with an ended session the nearest page above it that can be opened."""
    path = request.url.path
    if request.method in {"GET", "HEAD"}:
        query = request.url.query
        full = f"{path}?{query}" if query else path
        return full if len(full) <= _MAX_RETURN_PATH else path[:_MAX_RETURN_PATH] or None
    while path not in {"", "/"}:
        try:
            request.app.asgi_router.handle_routing(path, "GET")
        except HTTPException:
            path = path.rstrip("/").rsplit("/", 1)[0]
            continue
        return path if len(path) <= _MAX_RETURN_PATH else None
    return None


def _to_login(request: Request[Any, Any, Any], *, expired: bool) -> Response[Any]:
    """Send a logged-out visitor to the login page, keeping where they wanted to go."""
    from litestar.response import Redirect

    from app.core.web import flash_cookie

    target = _return_path(request)
    location = f"/login?next={quote(target, safe='/')}" if target else "/login"
    settings = request.app.state.settings
    cookies = [flash_cookie("session_expired", settings)] if expired else []
    return Redirect(path=location, cookies=cookies)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == HTTP_403_FORBIDDEN and "CSRF" in str(exc.detail):
        if _session_expired(request):
            # The form is refused because its session ended: say that, not "expired form".
            return _to_login(request, expired=True)
        return _error_page(request, status, CSRF_MESSAGE, {})
    if status == 401:  # noqa: PLR2004
        return _to_login(request, expired=_session_expired(request))
    message = _HTTP_MESSAGES.get(status, "The request could not be processed.")
    return _error_page(request, status, message, {})


CONFLICT_MESSAGE = N_(
    "Someone else changed this at the same moment, or it exists already. "
    "Please reload the page and check."
)
BAD_VALUE_MESSAGE = N_("A value is too long or out of range. Please check your input.")


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A unique or foreign-key constraint lost a race (two registrations at once, a
    double submit): the database kept its rules, the person gets a 409 to retry. The
    log names the constraint, never the values (the engine hides parameters)."""
    log.warning(
        "integrity conflict on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__
    )
    return _error_page(request, HTTP_409_CONFLICT, CONFLICT_MESSAGE, {})


def bad_value_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (a 20-digit id, a string over its column's
    length on PostgreSQL): the input was wrong, so 400, not 500."""
    log.info("value refused on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return _error_page(request, HTTP_400_BAD_REQUEST, BAD_VALUE_MESSAGE, {})


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc
    )
    message = N_("Something went wrong on our side. Please try again later.")
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, message, {})


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    IntegrityError: integrity_error_handler,
    DataError: bad_value_handler,  # PostgreSQL: value too long, integer out of range
    OverflowError: bad_value_handler,  # SQLite: an integer beyond 64 bits
    Exception: internal_error_handler,
}
