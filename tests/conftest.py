"""Shared fixtures: real databases, a real SMTP server, the real app.

Every test gets a fresh database that went through the Alembic migrations: on SQLite a
copy of a migrated template file, on PostgreSQL (when STIMMWERK_TEST_POSTGRES_URL is
set) a database created from a migrated template database. Mail goes through Celery
(in-process) to an aiosmtpd server on localhost.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core import migrate
from app.core.db import Database
from app.core.settings import (
    DatabaseSettings,
    MailSettings,
    SecuritySettings,
    Settings,
    VotingSettings,
)
from app.server import create_app

POSTGRES_URL = os.environ.get("STIMMWERK_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
TEST_PASSWORD = "correct horse battery"


# -- SMTP -------------------------------------------------------------------------------


@dataclass
class MailCatcher:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def last_link(self, address: str) -> str:
        """The path+query of the last link mailed to ``address``."""
        body = self.to(address)[-1].get_payload(decode=True).decode()
        match = re.findall(r"https?://[^\s/]+(/\S+)", body)
        assert match, body
        return match[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, MailCatcher]]:
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, catcher
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, MailCatcher]) -> MailCatcher:
    _, catcher = smtp_server
    catcher.messages.clear()
    return catcher


# -- databases ---------------------------------------------------------------------------


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _pg_admin(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname=parsed.database or "postgres",
        password=parsed.password,
        autocommit=True,
    )


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("STIMMWERK_TEST_POSTGRES_URL not set")
    name = f"sw_tpl_{_worker()}_{uuid.uuid4().hex[:6]}"
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate.upgrade(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _PostgresCopies:
    """Fresh copies of the template database, one per test, made one test ahead.

    ``CREATE DATABASE ... TEMPLATE`` and ``DROP DATABASE`` cost ~0.2 s each on a loaded
    machine (PostgreSQL waits for its WAL/checkpoint); a background thread creates the
    next test's copy and drops the last one while a test runs. Every test still gets its
    own untouched copy of the migrated template, as before.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self.next: Future[str] | None = None

    def _create(self) -> str:
        name = f"sw_t_{_worker()}_{uuid.uuid4().hex[:8]}"
        with _pg_admin(POSTGRES_URL) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    @staticmethod
    def _drop(name: str) -> None:
        with _pg_admin(POSTGRES_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self) -> str:
        ready = self.next or self.pool.submit(self._create)
        name = ready.result()
        self.next = self.pool.submit(self._create)
        return name

    def give_back(self, name: str) -> None:
        self.pool.submit(self._drop, name)

    def close(self) -> None:
        if self.next is not None:
            pending = self.next  # made by the same single thread: done before this runs
            self.pool.submit(lambda: self._drop(pending.result()))
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def postgres_copies(postgres_template: str) -> Iterator[_PostgresCopies]:
    copies = _PostgresCopies(postgres_template)
    yield copies
    copies.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    copies: _PostgresCopies = request.getfixturevalue("postgres_copies")
    name = copies.take()
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    copies.give_back(name)


sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For tests whose PostgreSQL run would repeat no SQL that the other tests do not already
run on PostgreSQL (browser layout, browser crypto): they run on SQLite only."""


# -- settings, app, client -----------------------------------------------------------------


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, smtp_server: tuple[Controller, MailCatcher]
) -> Settings:
    controller, _ = smtp_server
    return make_settings(database_url, tmp_path, controller.port)


def make_settings(database_url: str, tmp_path: Path, smtp_port: int) -> Settings:
    """The tests' settings (also for fixtures of a wider scope than `settings`)."""
    return Settings(
        database=DatabaseSettings(url=database_url),
        mail=MailSettings(
            backend="smtp",
            outbox_dir=tmp_path / "outbox",
            sender="Stimmwerk Test <noreply@stimmwerk.test>",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
        ),
        security=SecuritySettings(
            secret_key="test-secret-key-" + "x" * 32,
            # argon2's cheapest parameters keep the suite fast (electionguard-style small test params).
            argon2_time_cost=1,
            argon2_memory_kib=8,
            argon2_parallelism=1,
        ),
        # A short board batch wait keeps one-ballot tests fast; the rate limits of the
        # voting API are off except in the tests that are about them.
        voting=VotingSettings(
            board_batch_wait_seconds=0.05, cast_per_minute=0, credential_per_minute=0
        ),
        base_url="https://testserver.local",
        var_dir=tmp_path / "var",
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database.url)
    yield db
    db.dispose()


@pytest.fixture
def db(database: Database) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture
def app(settings: Settings, database: Database) -> Litestar:
    return create_app(settings, database)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    # https base URL: the session and CSRF cookies are Secure and would not be sent over http.
    with TestClient(app, base_url="https://testserver.local") as test_client:
        yield test_client


def with_overrides(settings: Settings, **security: Any) -> Settings:
    return replace(settings, security=replace(settings.security, **security))
