"""A real Celery worker (``stimmwerk worker``) on Redis delivers mail queued by the app.

Runs only where Redis is reachable (CI starts it); the embedded default's in-process
execution is covered by every other mail test.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from app.core.settings import Settings
from app.server import create_app
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account
from tests.helpers import submit

REDIS_URL = os.environ.get("STIMMWERK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not _redis_available(), reason=f"Redis not reachable at {REDIS_URL}"),
]


@pytest.fixture
def redis_queue() -> Iterator[None]:
    """One test at a time owns the Redis database (and its worker): tests on other
    pytest-xdist workers or in other checkouts would flush it or take each other's
    tasks (a file lock on this machine)."""
    with (Path(tempfile.gettempdir()) / "stimmwerk-test-redis.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start_worker(settings: Settings, var_dir: Path) -> subprocess.Popen[bytes]:
    """``stimmwerk worker`` on Redis for ``settings`` (one process), in its own group."""
    env = {
        **os.environ,
        "STIMMWERK_BROKER_URL": REDIS_URL,
        "STIMMWERK_DATABASE_URL": settings.database.url,
        "STIMMWERK_MAIL_BACKEND": "smtp",
        "STIMMWERK_SMTP_HOST": settings.mail.smtp_host,
        "STIMMWERK_SMTP_PORT": str(settings.mail.smtp_port),
        "STIMMWERK_VAR_DIR": str(var_dir),
        "STIMMWERK_SECRET_KEY": settings.security.secret_key,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--concurrency", "1", "--loglevel", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def worker(settings: Settings, tmp_path, redis_queue):
    redis.Redis.from_url(REDIS_URL).flushdb()
    process = start_worker(settings, tmp_path / "worker-var")
    yield process
    stop_worker(process)


def test_worker_delivers_password_reset_mail_after_commit(settings, database, db, mailbox, worker):
    make_account(db, settings, "ruth@example.org", TEST_PASSWORD)
    db.commit()
    app = create_app(replace(settings, broker_url=REDIS_URL), database)
    with TestClient(app, base_url="https://testserver.local") as client:
        response = submit(
            client, "/password/forgot", "/password/forgot", {"email": "ruth@example.org"}
        )
    assert response.status_code in (302, 303)
    deadline = time.monotonic() + 45
    while not mailbox.to("ruth@example.org") and time.monotonic() < deadline:
        assert worker.poll() is None, (
            worker.stdout.read().decode() if worker.stdout else "worker died"
        )
        time.sleep(0.2)
    messages = mailbox.to("ruth@example.org")
    if not messages:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"the worker did not deliver the mail; worker output:\n{output[-3000:]}")
    assert len(messages) == 1
    assert "/password/reset?token=" in messages[0].get_payload(decode=True).decode()
