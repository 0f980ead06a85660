"""The account behind a request, loaded in the request's own database session.

Every page that acts for the logged-in person starts here, so that handlers never read
``request.user`` (the session middleware's copy) for anything they change or show.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.errors import NotFound


def current_account(db_session: Session, request: Request[Any, Any, Any]) -> Account | None:
    """The logged-in account, or None for a visitor.

    The middleware read it in this request, in this same database session
    (``provide_db_session``), a moment ago, and checked it is not disabled; a copy
    of it joins the session without reading the row again (``load=False``), so that a
    handler may change it and commit as with any loaded row.
    """
    user = request.user
    if not isinstance(user, Account):
        return None
    return db_session.merge(user, load=False)


def required_account(
    db_session: Session,
    request: Request[Any, Any, Any],
    *,
    missing: type[Exception] = NotFound,
) -> Account:
    """The logged-in account; ``missing`` is raised without one. Behind a login guard
    that means an account removed while its session lived: ``NotFound`` (404) for a
    page, ``NotAuthorizedException`` (back to the login) where a page asks for one."""
    account = current_account(db_session, request)
    if account is None:
        raise missing
    return account
