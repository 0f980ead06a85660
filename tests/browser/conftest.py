"""Browser tests: the real server (``stimmwerk serve``) driven by Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.settings import Settings
from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    skip = pytest.mark.skip(
        reason="no Chromium found (apt-get install chromium); browser tests skipped"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def server_env(settings: Settings, var_dir: Path, base_url: str) -> dict[str, str]:
    """The environment of a ``stimmwerk`` process (server or command) on the test database."""
    return {
        **os.environ,
        "STIMMWERK_DATABASE_URL": settings.database.url,
        "STIMMWERK_SECRET_KEY": settings.security.secret_key,
        "STIMMWERK_MAIL_BACKEND": "smtp",
        "STIMMWERK_SMTP_HOST": settings.mail.smtp_host,
        "STIMMWERK_SMTP_PORT": str(settings.mail.smtp_port),
        "STIMMWERK_VAR_DIR": str(var_dir),
        "STIMMWERK_BASE_URL": base_url,
        "STIMMWERK_BOARD_BATCH_WAIT_SECONDS": "0.3",  # members vote one after another here
    }


@contextmanager
def serving(settings: Settings, var_dir: Path) -> Iterator[str]:
    """Serve the app from a separate process on the test database, as in production;
    yields its base URL. Use `live_server`, or this for one server per module."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    var_dir.mkdir(parents=True, exist_ok=True)
    # A file, not a pipe: a pipe nobody reads blocks a long-running server once it is full.
    log = (var_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-schedule",  # tests move the clock themselves
        ],
        env=server_env(settings, var_dir, base),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        process.wait(timeout=20)
        log.close()
        output = (var_dir / "server.log").read_text(errors="replace")
        pytest.fail("server did not start: " + output[-2000:])
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """Serve the app from a separate process on the test database, as in production."""
    with serving(settings, tmp_path / "server-var") as base:
        yield base


@pytest.fixture
def page(live_server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="de-DE", base_url=live_server)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def module_chromium() -> Iterator[Any]:
    """One Chromium for a whole test module (starting Playwright and the browser costs
    about a second per test); ask for `fresh_chromium` instead. Only for modules whose
    tests all use it: while it runs, Playwright's event loop is the thread's, so another
    ``sync_playwright()`` in the same module would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fresh_chromium(module_chromium: Any) -> Iterator[Any]:
    """The module's Chromium; every context a test opens is closed after the test, so no
    cookie, storage or page passes to the next test (each test opens its own contexts)."""
    yield module_chromium
    for context in list(module_chromium.contexts):
        context.close()
