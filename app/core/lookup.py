"""Loading one object for a request, with its object-level permission.

Everything a person may not see answers like something that does not exist (404, the
same page), so nobody can probe which ids exist in other units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.core.errors import NotFound

M = TypeVar("M")


def get_or_404(
    session: Session, model: type[M], key: Any, *, may: Callable[[M], bool] | None = None
) -> M:
    """The ``model`` row with primary key ``key`` if it exists and ``may(row)`` holds
    (the scoped authorisation, e.g. ``lambda m: may_see_members_of(session, viewer,
    m.unit)``); otherwise ``NotFound``."""
    found = session.get(model, key) if key is not None else None
    if found is None or (may is not None and not may(found)):
        raise NotFound
    return found
