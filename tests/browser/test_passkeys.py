"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools WebAuthn domain).

The page's own script (app/static/js/passkeys.js) calls ``navigator.credentials``; the
virtual authenticator answers like a platform authenticator with user verification.
The server runs as in production, with ``localhost`` as its address: WebAuthn refuses
IP addresses as relying-party ids.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.accounts.models import Passkey
from app.core.settings import Settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import TEST_PASSWORD, free_port, sqlite_only
from tests.factories import make_account

# SQLite only: WebAuthn in Chromium; passkeys run on PostgreSQL in tests/bdd/test_platform_second_factor.py.
pytestmark = [pytest.mark.browser, sqlite_only]


@pytest.fixture
def localhost_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": settings.database.url,
        "STIMMWERK_SECRET_KEY": settings.security.secret_key,
        "STIMMWERK_MAIL_BACKEND": "smtp",
        "STIMMWERK_SMTP_HOST": settings.mail.smtp_host,
        "STIMMWERK_SMTP_PORT": str(settings.mail.smtp_port),
        "STIMMWERK_VAR_DIR": str(tmp_path / "server-var"),
        "STIMMWERK_BASE_URL": base,
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--no-schedule"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
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
        pytest.fail("server did not start: " + process.communicate()[0].decode(errors="replace"))
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def browser_page(localhost_server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="de-DE", base_url=localhost_server)
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        yield page
        context.close()
        browser.close()


def _log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_passkey_is_registered_and_confirms_the_next_login(browser_page, db, settings):
    make_account(db, settings, "pia@example.org", TEST_PASSWORD, name="Pia Pappel")
    db.commit()
    page = browser_page

    _log_in(page, "pia@example.org")
    page.wait_for_url("**/dashboard")
    page.goto("/account/security")
    page.get_by_label("Name des Passkeys (zum Beispiel: mein Telefon)").fill("Laptop")
    page.get_by_role("button", name="Passkey hinzufügen").click()
    page.wait_for_url("**/account/passkeys")
    assert page.get_by_role("heading", name="Wiederherstellungscodes").is_visible()
    assert page.locator("ol.recovery-codes li").count() == 10
    assert db.scalar(select(func.count()).select_from(Passkey)) == 1

    page.get_by_role("button", name="Abmelden").click()
    _log_in(page, "pia@example.org")
    page.wait_for_url("**/login/totp")
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("heading", name="Hallo, Pia Pappel").is_visible()
