"""Route guards: coarse checks before a handler runs.

Object-level scope (which unit's members someone may see) is checked in the services
by the policy functions in ``app.organisations.policies``, on every object.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.accounts.models import Account


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not isinstance(connection.user, Account):
        raise NotAuthorizedException


def requires_member(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    requires_login(connection, _)
    if connection.user.is_guest:
        raise PermissionDeniedException
