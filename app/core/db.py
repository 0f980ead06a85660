"""Database plumbing: declarative base, engine, sessions.

The whole application uses synchronous SQLAlchemy sessions: the same services run in
request handlers (Litestar runs them in a worker thread), Celery tasks and the CLI,
without a second async code path to keep in step.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Index, MetaData, Uuid, create_engine, event, text
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def pending_mail_index(table_name: str) -> Index:
    """The index of a ``*_mail_markers`` table's pending markers by age, which
    ``app.core.mail_batches.forget_lost`` reads on every run of the schedule.

    Partial (``WHERE done_at IS NULL``, PostgreSQL and SQLite): it holds only the mails
    still to be sent, so it stays small while the table keeps every mail ever sent
    (millions of rows after a few member votes)."""
    pending = text("done_at IS NULL")
    return Index(
        f"ix_{table_name}_pending", "sent_at", postgresql_where=pending, sqlite_where=pending
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite stores naive values; this type attaches UTC on the way out so comparisons
    with ``utcnow()`` never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_DETAIL = re.compile(r"\nDETAIL:.*?(?=\n[A-Z]+:|\Z)", re.DOTALL)


def _strip_row_values(context: ExceptionContext) -> None:
    """PostgreSQL quotes the offending row in its DETAIL line ("Key (email)=(anna@…)
    already exists"); drop that line from the error and from SQLAlchemy's wrapper, so
    no traceback or log line carries it. ``pgcode`` and ``diag`` stay for the code."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (_DETAIL.sub("", error.args[0]), *error.args[1:])


def make_engine(url: str, *, echo: bool = False) -> Engine:
    # hide_parameters: a database error's message (and so every log line and traceback
    # made from it) would otherwise carry the bound values: e-mail addresses, names,
    # password hashes, contact data. The SQL text alone is enough to find the bug.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=10
    )
    event.listen(engine, "handle_error", _strip_row_values)
    return engine


class Database:
    """One engine and its session factory, owned by the app, a worker or a CLI run."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that rolls back on error; callers commit their unit of work."""
        session = self.sessions()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
