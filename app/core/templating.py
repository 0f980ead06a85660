"""The one Jinja2 environment, shared by pages (Litestar) and e-mails (services)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.core import i18n
from app.core.settings import PROJECT_ROOT

TEMPLATE_DIRS = [PROJECT_ROOT / "templates"]


def _format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if i18n.current_locale() == "de":
        return value.strftime("%d.%m.%Y %H:%M" if isinstance(value, datetime) else "%d.%m.%Y")
    return value.strftime("%Y-%m-%d %H:%M" if isinstance(value, datetime) else "%Y-%m-%d")


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
    env.filters["number"] = _format_number
    env.globals["current_locale"] = i18n.current_locale
    env.globals["supported_locales"] = i18n.SUPPORTED_LOCALES
    return env


def render_text(template_name: str, locale: str, **context: Any) -> str:
    """Render a template (e.g. an e-mail body) in the given locale."""
    with i18n.using_locale(locale):
        return jinja_environment().get_template(template_name).render(**context)
