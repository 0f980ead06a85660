"""The JSON error body every JSON API of Stimmwerk answers with.

``{"error": code, "message": text, ...}``: ``code`` is stable for programs, ``message`` is
for people, translated into the request's language (German first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from app.core.errors import CSRF_MESSAGE
from app.core.i18n import N_, gettext
from app.core.inputs import MALFORMED_MESSAGE, TOO_LARGE_MESSAGE

LOGIN_REQUIRED_MESSAGE = N_("Please log in first.")
RATE_LIMITED_MESSAGE = N_(
    "Too many requests from your network address. Please wait a minute and try again; "
    "nothing has been recorded."
)


def api_error(
    code: str, message: str, status: int, *, params: dict[str, Any] | None = None, **extra: Any
) -> Response[Any]:
    """A JSON error: ``message`` is a msgid, translated here, then filled with ``params``."""
    text = gettext(message)
    if params:
        # A message without those placeholders stays as it is.
        with contextlib.suppress(KeyError, IndexError, ValueError):
            text = text.format(
                **{k: gettext(v) if isinstance(v, str) else v for k, v in params.items()}
            )
    body: dict[str, Any] = {"error": code, "message": text, **extra}
    return Response(body, status_code=status, media_type=MediaType.JSON)


def json_http_errors(
    not_found: str, *, keep_client_status: bool = True
) -> Callable[[Request[Any, Any, Any], HTTPException], Response[Any]]:
    """A handler for Litestar's own errors on a JSON API (CSRF, body size, no login,
    parsing) that answers in the API's codes: ``csrf_failed``, ``too_large``,
    ``login_required``, ``not_found`` (with ``not_found``, e.g. "There is no such
    election.") and else ``malformed``. ``keep_client_status``: a ``malformed`` keeps
    a 4xx status as it came (405 stays 405); otherwise it is always 400. A 5xx never
    reaches the client as such."""

    def handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        status = exc.status_code
        if status == HTTP_403_FORBIDDEN and "CSRF" in str(exc.detail):
            return api_error("csrf_failed", CSRF_MESSAGE, status)
        if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
            return api_error("too_large", TOO_LARGE_MESSAGE, status)
        if status == HTTP_401_UNAUTHORIZED:
            return api_error("login_required", LOGIN_REQUIRED_MESSAGE, status)
        if status == HTTP_404_NOT_FOUND:
            return api_error("not_found", not_found, status)
        kept = keep_client_status and status < HTTP_500_INTERNAL_SERVER_ERROR
        return api_error("malformed", MALFORMED_MESSAGE, status if kept else HTTP_400_BAD_REQUEST)

    return handler


def too_many_requests() -> Response[Any]:
    """429 ``rate_limited`` with ``Retry-After`` (the limits count per minute)."""
    response = api_error("rate_limited", RATE_LIMITED_MESSAGE, HTTP_429_TOO_MANY_REQUESTS)
    response.headers["Retry-After"] = "60"
    return response
