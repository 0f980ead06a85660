"""One app, database and cast of people per fuzz module (and backend).

Fuzzing sends hundreds of requests per route; a fresh migrated database per example
would cost more than the requests. The state the requests leave behind only makes the
later ones more varied: whatever it is, no answer may be a 500.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from sqlalchemy.engine import make_url

from app.core.db import Database
from app.core.settings import DatabaseSettings, MailSettings, SecuritySettings, Settings
from app.server import create_app
from tests.conftest import BACKENDS, POSTGRES_URL, MailCatcher, _pg_admin
from tests.security.support import Cast, make_cast
from tests.support.referendums_world import build_referendum

EXAMPLES = int(os.environ.get("STIMMWERK_FUZZ_EXAMPLES", "6"))
"""Examples per route and identity: small in the suite, large with `make fuzz`."""


@dataclass
class FuzzWorld:
    app: Litestar
    cast: Cast
    election_id: uuid.UUID
    database: Database


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"sw_fuzz_{uuid.uuid4().hex[:8]}"
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fuzz_world(
    fuzz_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: tuple[Controller, MailCatcher],
) -> Iterator[FuzzWorld]:
    controller, _ = smtp_server
    tmp = tmp_path_factory.mktemp("fuzz-var")
    settings = Settings(
        database=DatabaseSettings(url=fuzz_url),
        mail=MailSettings(
            backend="smtp",
            outbox_dir=tmp / "outbox",
            sender="Stimmwerk Test <noreply@stimmwerk.test>",
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
        ),
        security=SecuritySettings(
            secret_key="fuzz-secret-key-" + "x" * 32,
            argon2_time_cost=1,
            argon2_memory_kib=8,
            argon2_parallelism=1,
            openapi_enabled=True,
        ),
        base_url="https://testserver.local",
        var_dir=tmp / "var",
    )
    settings = replace(settings)
    database = Database(fuzz_url)
    app = create_app(settings, database)
    with database.session() as session:
        cast = make_cast(session, settings, app, Path(tmp))
        world = build_referendum(
            session,
            settings,
            Path(tmp),
            staff=cast.accounts["staff_own"],
            trustees=[cast.accounts["commission_own"]],
            unit_code="UB1",
            stage="ceremony",
        )
        yield FuzzWorld(app, cast, world.id, database)
    database.dispose()
