"""The JSON error body every JSON API of Stimmwerk answers with.

``{"error": code, "message": text, ...}``: ``code`` is stable for programs, ``message`` is
for people, translated into the request's language (German first).
"""

from __future__ import annotations

import contextlib
from typing import Any

from litestar import MediaType, Response

from app.core.i18n import gettext


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
