"""German-first translations (gettext via Babel) selected per request.

Catalogs are kept as ``.po`` files and compiled in memory at start-up, so there is no
build artefact to forget. Message ids are English; German is the default locale.
"""

from __future__ import annotations

import contextvars
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
SUPPORTED_LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"
LOCALE_COOKIE = "stimmwerk_lang"

_current_locale: contextvars.ContextVar[str] = contextvars.ContextVar(
    "stimmwerk_locale", default=DEFAULT_LOCALE
)


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations_for(locale: str) -> NullTranslations:
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current_locale.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    token = set_locale(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return translations_for(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(current_locale()).ngettext(singular, plural, n)


def pick_locale(cookie_value: str | None, accept_language: str | None) -> str:
    """Explicit choice (cookie) first, then the browser's preference, then German."""
    if cookie_value in SUPPORTED_LOCALES:
        return cookie_value
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in SUPPORTED_LOCALES:
            return tag
    return DEFAULT_LOCALE


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a message id for extraction; it is translated where it is shown."""
    return message
