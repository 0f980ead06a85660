"""Where to land after login: a page reached while logged out, kept across the login.

Only same-site paths are accepted (no open redirect). The target travels as ``next=``
on the login page and, while a second factor is pending, in a short-lived cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from app.core.settings import Settings

NEXT_COOKIE = "stimmwerk_next"
MAX_NEXT_LENGTH = 200
DEFAULT_TARGET = "/dashboard"


def safe_path(path: str | None) -> str | None:
    """``path`` if it is a same-site path, else None.

    Refuses whatever a browser could read as another site: ``//evil``, ``/\\evil``
    (browsers treat a backslash as a slash), absolute URLs, and control characters or
    spaces (browsers drop tabs and newlines, so ``/\\t/evil`` would become ``//evil``).
    """
    if not path or len(path) > MAX_NEXT_LENGTH or not path.startswith("/"):
        return None
    if path.startswith("//") or "\\" in path:
        return None
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in path):  # noqa: PLR2004 - ASCII controls
        return None
    return path


def safe_next(path: str | None) -> str:
    """The landing page after login: ``path`` if safe, else the dashboard."""
    return safe_path(path) or DEFAULT_TARGET


def next_cookie(settings: Settings, path: str | None) -> Cookie:
    """Keeps the target while the second factor is asked (empty value: forget it)."""
    return Cookie(
        key=NEXT_COOKIE,
        value=safe_path(path) or "",
        path="/",
        max_age=600 if safe_path(path) else 0,
        secure=settings.security.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def pending_target(request: Request[Any, Any, Any]) -> str:
    """The target kept while the second factor was asked (dashboard if none)."""
    return safe_next(request.cookies.get(NEXT_COOKIE))
