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

from app.accounts.sessions import LoadedSession, cookie_name, load_session
from app.core.db import Database
from app.core.errors import SESSION_EXPIRED_STATE
from app.core.settings import Settings


class SessionAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        settings: Settings = connection.app.state.settings
        token = connection.cookies.get(cookie_name(settings.security))
        if not token:
            return AuthenticationResult(user=None, auth=None)
        database: Database = connection.app.state.database
        loaded = await anyio.to_thread.run_sync(_load, database, token, settings)
        if loaded is None:
            # The cookie names a session that has ended: pages say "logged out", and a
            # form sent with it goes to the login page instead of a CSRF error.
            connection.scope.setdefault("state", {})[SESSION_EXPIRED_STATE] = True
            return AuthenticationResult(user=None, auth=None)
        user = loaded.account if loaded.second_factor_done else None
        return AuthenticationResult(user=user, auth=loaded)


def _load(database: Database, token: str, settings: Settings) -> LoadedSession | None:
    with database.session() as session:
        loaded = load_session(session, token, settings.security)
        if loaded is not None:
            session.expunge(loaded.account)
        return loaded
