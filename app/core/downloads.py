"""Files a page hands out to be saved (CSV exports, PDF documents)."""

from __future__ import annotations

from typing import Final, TypeVar

from litestar import Response
from litestar.status_codes import HTTP_200_OK

CSV: Final = "text/csv; charset=utf-8"
PDF: Final = "application/pdf"

T = TypeVar("T", str, bytes)


def attachment(content: T, media_type: str, filename: str) -> Response[T]:
    """``content`` as a download named ``filename`` (the browser saves, not shows, it).
    ``filename`` is chosen by the server: plain ASCII, no quotes. Always 200, also as
    the answer to a form (a POST would otherwise say 201)."""
    return Response(
        content,
        status_code=HTTP_200_OK,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
