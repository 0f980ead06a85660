"""The form pattern of every HTML page: try the action, then either the form's page again
with what was wrong (400, nothing stored) or a redirect with a flash message.

    return submit(
        db_session,
        lambda: roles.grant_role(db_session, account, email=data.email, ...),
        refused=lambda error: form_page("admin/roles.html", {**context(), "errors": error.errors}),
        done=lambda _: flash_redirect("/admin/roles", "role_granted", settings),
    )

``submit`` rolls the session back before the page is drawn again, so a half-done change
is never committed by a later step of the same request and the page shows what is
stored. Which errors count as "the input was wrong" is the caller's choice
(``refusals``); anything else goes on to the exception handlers of ``app.core.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from litestar import Response
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlalchemy.orm import Session

from app.core.errors import DomainError, ValidationFailed
from app.core.settings import Settings
from app.core.web import flash_cookie

T = TypeVar("T")


def form_page(
    template: str, context: dict[str, Any], *, status: int = HTTP_400_BAD_REQUEST
) -> Template:
    """The form's page again, refused: by default 400 (the input was wrong)."""
    return Template(template, context=context, status_code=status)


def flash_redirect(
    path: str,
    flash: str,
    settings: Settings,
    *,
    cookies: Sequence[Cookie] = (),
    background: BackgroundTask | None = None,
) -> Redirect:
    """After a change: to ``path``, which shows the flash message ``flash``
    (a key of ``app.core.web.FLASH_MESSAGES``). ``cookies`` are set before it."""
    return Redirect(
        path=path, cookies=[*cookies, flash_cookie(flash, settings)], background=background
    )


def submit(
    db_session: Session | None,
    action: Callable[[], T],
    *,
    refused: Callable[[Any], Response[Any]],
    done: Callable[[T], Response[Any]],
    refusals: tuple[type[DomainError], ...] = (ValidationFailed,),
    passes: tuple[type[DomainError], ...] = (),
) -> Response[Any]:
    """Run ``action``; on one of ``refusals`` roll back (``db_session`` given) and answer
    ``refused(error)``, else ``done(result)``. ``passes`` are kinds of ``refusals`` that
    go on to the exception handlers all the same (``NotFound`` among ``DomainError``:
    a 404 page, not the form with a message)."""
    try:
        result = action()
    except passes:
        raise
    except refusals as error:
        if db_session is not None:
            db_session.rollback()
        return refused(error)
    return done(result)


def refusal_fields(error: DomainError) -> dict[str, Any]:
    """What a form page shows of a refusal: the wrong fields (``errors``, from
    ``ValidationFailed``) or one message for the whole form (``error``)."""
    if isinstance(error, ValidationFailed):
        return {"errors": error.errors}
    return {"error": error.message}
