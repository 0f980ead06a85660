"""Resolves the login session cookie into ``request.user`` / ``request.auth``.

``request.user`` is the ``Account`` only when the session is complete (password and,
where required, the second factor). A session waiting for its second factor exposes
itself as ``request.auth`` so the TOTP pages can continue it.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send
from sqlalchemy.orm import Session

from app.accounts.sessions import LoadedSession, cookie_name, load_session
from app.core.db import Database
from app.core.errors import SESSION_EXPIRED_STATE
from app.core.settings import Settings
from app.core.web import REQUEST_DB_SESSION


class SessionAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Reads the login in a database session that the handler then continues in
    (``provide_db_session``): one connection checkout per request. The session is
    closed here as well, for requests that end before a handler (a refused form, a
    404), and it is closed on the event loop like the handler's."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            opened: Session | None = scope.get("state", {}).pop(REQUEST_DB_SESSION, None)
            if opened is not None:
                opened.close()

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        settings: Settings = connection.app.state.settings
        token = connection.cookies.get(cookie_name(settings.security))
        if not token:
            return AuthenticationResult(user=None, auth=None)
        database: Database = connection.app.state.database
        session = database.sessions()
        connection.scope.setdefault("state", {})[REQUEST_DB_SESSION] = session
        loaded = await anyio.to_thread.run_sync(_load, session, token, settings)
        if loaded is None:
            # The cookie names a session that has ended: pages say "logged out", and a
            # form sent with it goes to the login page instead of a CSRF error.
            connection.scope.setdefault("state", {})[SESSION_EXPIRED_STATE] = True
            return AuthenticationResult(user=None, auth=None)
        user = loaded.account if loaded.second_factor_done else None
        return AuthenticationResult(user=user, auth=loaded)


def _load(session: Session, token: str, settings: Settings) -> LoadedSession | None:
    """The login; its account detached (``request.user`` must stay readable after the
    handler's rollbacks and after the session is closed), `current_account` puts a
    copy of it into the handler's session without reading it again."""
    try:
        loaded = load_session(session, token, settings.security)
    except BaseException:
        session.rollback()
        raise
    if loaded is not None:
        session.expunge(loaded.account)
    return loaded
