"""Process-wide runtime objects (settings and database) for code outside a request.

Celery tasks and CLI commands need a database without a request. The web app sets the
runtime when it starts (``create_app``); a worker or CLI process builds it from the
environment on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.db import Database
from app.core.settings import Settings, get_settings


@dataclass
class Runtime:
    settings: Settings
    database: Database


_current: Runtime | None = None


def set_runtime(settings: Settings, database: Database) -> Runtime:
    global _current  # noqa: PLW0603 - one runtime per process is the point
    _current = Runtime(settings=settings, database=database)
    return _current


def get_runtime() -> Runtime:
    if _current is None:
        settings = get_settings()
        return set_runtime(settings, Database(settings.database.url))
    return _current
