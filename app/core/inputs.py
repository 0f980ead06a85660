"""Input checks at the edge: one place for what no handler should ever have to see.

Every HTTP request passes :class:`InputGuardMiddleware` before its handler runs. It
refuses, with a 400 and a clear message:

- control characters in the path, the query string, any form field or JSON string:
  NUL and the other C0 controls except TAB, LF and CR, DEL, the C1 controls, the
  Unicode line/paragraph separators and the bidirectional overrides and isolates
  (they hide or reorder text: "Trojan source", spoofed names);
- JSON nested deeper than :data:`MAX_JSON_DEPTH` (Python's parser would recurse into
  a ``RecursionError`` and a 500), and form or JSON bodies larger than
  :data:`MAX_BODY_BYTES`.

Fields that end up in a single line (mail subjects, titles, names) must also refuse
CR and LF: services do that with :func:`single_line_problem`. Numbers typed by people
go through :func:`parse_whole`, which takes ASCII digits only ("²" is a digit to
``str.isdigit``) and bounds the value before anything stores or computes with it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from app.core.errors import DomainError
from app.core.i18n import N_

MAX_JSON_DEPTH = 32
"""No API body of ours nests deeper than about 6 levels."""
MAX_BODY_BYTES = 1024 * 1024
"""Form and JSON bodies; the largest legitimate one (a ballot) is under 64 KiB."""
MAX_DIGITS = 12
"""No count, percentage or id a person types has more digits."""

# C0 except TAB/LF/CR, DEL, C1, LINE/PARAGRAPH SEPARATOR, bidi embeddings/overrides
# (U+202A-U+202E) and isolates (U+2066-U+2069).
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")
_ASCII_DIGITS = re.compile(r"[0-9]+")

CONTROL_MESSAGE = N_(
    "The input contains control or invisible formatting characters. Please remove them."
)
SINGLE_LINE_MESSAGE = N_("Please enter this on a single line without control characters.")
TOO_DEEP_MESSAGE = N_("The request is nested too deeply.")
TOO_LARGE_MESSAGE = N_("The request is too large.")
MALFORMED_MESSAGE = N_("The request is malformed.")


class InputRefused(DomainError):
    """Raised at the edge; mapped like every domain error (a page or JSON, 400)."""

    message = CONTROL_MESSAGE


class BodyTooLarge(InputRefused):
    status_code = 413
    message = TOO_LARGE_MESSAGE


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character refused at the edge (see the module doc)."""
    return _CONTROLS.search(text) is not None


def single_line_problem(text: str) -> str | None:
    """A message id if ``text`` may not go into one line (a mail header, a title), else None."""
    if has_controls(text) or _LINE_BREAKS.search(text):
        return SINGLE_LINE_MESSAGE
    return None


def shows_nothing(text: str) -> bool:
    """Whether ``text`` would look empty on a page: only white space and invisible
    format characters (zero-width space and joiners, byte order mark, ...), which
    ``str.strip`` keeps. A title of those alone is no title."""
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


def parse_whole(text: str, *, low: int = 0, high: int = 10**9) -> int | None:
    """A whole number typed by a person, or None if it is not one within [low, high].

    Only ASCII digits count (``"²".isdigit()`` is true, ``int("²")`` fails), at most
    :data:`MAX_DIGITS` of them, so a 5,000-digit number never reaches ``int()``.
    """
    text = text.strip()
    if not text or len(text) > MAX_DIGITS or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


def json_depth(raw: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, counted without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def _strings_of(value: Any) -> list[str]:
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def check_json_body(raw: bytes) -> None:
    """Refuse too deep JSON and control characters in any key or string value."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InputRefused(TOO_DEEP_MESSAGE)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return  # not JSON after all: the handler's own parser answers that
    if any(has_controls(text) for text in _strings_of(document)):
        raise InputRefused


def check_form_body(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    for name, value in parse_qsl(text, keep_blank_values=True):
        if has_controls(name) or has_controls(value):
            raise InputRefused


def check_query(query_string: bytes) -> None:
    text = query_string.decode("latin-1")
    if "%" not in text and not has_controls(text):
        return
    decoded = text.encode("latin-1").decode("utf-8", errors="replace")
    for name, value in parse_qsl(decoded, keep_blank_values=True):
        if has_controls(name) or has_controls(value):
            raise InputRefused


def _body_kind(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/x-www-form-urlencoded":
                return "form"
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
            return None
    return None


class InputGuardMiddleware:
    """The edge checks above, as Litestar middleware (so refusals use the error pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        if has_controls(scope["path"]):
            raise InputRefused
        check_query(scope.get("query_string", b""))
        kind = _body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        if kind == "json":
            check_json_body(body)
        else:
            check_form_body(body)
        await self.app(scope, _replay(messages, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, list[ReceiveMessage]]:
    """The whole request body (bounded) and the messages it came in, to hand on."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
