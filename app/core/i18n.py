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

from babel.messages.catalog import Catalog
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


def catalog_paths(locale: str) -> list[Path]:
    """``messages.po`` first, then the feature catalogs (``<feature>.po``) beside it.

    ``make messages`` maintains ``messages.po``; a feature may keep its German texts in a
    catalog of its own (so work on two features does not fight over one file). A text
    translated in an earlier file wins.
    """
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    main = folder / "messages.po"
    extra = sorted(p for p in folder.glob("*.po") if p != main)
    return [p for p in (main, *extra) if p.exists()]


def read_catalog(locale: str) -> Catalog | None:
    """All of a locale's catalogs merged into one (None if it has none)."""
    merged: Catalog | None = None
    for path in catalog_paths(locale):
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if message.id and message.string:
                known = merged.get(message.id)
                if known is None or not known.string:
                    merged[message.id] = message
    return merged


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations_for(locale: str) -> NullTranslations:
    catalog = read_catalog(locale)
    if catalog is None:
        return NullTranslations()
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


class Deferred(str):
    """A message id translated when it is formatted into another message.

    A refusal's detail is a parameter of its message (``"...: {detail}"``); as a
    `Deferred` it comes out in the reader's language wherever the message is formatted
    (the page, the error page, a JSON error) instead of in English. Anywhere else it
    is the message id itself.
    """

    __slots__ = ()

    def __format__(self, format_spec: str) -> str:
        return format(gettext(str(self)), format_spec)
