"""The one Jinja2 environment, shared by pages (Litestar) and e-mails (services)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.core import i18n
from app.core.settings import PROJECT_ROOT

TEMPLATE_DIRS = [PROJECT_ROOT / "templates"]

# Every time a person reads is the party's local time (stored times are UTC).
LOCAL_ZONE: Final = ZoneInfo("Europe/Berlin")
# "Freitag, 18. Dezember 2026, 18:00 Uhr": deadlines are written out (issue 10, point 5).
_LONG_PATTERNS: Final = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, HH:mm",
}
_SHORT_PATTERNS: Final = {"de": "dd.MM.y, HH:mm 'Uhr'", "en": "d MMM y, HH:mm"}


def _moment(value: date | datetime | str | None) -> date | datetime | None:
    """A date or an aware datetime; ISO 8601 text (manifest times) is parsed, naive is UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _format_date(value: date | datetime | str | None) -> str:
    """Short form for tables and lists: "18.12.2026, 18:00 Uhr" (local time) or "18.12.2026"."""
    moment = _moment(value)
    locale = i18n.current_locale()
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return format_date(moment, "dd.MM.y" if locale == "de" else "d MMM y", locale=locale)
    pattern = _SHORT_PATTERNS.get(locale, _SHORT_PATTERNS["de"])
    return format_datetime(moment, pattern, tzinfo=LOCAL_ZONE, locale=locale)


def format_when(value: date | datetime | str | None) -> str:
    """Long form in local time: "Freitag, 18. Dezember 2026, 18:00 Uhr" (pages and mails)."""
    moment = _moment(value)
    locale = i18n.current_locale()
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return format_date(moment, "full", locale=locale)
    pattern = _LONG_PATTERNS.get(locale, _LONG_PATTERNS["de"])
    return format_datetime(moment, pattern, tzinfo=LOCAL_ZONE, locale=locale)


def _format_percent(value: float | None, digits: int = 1) -> str:
    """A percentage as the reader writes it: "33,3 %" in German."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return (text.replace(".", ",") + "\u00a0%") if i18n.current_locale() == "de" else text + "%"


def _format_number(value: int) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if i18n.current_locale() == "de" else text


@lru_cache(maxsize=1)
def jinja_environment(template_dirs: tuple[Path, ...] = tuple(TEMPLATE_DIRS)) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters["date"] = _format_date
    env.filters["when"] = format_when
    env.filters["percent"] = _format_percent
    env.filters["number"] = _format_number
    env.globals["current_locale"] = i18n.current_locale
    env.globals["supported_locales"] = i18n.SUPPORTED_LOCALES
    return env


def render_text(template_name: str, locale: str, **context: Any) -> str:
    """Render a template (e.g. an e-mail body) in the given locale."""
    with i18n.using_locale(locale):
        return jinja_environment().get_template(template_name).render(**context)
